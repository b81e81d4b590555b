import Foundation
import PartnerCenter
import PartnerCenterModels
import Testing
@testable import PCXHost

@Suite("host units")
struct HostUnitTests {
    @Test func moneyTextShowsAtLeastTwoFractionDigitsAndNeverRounds() {
        #expect(moneyText(Decimal(string: "652.8")!) == "652.80")
        #expect(moneyText(Decimal(string: "1419")!) == "1419.00")
        #expect(moneyText(Decimal(string: "0.125")!) == "0.125")
        #expect(moneyText(Decimal(string: "-3.5")!) == "-3.50")
    }

    @Test func aDryRunsRecordIsNotAnAttemptForItsIdempotencyKey() throws {
        let journal = try Journal()
        let now = Date()
        func entry(_ state: JournalEntry.State) -> JournalEntry {
            JournalEntry(id: nil, createdAt: now, updatedAt: now, operation: "checkout", customer: "c", script: "s",
                         bodyHash: "h", requestId: UUID().uuidString, idempotencyKey: "k", cartId: "cart",
                         state: state, plan: nil, outcome: nil, error: nil, target: "sandbox")
        }
        let pending = try journal.append(entry(.pending))
        try journal.append(entry(.recorded))
        let latest = try journal.latest(idempotencyKey: "k", operation: "checkout", target: "sandbox")
        #expect(latest?.id == pending.id)
        #expect(latest?.state == .pending)
    }

    @Test("the require hint knows every stdlib/*.lua module and json, from the embedded files, and nothing else")
    func theRequireHintCoversEveryEmbeddedModule() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: packageRoot.appendingPathComponent("stdlib").path)
        let expected = Set(files.filter { $0.hasSuffix(".lua") }.map { String($0.dropLast(4)) }).union(["json"])
        #expect(expected.isSuperset(of: ["json", "money", "date", "csv", "reservations", "inspect"]))
        #expect(EmbeddedSources.moduleNames == expected)
        for name in expected {
            #expect(missingRequireHint("attempt to index a nil value (global '\(name)')") == "\(name) is a pcx module: add local \(name) = require \"\(name)\"")
            #expect(missingRequireHint("attempt to call a nil value (global '\(name)')") != nil)
            #expect(missingRequireHint("attempt to index a nil value (field '\(name)')") == nil)
            #expect(missingRequireHint("attempt to index a nil value (local '\(name)')") == nil)
        }
        #expect(missingRequireHint("attempt to index a nil value (global 'jsn')") == nil)
        #expect(missingRequireHint("attempt to index a nil value (global 'meta')") == nil)
    }

    @Test func maxSpendsTwoWordsAreJoined() {
        let joined = PCXCommands.joinMaxSpend(["run", "--max-spend", "100", "USD", "buy.lua", "--max-spend", "x"])
        #expect(joined == ["run", "--max-spend", "100 USD", "buy.lua", "--max-spend", "x"])
    }

    @Test func aWriteOutsideTheAllowedDirectoriesIsRefusedWithAHint() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("pcx-wp-\(UUID().uuidString.prefix(6))")
        let allowed = base.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: allowed, withIntermediateDirectories: true)
        let policy = WritePolicy(allowed: [allowed.path])
        try policy.check(allowed.appendingPathComponent("a.pdf"))
        #expect(throws: PartnerCenterError.self) { try policy.check(base.appendingPathComponent("a.pdf")) }
        #expect(throws: PartnerCenterError.self) { try policy.check(allowed.appendingPathComponent("../a.pdf").standardizedFileURL) }
        #expect(throws: PartnerCenterError.self) { try WritePolicy(allowed: []).check(allowed.appendingPathComponent("a.pdf")) }
    }

    @Test func anOrderAboveACapIsReportedWithItsIdAndJournalEntry() throws {
        let gate = ChangeGate(session: Session(options: HostOptions(purchase: PurchaseOptions(maxSpend: "1000", maxSpendCurrency: "USD", maxQuantity: 2)), script: "t.lua"))
        var line = CartLineItem(id: 0, catalogItemId: "P:S:A", quantity: 1, billingCycle: .oneTime)
        line.pricing = Pricing(price: 709.56)
        line.currencyCode = "USD"
        let intent = PurchaseIntent(cart: Cart(lineItems: [line]))
        func order(_ id: String, _ quantities: [Int]) -> CartCheckoutResult {
            var o = Order(id: id)
            o.lineItems = quantities.map { OrderLineItem(lineItemNumber: 0, offerId: "P:S:A", quantity: $0) }
            return CartCheckoutResult(orders: [o], orderErrors: [])
        }
        do {
            try gate.checkAgainstCaps(order("o-1", [2, 1]), intent: intent, journalId: 7)
            Issue.record("3 units passed --max-quantity 2")
        } catch let e as PartnerCenterError {
            #expect(e.category == .boughtAboveCap)
            #expect(e.exitStatus == 4)
            #expect(e.message.contains("o-1") && e.message.contains("3 units, above --max-quantity 2"), "\(e.message)")
            #expect(e.message.contains("2128.68 USD, above --max-spend 1000.00 USD"), "\(e.message)")
            #expect(e.hint?.contains("journal entry 7") == true)
        }
        // within the quantity cap but above the spend cap: still reported
        #expect(throws: PartnerCenterError.self) { try gate.checkAgainstCaps(order("o-2", [2]), intent: intent, journalId: 8) }
        try gate.checkAgainstCaps(order("o-3", [1]), intent: intent, journalId: 9)
    }
}

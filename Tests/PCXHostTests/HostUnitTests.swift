import Foundation
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

    @Test func hostArgumentsAreSplitFromAPlaybooksParameters() {
        let (host, rest) = PCXCommands.splitHostArguments(
            ["purchase", "--customer", "c", "--dry-run", "--max-spend", "100", "USD", "--json", "--timeout=5", "--", "--sandbox"])
        #expect(host == ["--dry-run", "--max-spend", "100", "USD", "--json", "--timeout=5"])
        #expect(rest == ["purchase", "--customer", "c", "--", "--sandbox"])
        let joined = PCXCommands.joinMaxSpend(["run", "--max-spend", "100", "USD", "buy.lua", "--max-spend", "x"])
        #expect(joined == ["run", "--max-spend", "100 USD", "buy.lua", "--max-spend", "x"])
        let (host2, rest2) = PCXCommands.splitHostArguments(["p", "--max-spend", "100 USD", "--customer", "c"])
        #expect(host2 == ["--max-spend", "100 USD"])
        #expect(rest2 == ["p", "--customer", "c"])
    }

    @Test func aWriteOutsideTheAllowedDirectoriesIsRefusedWithAHint() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("pcx-wp-\(UUID().uuidString.prefix(6))")
        let allowed = base.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: allowed, withIntermediateDirectories: true)
        let policy = WritePolicy(allowed: [allowed.path])
        try policy.check(allowed.appendingPathComponent("a.pdf"))
        #expect(throws: HostError.self) { try policy.check(base.appendingPathComponent("a.pdf")) }
        #expect(throws: HostError.self) { try policy.check(allowed.appendingPathComponent("../a.pdf").standardizedFileURL) }
        #expect(throws: HostError.self) { try WritePolicy(allowed: []).check(allowed.appendingPathComponent("a.pdf")) }
    }

    @Test func anOrderAboveTheQuantityCapIsReportedWithItsIdAndJournalEntry() throws {
        let gate = PurchaseGate(session: Session(options: HostOptions(purchase: PurchaseOptions(maxQuantity: 2)), script: "t.lua"))
        let over = Data(#"{"orders":[{"id":"o-1","lineItems":[{"quantity":2},{"quantity":1}]}]}"#.utf8)
        do {
            try gate.checkOrderAgainstCaps(over, journalId: 7)
            Issue.record("3 units passed --max-quantity 2")
        } catch let e as HostError {
            #expect(e.code == .policyDenied)
            #expect(e.message.contains("o-1") && e.message.contains("3 units, above --max-quantity 2"), "\(e.message)")
            #expect(e.hint?.contains("journal entry 7") == true)
        }
        try gate.checkOrderAgainstCaps(Data(#"{"orders":[{"id":"o-2","lineItems":[{"quantity":2}]}]}"#.utf8), journalId: 8)
        try gate.checkOrderAgainstCaps(Data("not json".utf8), journalId: 9)
    }
}

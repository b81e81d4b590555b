import Foundation
import PartnerCenter
import PartnerCenterModels

/// What the terminal confirmation names before a purchase, so a person knows what "yes" buys:
/// where (the embedded sandbox or the endpoint), the company and customer id, and per cart line
/// the subscription, the reservation type, SKU and region, the term, the billing plan, the
/// quantity and the price, all from the cart Partner Center holds (the price is the cart's) and
/// the catalog (cached reads). A lookup that fails leaves its row out or shows the raw id: the
/// prompt never fails a purchase that could be confirmed.
struct PurchaseConfirmation: Sendable {
    let session: Session

    /// The prompt's text before the question (``Confirmer/question``).
    func describe(_ intent: PurchaseIntent, customer: String) async -> String {
        let target = try? await session.target()
        var rows: [(String, String)] = []
        if let company = await companyName(customer, target) { rows.append(("company", company)) }
        rows.append(("customer", customer))
        let country = try? await target?.client.customerCountry(customerId: customer)
        for (i, line) in intent.lines.enumerated() {
            if intent.lines.count > 1 { rows.append(("line \(i + 1)", "")) }
            rows += await lineRows(line, country: country, target: target)
        }
        if intent.lines.count > 1, let total = intent.total {
            rows.append(("total", "\(moneyText(total)) \(intent.currency ?? "")".trimmingCharacters(in: .whitespaces)))
        }
        let width = rows.map(\.0.count).max() ?? 0
        let body = rows.map { label, value in
            value.isEmpty ? "  \(label)" : "  \(label.padding(toLength: width, withPad: " ", startingAt: 0))  \(visible(value))"
        }
        return "pcx: about to buy \(where_(target)):\n" + body.joined(separator: "\n") + "\n"
    }

    /// `from the embedded Partner Center sandbox (nothing real is bought)` or `from Partner Center at URL`.
    private func where_(_ target: Session.Target?) -> String {
        guard let target else { return "from Partner Center" }
        if target.sandbox != nil { return "from the embedded Partner Center sandbox (nothing real is bought)" }
        return "from Partner Center at \(target.client.configuration.endpoint)"
    }

    /// The customer's company name (`companyProfile.companyName`), or nil.
    private func companyName(_ customer: String, _ target: Session.Target?) async -> String? {
        guard let target,
              let response = try? await target.client.send(OperationCatalog["customers.get"], ["customer_id": .string(customer)]),
              let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any],
              let name = (object["companyProfile"] as? [String: Any])?["companyName"] as? String, !name.isEmpty else { return nil }
        return name
    }

    /// One cart line's rows: subscription, type, SKU, region, item, term, billing, quantity, price.
    private func lineRows(_ line: PurchaseIntent.Line, country: String?, target: Session.Target?) async -> [(String, String)] {
        let sku = await catalogSku(line, country: country, target: target)
        let attributes = sku?.dynamicAttributes ?? [:]
        func attribute(_ name: String) -> String? {
            attributes.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }.flatMap { if case .string(let s) = $0.value { s } else { nil } }
        }
        var rows: [(String, String)] = []
        if let subscription = Self.subscription(line.provisioning) { rows.append(("subscription", subscription)) }
        rows.append(("type", Self.typeName(reservationType: attribute("reservationType"), line: line, sku: sku)))
        rows.append(("sku", attribute("armSkuName") ?? sku?.title ?? line.catalogItemId))
        if let region = attribute("armRegionName") {
            rows.append(("region", region + (attribute("region").map { " (\($0))" } ?? "")))
        }
        rows.append(("catalog item", line.catalogItemId))
        if let commitment = line.commitment { rows.append(("commitment", commitment)) }
        if let term = Self.termText(line.termDuration) { rows.append(("term", term)) }
        rows.append(("billing", Self.billingText(line)))
        rows.append(("quantity", String(line.quantity)))
        rows.append(("price", Self.priceText(line)))
        return rows
    }

    /// The line's SKU from the catalog (cached), or nil.
    private func catalogSku(_ line: PurchaseIntent.Line, country: String?, target: Session.Target?) async -> Sku? {
        let parts = line.catalogItemId.split(separator: ":").map(String.init)
        guard let target, let country, parts.count >= 2 else { return nil }
        let operation = OperationCatalog["skus.get"]
        let arguments: OperationArguments = ["product_id": .string(parts[0]), "sku_id": .string(parts[1]), "country": .string(country)]
        guard let request = try? PartnerCenterRequest(operation, arguments, caller: "the purchase confirmation") else { return nil }
        let dispatcher = Dispatcher(session: session, gate: ChangeGate(session: session))
        let body: Data?
        if let cached = try? await dispatcher.cachedRead(operation, request, target) {
            body = cached
        } else {
            body = (try? await target.client.send(request))?.body
        }
        return body.flatMap { try? PartnerCenterJSON.decode(Sku.self, from: $0) }
    }

    /// `433E… (scope Shared)`, or an Azure subscription under a plan.
    static func subscription(_ context: [String: String]) -> String? {
        func value(_ key: String) -> String? {
            context.first { $0.key.caseInsensitiveCompare(key) == .orderedSame }.map(\.value).flatMap { $0.isEmpty ? nil : $0 }
        }
        let scope = value("scope").map { " (scope \($0))" } ?? ""
        switch (value("subscriptionId"), value("entitlementId")) {
        case (let plan?, let azure?): return "Azure subscription \(azure) under plan \(plan)\(scope)"
        case (nil, let azure?): return "Azure subscription \(azure)\(scope)"
        case (let subscription?, nil): return subscription + scope
        case (nil, nil): return nil
        }
    }

    /// `Virtual machines reservation`, `Azure savings plan`, else the SKU's title.
    static func typeName(reservationType: String?, line: PurchaseIntent.Line, sku: Sku?) -> String {
        if let kind = reservationType?.lowercased(), let type = ReservationType.all.first(where: { $0.artifactType == kind }) {
            return "\(type.displayName) reservation"
        }
        if line.commitment != nil { return "Azure savings plan" }
        return sku?.title ?? "(not in the catalog: \(line.catalogItemId))"
    }

    /// `1 year (P1Y)`, `3 years (P3Y)`, `1 month (P1M)`; nil without a term.
    static func termText(_ term: String) -> String? {
        guard !term.isEmpty else { return nil }
        let upper = term.uppercased()
        guard upper.hasPrefix("P"), let unit = upper.last, let n = Int(upper.dropFirst().dropLast()) else { return term }
        let name = unit == "Y" ? "year" : (unit == "M" ? "month" : (unit == "D" ? "day" : nil))
        return name.map { "\(n) \($0)\(n == 1 ? "" : "s") (\(term))" } ?? term
    }

    /// `one-time`, or `monthly (12 payments)`.
    static func billingText(_ line: PurchaseIntent.Line) -> String {
        guard line.billingCycle == "monthly" else { return line.billingCycle.isEmpty ? "one-time" : line.billingCycle.replacingOccurrences(of: "_", with: "-") }
        let months = commitmentMonths(billingCycle: line.billingCycle, termDuration: line.termDuration)
        return "monthly" + (months.map { " (\($0) payments)" } ?? "")
    }

    /// The cart's price: `709.56 USD`, `1419.12 USD (709.56 USD each)`, or for a monthly line the
    /// whole commitment and a month's payment.
    static func priceText(_ line: PurchaseIntent.Line) -> String {
        guard let total = line.total else { return "not priced in the cart" }
        let currency = line.currency.map { " " + $0 } ?? ""
        if line.billingCycle == "monthly", let months = commitmentMonths(billingCycle: line.billingCycle, termDuration: line.termDuration), months > 0 {
            var month = total / Decimal(months), rounded = Decimal()
            NSDecimalRound(&rounded, &month, 2, .bankers)
            return "\(moneyText(total))\(currency) over the term: \(moneyText(rounded))\(currency) a month for \(months) months"
        }
        guard line.quantity > 1, let unit = line.unitPrice else { return "\(moneyText(total))\(currency)" }
        return "\(moneyText(total))\(currency) (\(moneyText(unit))\(currency) each)"
    }
}

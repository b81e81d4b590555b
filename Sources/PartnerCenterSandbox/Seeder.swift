import Foundation
import GRDB
import PartnerCenterModels

/// Seeds a fresh database deterministically from the configuration's seed and scale.
struct Seeder {
    let seed: UInt64
    let scale: SandboxScale
    let catalog: SandboxCatalog
    let now: Date

    static let companyNames = [
        "Contoso Widgets", "Fabrikam", "Northwind Traders", "Adatum", "Tailspin Toys", "Wingtip Toys", "Woodgrove Bank",
        "Litware", "Proseware", "Lucerne Publishing", "Alpine Ski House", "Coho Winery", "Fourth Coffee", "Humongous Insurance",
        "Margie's Travel", "Trey Research", "Wide World Importers", "Relecloud", "Best For You Organics", "Consolidated Messenger",
        "Graphic Design Institute", "School of Fine Art", "VanArsdel", "Blue Yonder Airlines", "City Power & Light", "First Up Consultants",
    ]
    /// First partner's customer countries: every market where RIs are not sold (BR CN IN RU KR TW HK) included.
    static let firstPartnerCountries = ["US", "US", "GB", "DE", "FR", "JP", "AU", "CA", "NL", "SE", "CH", "IE", "ES", "IT", "DK", "MX",
                                        "ZA", "SG", "BR", "CN", "IN", "RU", "KR", "TW", "HK", "NZ"]
    static let secondPartnerCountries = ["US", "DE", "JP", "GB", "BR"]
    static let cities: [String: (String, String)] = [
        "US": ("Redmond", "WA"), "GB": ("London", ""), "DE": ("Berlin", ""), "FR": ("Paris", ""), "JP": ("Tokyo", ""),
        "AU": ("Sydney", "NS"), "CA": ("Toronto", "ON"), "BR": ("São Paulo", "SP"), "CN": ("Shanghai", ""), "IN": ("Bengaluru", "KA"),
    ]

    /// True when the database already holds seeded data.
    static func isSeeded(_ db: Database) throws -> Bool { try SandboxStore.meta(db, "seeded") != nil }

    func run(_ db: Database) throws {
        var rng = SplitMix64(seed: seed)
        let partners = [makePartner(&rng, index: 0, name: "Contoso Partner", domain: "contosopartner"),
                        makePartner(&rng, index: 1, name: "Fabrikam Reseller", domain: "fabrikamreseller")]
        for (index, partner) in partners.enumerated() {
            try db.execute(sql: "INSERT INTO partner VALUES(?,?,?,?,?,?,?,?,?,?)", arguments: [
                partner.tenantId, index, partner.domain, partner.name, partner.clientId, partner.clientSecret,
                partner.userId, partner.mpnId, partner.refreshToken, partner.currency])
        }
        var customersByPartner: [[(id: String, name: String, domain: String, country: String)]] = [[], []]
        var countries = Self.firstPartnerCountries
        for extra in 0..<scale.customers { countries.append(Self.firstPartnerCountries[extra % Self.firstPartnerCountries.count]) }
        let insertCustomer = try db.cachedStatement(sql: "INSERT INTO customer VALUES(?,?,?,?,?,?,?)")
        let insertSubscription = try db.cachedStatement(sql: "INSERT INTO subscription VALUES(?,?,?,?,?,?,?,?)")
        for (partnerIndex, list) in [countries, Self.secondPartnerCountries].enumerated() {
            for (index, country) in list.enumerated() {
                let baseName = Self.companyNames[(index + partnerIndex * 7) % Self.companyNames.count]
                let name = index < Self.companyNames.count ? baseName : "\(baseName) \(index / Self.companyNames.count + 1)"
                let slug = name.lowercased().filter { $0.isLetter || $0.isNumber }
                let domain = "\(slug)\(partnerIndex == 0 ? "" : "fr")\(country.lowercased()).onmicrosoft.com"
                let id = IDs.guid(&rng)
                let customer = makeCustomer(id: id, name: name, domain: domain, country: country, rng: &rng)
                try insertCustomer.execute(arguments: [id, partners[partnerIndex].tenantId, index, country, name, domain, try Doc.encode(customer)])
                customersByPartner[partnerIndex].append((id, name, domain, country))
                for (seq, seeded) in makeSubscriptions(customerId: id, index: index, country: country, rng: &rng).enumerated() {
                    var sub = seeded.model
                    // a licence subscription's order (the partner's first customer stays a clean slate: no orders)
                    if seeded.kind == "license" && !(partnerIndex == 0 && index == 0) {
                        sub.orderId = try insertLicenceOrder(db, subscription: sub, customerId: id, country: country, rng: &rng)
                    }
                    try insertSubscription.execute(arguments: [sub.id, id, seq, seeded.kind, sub.status?.wireValue ?? "active",
                                                               seeded.registered ? "Registered" : "NotRegistered", nil, try Doc.encode(sub)])
                }
            }
        }
        try seedInvoices(db, partners: partners, customers: customersByPartner, rng: &rng)
        try Self.fillAzureEntitlements(db, seed: seed)
        try SandboxStore.setMeta(db, Self.purchasesMetaKey, "pending")
        try SandboxStore.setMeta(db, "seeded", String(seed))
        try SandboxStore.setMeta(db, "schema", SandboxStore.schemaVersion)
        try SandboxStore.setMeta(db, "signing_key", IDs.secret(&rng, length: 48))
    }

    func makePartner(_ rng: inout SplitMix64, index: Int, name: String, domain: String) -> PartnerRecord {
        PartnerRecord(tenantId: IDs.guid(&rng), domain: "\(domain).onmicrosoft.com", name: name, clientId: IDs.guid(&rng),
                      clientSecret: "pcxsb~" + IDs.secret(&rng, length: 34), userId: IDs.guid(&rng),
                      mpnId: String(4_800_000 + rng.next(below: 99_999)), refreshToken: "pcxrt." + IDs.secret(&rng, length: 64),
                      currency: "USD")
    }

    func makeCustomer(id: String, name: String, domain: String, country: String, rng: inout SplitMix64) -> Customer {
        var customer = Customer(id: id)
        customer.commerceId = IDs.guid(&rng)
        let (city, state) = Self.cities[country] ?? ("Capital City", "")
        var address = Address(country: country)
        address.city = city
        address.state = state.isEmpty ? nil : state
        address.region = state.isEmpty ? nil : state
        address.addressLine1 = "\(1 + rng.next(below: 200)) Main St"
        address.postalCode = String(10000 + rng.next(below: 89999))
        address.phoneNumber = "4255550\(100 + rng.next(below: 899))"
        var company = CustomerCompanyProfile()
        company.tenantId = id
        company.domain = domain
        company.companyName = name
        company.address = address
        company.email = "billing@\(domain)"
        company.links = Links(["self": Link(uri: OperationCatalog["customers.company_profile"].link(["customer_id": id]))])
        company.attributes = ResourceAttributes(objectType: "CustomerCompanyProfile")
        var billing = CustomerBillingProfile()
        billing.id = IDs.guid(&rng)
        billing.firstName = ["Ana", "Bo", "Chen", "Dara", "Eli", "Femi"][rng.next(below: 6)]
        billing.lastName = ["Diaz", "Berg", "Li", "Okafor", "Sato", "Novak"][rng.next(below: 6)]
        billing.email = "billing@\(domain)"
        billing.culture = "en-US"
        billing.language = "en"
        billing.companyName = name
        var billingAddress = address
        billingAddress.firstName = billing.firstName
        billingAddress.lastName = billing.lastName
        billingAddress.region = nil
        billing.defaultAddress = billingAddress
        billing.links = Links(["self": Link(uri: OperationCatalog["customers.billing_profile"].link(["customer_id": id]))])
        billing.attributes = ResourceAttributes(objectType: "CustomerBillingProfile", etag: String(Int64(bitPattern: rng.next()) / 2))
        customer.companyProfile = company
        customer.billingProfile = billing
        customer.relationshipToPartner = "reseller"
        customer.allowDelegatedAccess = true
        customer.customDomains = [domain]
        customer.links = Links(["self": Link(uri: OperationCatalog["customers.get"].link(["customer_id": id]))])
        customer.attributes = ResourceAttributes(objectType: "Customer")
        return customer
    }

    struct SeededSubscription { let model: Subscription; let kind: String; let registered: Bool }

    /// Per customer: an MS-AZR-0145P subscription (registered for index % 3 != 1), an Azure plan for
    /// index % 4 == 3, a suspended Azure subscription for index % 5 == 4, and an Office licence subscription
    /// for even indexes.
    func makeSubscriptions(customerId: String, index: Int, country: String, rng: inout SplitMix64) -> [SeededSubscription] {
        var result: [SeededSubscription] = []
        func azure(_ offer: String, name: String, status: SubscriptionStatus, kind: String, registered: Bool) {
            var sub = Self.azureSubscription(customerId: customerId, country: country, offer: offer, name: name, created: nil, now: now, rng: &rng)
            sub.status = status
            result.append(SeededSubscription(model: sub, kind: kind, registered: registered))
        }
        // every fourth customer is on the Azure plan, and has no MS-AZR-0145P subscription (an Azure
        // plan cannot be created for a customer that has one, addendum §1.1); every thirteenth has no
        // Azure subscription at all (it must be given one first)
        let onPlan = index % 4 == 3, noAzure = index % 13 == 12 && !onPlan
        if !onPlan && !noAzure {
            azure("MS-AZR-0145P", name: "Microsoft Azure", status: .active, kind: "legacy", registered: index % 3 != 1)
        }
        if onPlan { azure(AzureOffers.azurePlanCatalogItemId, name: "Azure plan", status: .active, kind: "plan", registered: true) }
        if index % 5 == 4 && !onPlan && !noAzure {
            azure("MS-AZR-0145P", name: "Microsoft Azure (suspended)", status: .suspended, kind: "legacy", registered: false)
        }
        if index % 2 == 0 {
            var sub = Subscription(id: IDs.guid(&rng).uppercased())
            sub.offerId = "031C9E47-4802-4248-838E-778FB1D2CC05"
            sub.offerName = "Office 365 Business Premium"
            sub.friendlyName = "Office 365 Business Premium"
            sub.quantity = 10 + rng.next(below: 40)
            sub.unitType = "Licenses"
            sub.creationDate = now.addingTimeInterval(-Double(86400 * 200))
            sub.status = .active
            sub.autoRenewEnabled = true
            sub.billingType = "license"
            sub.billingCycle = .monthly
            sub.contractType = "subscription"
            sub.links = Links(["self": Link(uri: OperationCatalog["subscriptions.get"].link(["customer_id": customerId, "subscription_id": sub.id]))])
            sub.attributes = ResourceAttributes(objectType: "Subscription")
            result.append(SeededSubscription(model: sub, kind: "license", registered: false))
        }
        return result
    }

    /// An active Azure subscription (MS-AZR-0145P, or an Azure plan when `offer` is the plan's
    /// catalog item): seeded ones were created `created == nil` a random 400–1300 days before `now`;
    /// bought ones on `created`.
    static func azureSubscription(customerId: String, country: String, offer: String, name: String, created: Date?,
                                  now: Date = Date(), rng: inout SplitMix64) -> Subscription {
        var sub = Subscription(id: IDs.guid(&rng).uppercased())
        sub.entitlementId = IDs.guid(&rng).uppercased()
        sub.offerId = offer
        sub.offerName = name
        sub.friendlyName = name
        sub.quantity = 1
        sub.unitType = "Usage-based"
        let created = created ?? now.addingTimeInterval(-Double(86400 * (400 + rng.next(below: 900))))
        sub.creationDate = created
        sub.effectiveStartDate = WireDate.parse(String(WireDate.format(created).prefix(10)) + "T00:00:00Z")
        sub.commitmentEndDate = WireDate.parse("9999-12-10T00:00:00Z")
        sub.status = .active
        sub.autoRenewEnabled = false
        sub.billingType = "usage"
        sub.contractType = "subscription"
        sub.orderId = IDs.guid(&rng).uppercased()
        var links = ["self": Link(uri: OperationCatalog["subscriptions.get"].link(["customer_id": customerId, "subscription_id": sub.id]))]
        if AzureOffers.isLegacyAzure(offer) {
            links["offer"] = Link(uri: OperationCatalog["offers.get"].link(["offer_id": offer], query: [("country", country)]))
        }
        sub.links = Links(links)
        sub.attributes = ResourceAttributes(objectType: "Subscription", etag: IDs.secret(&rng, length: 24))
        return sub
    }

    /// The completed order behind a seeded licence subscription; returns its id.
    func insertLicenceOrder(_ db: Database, subscription sub: Subscription, customerId: String, country: String,
                            rng: inout SplitMix64) throws -> String {
        var order = Order(id: IDs.guid(&rng))
        order.referenceCustomerId = customerId
        order.billingCycle = .monthly
        var line = OrderLineItem(lineItemNumber: 0, offerId: sub.offerId, quantity: sub.quantity)
        line.subscriptionId = sub.id
        line.friendlyName = sub.friendlyName
        order.lineItems = [line]
        let currency = SandboxCatalog.currency(for: country)
        order.currencyCode = currency.code
        order.currencySymbol = currency.symbol
        order.creationDate = sub.creationDate
        order.status = .completed
        order.transactionType = "UserPurchase"
        order.links = Links(["self": Link(uri: OperationCatalog["orders.get"].link(["customer_id": customerId, "order_id": order.id]))])
        order.attributes = ResourceAttributes(objectType: "Order")
        let time = (sub.creationDate ?? now).timeIntervalSince1970
        try db.execute(sql: "INSERT INTO orders VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", arguments: [
            order.id, customerId, nil, time, time, time, "completed", "monthly", try Doc.encode(order), "[]", "0", country])
        return order.id
    }

    /// Customers with an active subscription of `kind` (and, for licences, an order), with it.
    private func holders(_ db: Database, _ list: [(id: String, name: String, domain: String, country: String)], kind: String)
        throws -> [((id: String, name: String, domain: String, country: String), Subscription)] {
        try list.compactMap { customer in
            let doc = try String.fetchOne(db, sql: "SELECT doc FROM subscription WHERE customer_id = ? AND kind = ? AND status = 'active' ORDER BY seq",
                                          arguments: [customer.id, kind])
            guard let sub = try doc.map({ try Doc.decode(Subscription.self, $0) }), kind != "license" || sub.orderId != nil else { return nil }
            return (customer, sub)
        }
    }

    // MARK: invoices

    func seedInvoices(_ db: Database, partners: [PartnerRecord], customers: [[(id: String, name: String, domain: String, country: String)]], rng: inout SplitMix64) throws {
        for (partnerIndex, partner) in partners.enumerated() {
            try seedRecurringInvoices(db, partner: partner, partnerIndex: partnerIndex, customers: customers[partnerIndex], rng: &rng)
            try seedOneTimeInvoices(db, partner: partner, partnerIndex: partnerIndex, customers: customers[partnerIndex], rng: &rng)
        }
        if scale.lineItems > 0 || scale.reconLines > 0 || scale.usageLines > 0 {
            try applyScale(db, partner: partners[0], customers: customers[0])
        }
    }

    private static let month = 30.0 * 86400

    /// Recurring invoices (`D0…`): three Azure usage lines and two licence lines each; all but the newest paid.
    private func seedRecurringInvoices(_ db: Database, partner: PartnerRecord, partnerIndex: Int,
                                       customers list: [(id: String, name: String, domain: String, country: String)],
                                       rng: inout SplitMix64) throws {
        let month = Self.month
        let recurringCount = partnerIndex == 0 ? 2 + scale.invoices : 1
        // usage lines name the customer's MS-AZR-0145P subscription, licence lines its licence subscription and order
        let azureHolders = try holders(db, list, kind: "legacy"), licenceHolders = try holders(db, list, kind: "license")
        for number in 0..<recurringCount {
            let id = String(format: "D0%d%07d", 2 + partnerIndex, number + 1)
            let date = now.addingTimeInterval(-month * Double(recurringCount - number + 1))
            var lines: [(String, String, String)] = []  // provider, type, doc
            var total: Decimal = 0
            for lineIndex in 0..<3 where !azureHolders.isEmpty {
                let (customer, sub) = azureHolders[(number + lineIndex) % azureHolders.count]
                var line = azureLine(partner: partner, customer: customer, invoice: id, date: date, service: lineIndex, rng: &rng)
                line.subscriptionId = sub.id
                line.subscriptionName = sub.friendlyName
                total += line.postTaxTotal!
                lines.append(("azure", "billing", try Doc.encode(line)))
            }
            for lineIndex in 0..<2 where !licenceHolders.isEmpty {
                let (customer, sub) = licenceHolders[(number + lineIndex + 1) % licenceHolders.count]
                var line = licenceLine(partner: partner, customer: customer, date: date, rng: &rng)
                line.orderId = sub.orderId
                line.subscriptionId = sub.id
                line.quantity = Decimal(sub.quantity ?? 1)
                line.amount = line.unitPrice! * line.quantity!
                line.subtotal = line.amount
                line.totalForCustomer = line.amount
                total += line.totalForCustomer!
                lines.append(("office", "billing", try Doc.encode(line)))
            }
            let paid: Decimal = number < recurringCount - 1 ? -total : 0
            try insertInvoice(db, id: id, partner: partner, type: .recurring, currency: "USD", date: date, total: total, paid: paid,
                              providers: [(.azure, .billingLineItems), (.office, .billingLineItems)], generated: 0, lines: lines)
        }
    }

    private func azureLine(partner: PartnerRecord, customer: (id: String, name: String, domain: String, country: String),
                           invoice id: String, date: Date, service lineIndex: Int, rng: inout SplitMix64) -> AzureInvoiceLineItem {
        let month = Self.month
        var line = AzureInvoiceLineItem()
        line.partnerId = partner.tenantId
        line.customerId = customer.id
        line.customerCompanyName = customer.name
        line.mpnId = partner.mpnId
        line.invoiceNumber = id
        line.subscriptionId = IDs.guid(&rng)
        line.subscriptionName = "Microsoft Azure"
        line.serviceName = ["Virtual Machines", "Storage", "Networking"][lineIndex]
        line.serviceType = "Standard"
        line.region = "US East"
        line.consumedQuantity = Decimal(10 + rng.next(below: 500))
        line.chargeStartDate = date.addingTimeInterval(-month)
        line.chargeEndDate = date
        line.unit = "Hours"
        line.sku = "D2 v3"
        line.listPrice = Decimal(string: "0.096")!
        line.consumptionPrice = Money.round(line.consumedQuantity! * line.listPrice!, places: 2)
        line.currency = "USD"
        line.pretaxCharges = line.consumptionPrice
        line.taxAmount = 0
        line.postTaxTotal = line.consumptionPrice
        line.chargeType = "Assess usage fee for current cycle"
        line.invoiceLineItemType = .billingLineItems
        line.billingProvider = .azure
        line.attributes = ResourceAttributes(objectType: "UsageBasedLineItem")
        return line
    }

    private func licenceLine(partner: PartnerRecord, customer: (id: String, name: String, domain: String, country: String),
                             date: Date, rng: inout SplitMix64) -> LicenseBasedLineItem {
        let month = Self.month
        var line = LicenseBasedLineItem()
        line.partnerId = partner.tenantId
        line.customerId = customer.id
        line.customerName = customer.name
        line.mpnId = partner.mpnId
        line.tier2MpnId = "-1"
        line.orderId = IDs.guid(&rng)
        line.subscriptionId = IDs.guid(&rng)
        line.offerId = "031C9E47-4802-4248-838E-778FB1D2CC05"
        line.durableOfferId = "031C9E47-4802-4248-838E-778FB1D2CC05"
        line.offerName = "Office 365 Business Premium"
        line.domainName = customer.domain
        line.billingCycleType = "MONTHLY"
        line.subscriptionName = "Office 365 Business Premium"
        line.chargeStartDate = date.addingTimeInterval(-month)
        line.chargeEndDate = date
        line.chargeType = "Cycle fee"
        line.unitPrice = Decimal(string: "12.5")!
        line.quantity = Decimal(5 + rng.next(below: 30))
        line.amount = line.unitPrice! * line.quantity!
        line.totalOtherDiscount = 0
        line.subtotal = line.amount
        line.tax = 0
        line.totalForCustomer = line.amount
        line.currency = "USD"
        line.invoiceLineItemType = .billingLineItems
        line.billingProvider = .office
        line.attributes = ResourceAttributes(objectType: "LicenseBasedLineItem")
        return line
    }

    /// One-time invoices, one in the partner currency and one in EUR (multi-currency summaries):
    /// made empty, each covering the month of its seeded purchases (`period_key`); the engine's
    /// seeded purchases (`SeedPurchases.swift`) are then charged onto them like live ones.
    private func seedOneTimeInvoices(_ db: Database, partner: PartnerRecord, partnerIndex: Int,
                                     customers list: [(id: String, name: String, domain: String, country: String)],
                                     rng: inout SplitMix64) throws {
        let month = Self.month
        let oneTimeSpecs: [(String, String)] = partnerIndex == 0 ? [("G000024130", "USD"), ("G000024131", "EUR")] : [("G000030001", "USD")]
        for (specIndex, spec) in oneTimeSpecs.enumerated() {
            let date = now.addingTimeInterval(-month * Double(oneTimeSpecs.count - specIndex))
            let period = "\(partner.tenantId.lowercased())|\(spec.1)|\(WireDate.format(Self.purchaseDay(forInvoiceDate: date)).prefix(7))"
            try insertInvoice(db, id: spec.0, partner: partner, type: .oneTime, currency: spec.1, date: date, total: 0, paid: 0,
                              providers: [(.oneTime, .billingLineItems)], generated: 0, lines: [], periodKey: period)
        }
    }

    /// Creates (or resizes) the scale invoice `G100000001` whose one-time lines are generated by index.
    func applyScale(_ db: Database, partner: PartnerRecord, customers: [(id: String, name: String, domain: String, country: String)]) throws {
        try db.execute(sql: "DELETE FROM invoice WHERE id IN (?, ?)", arguments: [SandboxBilling.scaleInvoiceId, SandboxBilling.graphScaleInvoiceId])
        try applyGraphScale(db, partner: partner, customers: customers)
        guard scale.lineItems > 0 else { return }
        let generator = ScaleLineGenerator(seed: seed, partner: partner, customers: customers.filter { $0.country == "US" || $0.country == "CA" }, catalog: catalog, invoiceDate: now.addingTimeInterval(-86400 * 2))
        let total = generator.total(count: scale.lineItems)
        try insertInvoice(db, id: SandboxBilling.scaleInvoiceId, partner: partner, type: .oneTime, currency: "USD", date: generator.invoiceDate,
                          total: total, paid: 0, providers: [(.oneTime, .billingLineItems)], generated: scale.lineItems, lines: [])
        try SandboxStore.setMeta(db, "scale_lineitems", String(scale.lineItems))
        try SandboxStore.setMeta(db, "scale_invoice_date", String(generator.invoiceDate.timeIntervalSince1970))
    }

    /// Whether a reused database was seeded at another `--scale` of generated lines (then the
    /// scale invoices are remade).
    static func scaleChanged(_ db: Database, _ scale: SandboxScale) throws -> Bool {
        let lines = try SandboxStore.meta(db, "scale_lineitems").flatMap(Int.init) ?? 0
        let graph = try SandboxStore.meta(db, "graph_scale") ?? "0,0"
        return (scale.lineItems > 0 && lines != scale.lineItems) || graph != "\(scale.reconLines),\(scale.usageLines)"
    }

    /// The Graph scale invoice `G100000002` (the newest, dated at the seed): `reconLines` generated
    /// one-time lines and `usageLines` generated usage lines, nothing stored per line.
    private func applyGraphScale(_ db: Database, partner: PartnerRecord, customers: [(id: String, name: String, domain: String, country: String)]) throws {
        try SandboxStore.setMeta(db, "graph_scale", "\(scale.reconLines),\(scale.usageLines)")
        guard scale.reconLines > 0 || scale.usageLines > 0 else { return }
        let generator = ScaleLineGenerator(seed: seed, partner: partner, customers: customers.filter { $0.country == "US" || $0.country == "CA" }, catalog: catalog,
                                           invoiceDate: now, invoiceId: SandboxBilling.graphScaleInvoiceId)
        try insertInvoice(db, id: SandboxBilling.graphScaleInvoiceId, partner: partner, type: .oneTime, currency: "USD", date: generator.invoiceDate,
                          total: generator.total(count: scale.reconLines), paid: 0, providers: [(.oneTime, .billingLineItems)],
                          generated: scale.reconLines, lines: [])
        try SandboxStore.setMeta(db, "graph_scale_date", String(generator.invoiceDate.timeIntervalSince1970))
    }

    func insertInvoice(_ db: Database, id: String, partner: PartnerRecord, type: InvoiceType, currency: String, date: Date, total: Decimal, paid: Decimal,
                       providers: [(BillingProvider, InvoiceLineItemType)], generated: Int, lines: [(String, String, String)],
                       periodKey: String? = nil) throws {
        let invoice = SandboxBilling.invoiceModel(id: id, type: type, currency: currency, date: date, total: total, paid: paid, providers: providers)
        try db.execute(sql: "INSERT INTO invoice VALUES(?,?,?,?,?,?,?,?,?,?)", arguments: [
            id, partner.tenantId, type.wireValue, currency, date.timeIntervalSince1970, Money.text(total), Money.text(paid), generated, periodKey, try Doc.encode(invoice)])
        let statement = try db.cachedStatement(sql: "INSERT INTO invoice_line VALUES(?,?,?,?,?)")
        for (seq, line) in lines.enumerated() {
            try statement.execute(arguments: [id, line.0, line.1, seq, line.2])
        }
    }
}


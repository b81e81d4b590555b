import Foundation

/// Reconciliation v2 through Microsoft Graph (addendum §3), declared once: the four exports, the
/// columns of their lines, and the wire documents of the flow (request body, operation, manifest,
/// the three error shapes). The client streams exports from these declarations, the sandbox
/// serves them, and `pc.reconciliation` / `pc.usage`, the LuaLS stubs, CSV headers and SQLite
/// tables all follow the column lists.
public enum GraphBilling {
    /// The Graph token audience (addendum §3.2).
    public static let audience = "https://graph.microsoft.com"
    /// The permission every partner-billing call needs, application or delegated (addendum §3.2).
    public static let permission = "PartnerBilling.Read.All"
    /// `@odata.type` prefixes of the operation bodies (addendum §3.5).
    public static let runningType = "#microsoft.graph.partners.billing.runningOperation"
    public static let successType = "#microsoft.graph.partners.billing.exportSuccessOperation"
    public static let failedType = "#microsoft.graph.partners.billing.failedOperation"

    /// Invoice reconciliation lines or daily-rated usage lines.
    public enum DataSet: String, Sendable, Hashable, CaseIterable {
        case reconciliation, usage
        /// The declared columns of this data set's lines.
        public var columns: [Column] { self == .reconciliation ? GraphBilling.reconciliationColumns : GraphBilling.usageColumns }
    }

    /// Billed (one invoice) or unbilled (the current or last open period, in one currency).
    public enum Scope: String, Sendable, Hashable, CaseIterable { case billed, unbilled }

    /// One of the four exports (addendum §3.4).
    public struct Export: Sendable, Hashable {
        /// `reconciliation.billed`: the Lua name under `pc`.
        public let name: String
        public let dataSet: DataSet
        public let scope: Scope
        /// The `OperationCatalog` entry that starts it (a POST answered 202 + `Location`).
        public let operation: String

        /// The declaration of the POST.
        public var declaration: APIOperation { OperationCatalog[operation] }
    }

    /// The four exports, in documentation order.
    public static let exports: [Export] = [
        Export(name: "reconciliation.billed", dataSet: .reconciliation, scope: .billed, operation: "graph_billing.export_billed_reconciliation"),
        Export(name: "reconciliation.unbilled", dataSet: .reconciliation, scope: .unbilled, operation: "graph_billing.export_unbilled_reconciliation"),
        Export(name: "usage.billed", dataSet: .usage, scope: .billed, operation: "graph_billing.export_billed_usage"),
        Export(name: "usage.unbilled", dataSet: .usage, scope: .unbilled, operation: "graph_billing.export_unbilled_usage"),
    ]

    /// The export of `dataSet` and `scope`.
    public static func export(_ dataSet: DataSet, _ scope: Scope) -> Export {
        exports.first { $0.dataSet == dataSet && $0.scope == scope }!
    }

    /// The export named `name` (`usage.unbilled`), or nil.
    public static func export(named name: String) -> Export? { exports.first { $0.name == name } }
}

// MARK: - Columns

extension GraphBilling {
    /// What a column holds, for typed SQLite columns, CSV and Lua values.
    public enum ColumnType: String, Sendable, Hashable {
        /// Text (identifiers, names).
        case string
        /// An exact decimal (money, quantities, rates): kept as text in SQLite so nothing rounds.
        case decimal
        /// A date-time (ISO-8601 in the blobs; tolerant of `M/d/yyyy`).
        case date
        /// A JSON array or object, possibly JSON-encoded in a string (`additionalInfo`, `productQualifiers`).
        case json
    }

    /// One documented column of a line.
    public struct Column: Sendable, Hashable {
        /// The expected key in the blobs (camelCase, the API name).
        public let name: String
        public let type: ColumnType
        /// Part of the `basic` attribute set (usage: Graph 2024 flags; reconciliation: UNCONFIRMED,
        /// the identifiers and money columns).
        public let basic: Bool
        /// Other documented spellings (PascalCase attribute names, renamed columns). Keys match
        /// case-insensitively; an alias whose values are percentages 0–100 is normalised by the reader.
        public let aliases: [String]
        /// Indexed in SQLite exports (customer, reservation order, product, date).
        public let indexed: Bool
        /// One line of meaning, for stubs and help.
        public let meaning: String

        init(_ name: String, _ meaning: String, _ type: ColumnType = .string, basic: Bool = false, aliases: [String] = [],
             indexed: Bool = false) {
            self.name = name
            self.type = type
            self.basic = basic
            self.aliases = aliases
            self.indexed = indexed
            self.meaning = meaning
        }
    }

    private typealias C = Column

    /// Billed (and unbilled) invoice reconciliation line, new commerce (addendum §3.8, §3.10).
    public static let reconciliationColumns: [Column] = [
        C("partnerId", "The partner's Entra tenant id", basic: true),
        C("customerId", "The customer's tenant id (an `org:` prefix is stripped before joins)", basic: true, indexed: true),
        C("customerName", "The customer's company name", basic: true),
        C("customerDomainName", "The customer's domain"),
        C("customerCountry", "The customer's country (ISO 3166-1 alpha-2)"),
        C("invoiceNumber", "The invoice (empty on unbilled lines)", basic: true),
        C("mpnId", "The partner's MPN id"),
        C("resellerMpnId", "The reseller on record", aliases: ["Tier2MpnId", "ResellerMPNID"]),
        C("orderId", "The Partner Center order id", basic: true),
        C("orderDate", "UTC date of the billing event", .date, indexed: true),
        C("productId", "The catalog product id", basic: true, indexed: true),
        C("skuId", "The catalog SKU id", basic: true),
        C("availabilityId", "The catalog availability id", basic: true),
        C("skuName", "SKU name"),
        C("productName", "Product name"),
        C("chargeType", "new, cycleCharge, renew, cancelImmediate, …", basic: true),
        C("unitPrice", "Price-list unit price", .decimal, basic: true),
        C("quantity", "Units bought (reconcile with billableQuantity)", .decimal, basic: true),
        C("subtotal", "Pre-tax amount", .decimal, basic: true),
        C("taxTotal", "Tax", .decimal, basic: true),
        C("totalForCustomer", "Subtotal plus tax", .decimal, basic: true, aliases: ["Total"]),
        C("currency", "Billing currency", basic: true),
        C("priceAdjustmentDescription", "Price adjustments (a JSON string array)", .json),
        C("publisherName", "Publisher"),
        C("publisherId", "Publisher id"),
        C("subscriptionDescription", "Service offering name"),
        C("subscriptionId", "Billing-platform subscription id", basic: true),
        C("chargeStartDate", "Start of the charge", .date),
        C("chargeEndDate", "End of the charge", .date),
        C("termAndBillingCycle", "Term and billing cycle wording"),
        C("effectiveUnitPrice", "Prorated, discounted unit price", .decimal),
        C("unitType", "Unit type"),
        C("alternateId", "The order's alternate id (12 hex)", basic: true),
        C("billableQuantity", "Quantity billed", .decimal, basic: true),
        C("billingFrequency", "Monthly, Annual; blank for one-time and unbilled", basic: true),
        C("pricingCurrency", "Pricing currency"),
        C("pcToBCExchangeRate", "Pricing-to-billing currency rate", .decimal),
        C("pcToBCExchangeRateDate", "Date of that rate", .date),
        C("meterDescription", "Meter description"),
        C("reservationOrderId", "Azure reservation or savings plan order id, maybe prefixed with the purchase channel (RIOderId, PCTest)", basic: true, indexed: true),
        C("creditReasonCode", "Azure credit reason"),
        C("subscriptionStartDate", "Start of the term", .date),
        C("subscriptionEndDate", "End of the term", .date),
        C("referenceId", "Concurrent transactions identifier"),
        C("productQualifiers", "Purchase-type identifiers (a JSON array)", .json),
        C("promotionId", "Promotion id"),
        C("productCategory", "UNCONFIRMED: seen only in a third-party list of current CSV columns"),
    ]

    /// Daily-rated usage line, billed and unbilled (addendum §3.9); `basic` per Graph 2024.
    public static let usageColumns: [Column] = [
        C("partnerId", "The CSP partner id", basic: true),
        C("partnerName", "The partner's name", basic: true),
        C("customerId", "The customer's tenant id", basic: true, indexed: true),
        C("customerName", "The customer's company name", basic: true),
        C("customerDomainName", "The customer's domain"),
        C("customerCountry", "The customer's country"),
        C("mpnId", "The partner's MPN id"),
        C("resellerMpnId", "The reseller on record (blank in unbilled usage)", aliases: ["Tier2MpnId"]),
        C("invoiceNumber", "The invoice (empty for unbilled usage)", basic: true),
        C("productId", "The catalog product id", basic: true, indexed: true),
        C("skuId", "The catalog SKU id", basic: true),
        C("availabilityId", "The catalog availability id"),
        C("skuName", "SKU name", basic: true),
        C("productName", "Product name"),
        C("publisherName", "Publisher", basic: true),
        C("publisherId", "Publisher id"),
        C("subscriptionDescription", "Service offering name"),
        C("subscriptionId", "Billing-platform subscription id (the PAYG bridge only)", basic: true),
        C("chargeStartDate", "Start of the charge period", .date, basic: true),
        C("chargeEndDate", "End of the charge period", .date, basic: true),
        C("usageDate", "The day the usage happened", .date, basic: true, indexed: true),
        C("meterType", "Meter type"),
        C("meterCategory", "Meter category"),
        C("meterId", "Meter id"),
        C("meterSubCategory", "Meter subcategory"),
        C("meterName", "Meter name"),
        C("meterRegion", "Meter region"),
        C("unitOfMeasure", "Unit of the resource", aliases: ["Unit"]),
        C("resourceLocation", "Azure region of the resource"),
        C("consumedService", "Consumed service"),
        C("resourceGroup", "Resource group"),
        C("resourceUri", "The resource's URI", basic: true, aliases: ["ResourceURI"]),
        C("chargeType", "Charge type", basic: true),
        C("unitPrice", "Unit price", .decimal, basic: true),
        C("quantity", "Quantity used (reservation-covered usage: quantity with zero cost)", .decimal, basic: true),
        C("unitType", "Unit type", basic: true),
        C("billingPreTaxTotal", "Pre-tax charge in the billing currency, after partner earned credit", .decimal, basic: true),
        C("billingCurrency", "Billing currency", basic: true),
        C("pricingPreTaxTotal", "Pre-tax charge in the pricing currency", .decimal, basic: true),
        C("pricingCurrency", "Pricing currency", basic: true),
        C("serviceInfo1", "Service information 1"),
        C("serviceInfo2", "Service information 2"),
        C("tags", "Resource tags"),
        C("additionalInfo", "JSON (often JSON-encoded in a string); carries ReservationOrderId/ReservationId for reservation-covered usage", .json, basic: true),
        C("effectiveUnitPrice", "Effective unit price", .decimal, basic: true),
        C("pcToBCExchangeRate", "Pricing-to-billing currency rate", .decimal, basic: true),
        C("pcToBCExchangeRateDate", "Date of that rate", .date),
        C("entitlementId", "The Azure subscription id", basic: true),
        C("entitlementDescription", "The Azure subscription's name"),
        C("rateOfPartnerEarnedCredit", "Partner earned credit, 0–1 (0 or 0.15)", .decimal, aliases: ["PartnerEarnedCreditPercentage"]),
        C("rateOfCredit", "Azure credit rate, 0–1", .decimal, basic: true, aliases: ["CreditPercentage"]),
        C("creditType", "Credit Not Applied, Azure Credit Applied, …", basic: true),
        C("benefitOrderId", "Savings plan order id (blank for other products)", basic: true, aliases: ["BenefitOrderID"]),
        C("benefitId", "Savings plan id", aliases: ["BenefitID"]),
        C("benefitType", "SavingsPlan, Charge, …", basic: true),
    ]

    /// Aliases whose values are percentages (0–100) where the column holds a rate (0–1).
    public static let percentAliases: Set<String> = ["partnerearnedcreditpercentage", "creditpercentage"]
}

// MARK: - Wire documents

extension GraphBilling {
    /// The body of an export POST (addendum §3.4).
    public struct ExportRequest: Codable, Hashable, Sendable {
        public var invoiceId: String?
        public var billingPeriod: String?
        public var currencyCode: String?
        public var attributeSet: String?
        public init(invoiceId: String? = nil, billingPeriod: String? = nil, currencyCode: String? = nil, attributeSet: String? = nil) {
            self.invoiceId = invoiceId
            self.billingPeriod = billingPeriod
            self.currencyCode = currencyCode
            self.attributeSet = attributeSet
        }
    }

    /// A blob of a manifest (addendum §3.6).
    public struct Blob: Codable, Hashable, Sendable {
        public var name: String
        public var partitionValue: String?
        public init(name: String, partitionValue: String? = nil) {
            self.name = name
            self.partitionValue = partitionValue
        }
    }

    /// A manifest (addendum §3.6). Unknown members are ignored; `blobCount` may be a string.
    public struct Manifest: Codable, Hashable, Sendable {
        public var id: String
        public var schemaVersion: String?
        public var dataFormat: String?
        public var createdDateTime: String?
        public var eTag: String?
        public var partnerTenantId: String?
        public var rootDirectory: String
        public var sasToken: String
        public var partitionType: String?
        public var blobCount: Int?
        public var blobs: [Blob]

        public init(id: String, schemaVersion: String? = "2", dataFormat: String? = "compressedJSON", createdDateTime: String?,
                    eTag: String?, partnerTenantId: String?, rootDirectory: String, sasToken: String,
                    partitionType: String? = "default", blobs: [Blob]) {
            self.id = id
            self.schemaVersion = schemaVersion
            self.dataFormat = dataFormat
            self.createdDateTime = createdDateTime
            self.eTag = eTag
            self.partnerTenantId = partnerTenantId
            self.rootDirectory = rootDirectory
            self.sasToken = sasToken
            self.partitionType = partitionType
            self.blobCount = blobs.count
            self.blobs = blobs
        }

        enum CodingKeys: String, CodingKey {
            case id, schemaVersion, dataFormat, createdDateTime, eTag, partnerTenantId, rootDirectory, sasToken, partitionType, blobCount, blobs
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = (try? c.decode(String.self, forKey: .id)) ?? ""
            schemaVersion = Self.text(c, .schemaVersion)
            dataFormat = Self.text(c, .dataFormat)
            createdDateTime = Self.text(c, .createdDateTime)
            eTag = Self.text(c, .eTag)
            partnerTenantId = Self.text(c, .partnerTenantId)
            rootDirectory = Self.text(c, .rootDirectory) ?? ""
            sasToken = Self.text(c, .sasToken) ?? ""
            partitionType = Self.text(c, .partitionType)
            blobCount = (try? c.decodeIfPresent(Int.self, forKey: .blobCount)) ?? Self.text(c, .blobCount).flatMap { Int($0) }
            blobs = (try? c.decodeIfPresent([Blob].self, forKey: .blobs)) ?? []
        }

        private static func text(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) -> String? {
            if let s = try? c.decodeIfPresent(String.self, forKey: key) { return s }
            if let n = try? c.decodeIfPresent(Int.self, forKey: key) { return String(n) }
            return nil
        }

        /// Whether the data format is gzip + JSON lines (`compressedJSON`, `compressedJSONLines`).
        public var isCompressedJSON: Bool { (dataFormat ?? "compressedJSON").lowercased().hasPrefix("compressedjson") }

        /// The URL of one blob: `{rootDirectory}/{name}?{sasToken}` (one trailing `/` and one
        /// leading `?` trimmed, addendum §3.7).
        public func url(of blob: Blob) -> String {
            let root = rootDirectory.hasSuffix("/") ? String(rootDirectory.dropLast()) : rootDirectory
            let sas = sasToken.hasPrefix("?") ? String(sasToken.dropFirst()) : sasToken
            return root + "/" + blob.name + (sas.isEmpty ? "" : "?" + sas)
        }
    }

    /// The `error` of a failed operation: code and message are strings (addendum §3.5).
    public struct OperationError: Codable, Hashable, Sendable {
        public var code: String?
        public var message: String?
        public init(code: String?, message: String?) {
            self.code = code
            self.message = message
        }
        enum CodingKeys: String, CodingKey { case code, message }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            code = (try? c.decodeIfPresent(String.self, forKey: .code)) ?? (try? c.decodeIfPresent(Int.self, forKey: .code)).flatMap { $0.map(String.init) }
            message = try? c.decodeIfPresent(String.self, forKey: .message)
        }
    }

    /// Where an operation's state stands.
    public enum OperationState: Sendable, Hashable {
        /// `notStarted` / `running` (or a status this version does not know): poll again.
        case running
        /// `succeeded` / `completed`, or an `exportSuccessOperation`.
        case succeeded
        /// `failed`: terminal.
        case failed
    }

    /// An operation's status document (addendum §3.5). `resourceLocation` is read whichever way
    /// it comes: an inline manifest object, a URL string, or `resourceLocation@odata.navigationLink`.
    public struct Operation: Codable, Hashable, Sendable {
        public var odataType: String?
        public var id: String
        public var status: String
        public var createdDateTime: String?
        public var lastActionDateTime: String?
        /// The manifest, when inline.
        public var manifest: Manifest?
        /// The manifest's URL, when linked.
        public var manifestLink: String?
        public var error: OperationError?

        public init(odataType: String?, id: String, status: String, createdDateTime: String?, lastActionDateTime: String?,
                    manifest: Manifest? = nil, manifestLink: String? = nil, error: OperationError? = nil) {
            self.odataType = odataType
            self.id = id
            self.status = status
            self.createdDateTime = createdDateTime
            self.lastActionDateTime = lastActionDateTime
            self.manifest = manifest
            self.manifestLink = manifestLink
            self.error = error
        }

        enum CodingKeys: String, CodingKey {
            case odataType = "@odata.type", id, status, createdDateTime, lastActionDateTime, resourceLocation
            case navigationLink = "resourceLocation@odata.navigationLink", error
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            odataType = try? c.decodeIfPresent(String.self, forKey: .odataType)
            id = (try? c.decodeIfPresent(String.self, forKey: .id)) ?? ""
            status = (try? c.decodeIfPresent(String.self, forKey: .status)) ?? ""
            createdDateTime = try? c.decodeIfPresent(String.self, forKey: .createdDateTime)
            lastActionDateTime = try? c.decodeIfPresent(String.self, forKey: .lastActionDateTime)
            manifest = try? c.decodeIfPresent(Manifest.self, forKey: .resourceLocation)
            manifestLink = (try? c.decodeIfPresent(String.self, forKey: .navigationLink))
                ?? (try? c.decodeIfPresent(String.self, forKey: .resourceLocation))
            error = try? c.decodeIfPresent(OperationError.self, forKey: .error)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeIfPresent(odataType, forKey: .odataType)
            try c.encode(id, forKey: .id)
            try c.encode(status, forKey: .status)
            try c.encodeIfPresent(createdDateTime, forKey: .createdDateTime)
            try c.encodeIfPresent(lastActionDateTime, forKey: .lastActionDateTime)
            try c.encodeIfPresent(manifest, forKey: .resourceLocation)
            try c.encodeIfPresent(manifestLink, forKey: .navigationLink)
            try c.encodeIfPresent(error, forKey: .error)
        }

        /// The state, by the tolerant rule of addendum §3.5 (case-insensitive; `succeeded`,
        /// `completed` or an `exportSuccessOperation` type is success).
        public var state: OperationState {
            let s = status.lowercased()
            let type = (odataType ?? "").lowercased()
            if s == "failed" || type.hasSuffix("failedoperation") { return .failed }
            if s == "succeeded" || s == "completed" || type.hasSuffix("exportsuccessoperation") { return .succeeded }
            return .running
        }
    }

    /// The Graph error envelope: `{"error":{"code","message","innerError":{"request-id","date"}}}`.
    public struct ErrorEnvelope: Codable, Hashable, Sendable {
        public struct Inner: Codable, Hashable, Sendable {
            public var requestId: String?
            public var date: String?
            enum CodingKeys: String, CodingKey { case requestId = "request-id", date }
            public init(requestId: String?, date: String?) {
                self.requestId = requestId
                self.date = date
            }
        }
        public struct Body: Codable, Hashable, Sendable {
            public var code: String
            public var message: String
            public var innerError: Inner?
            public init(code: String, message: String, innerError: Inner?) {
                self.code = code
                self.message = message
                self.innerError = innerError
            }
        }
        public var error: Body
        public init(code: String, message: String, requestId: String?, date: String?) {
            error = Body(code: code, message: message, innerError: Inner(requestId: requestId, date: date))
        }
    }
}

extension GraphBilling {
    /// An Azure Storage error answer (an expired or wrong SAS: 403 `AuthenticationFailed`), XML with
    /// `Code` and `Message`; the code also travels in `x-ms-error-code`.
    public struct StorageError: Hashable, Sendable {
        public var code: String
        public var message: String
        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }

        /// The XML body Azure Storage sends.
        public var xml: String {
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>\(Self.escape(code))</Code><Message>\(Self.escape(message))</Message></Error>"
        }

        /// Reads `Code` and `Message` from an Azure Storage XML error body (nil when it is not one).
        public init?(xml text: String) {
            guard let code = Self.element("Code", in: text) else { return nil }
            self.code = code
            self.message = Self.element("Message", in: text) ?? ""
        }

        private static func element(_ name: String, in text: String) -> String? {
            guard let open = text.range(of: "<\(name)>"), let close = text.range(of: "</\(name)>", range: open.upperBound..<text.endIndex)
            else { return nil }
            return String(text[open.upperBound..<close.lowerBound])
                .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
                .replacingOccurrences(of: "&amp;", with: "&")
        }

        private static func escape(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
    }
}

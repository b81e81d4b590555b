import Foundation

/// One nested summary of ``InvoiceSummary/details``.
public struct InvoiceSummaryDetail: Codable, Hashable, Sendable {
    /// `Recurring` or `OneTime`.
    public var invoiceType: InvoiceType?
    /// The summary for that type.
    public var summary: InvoiceSummary?
    /// Makes a detail.
    public init(invoiceType: InvoiceType?, summary: InvoiceSummary?) {
        self.invoiceType = invoiceType
        self.summary = summary
    }
}

/// The account balance (`InvoiceSummary`); top-level `balanceAmount` = Σ details.
public final class InvoiceSummary: Codable, Hashable, Sendable {
    /// Balance.
    public let balanceAmount: Decimal?
    /// Currency.
    public let currencyCode: String?
    /// Currency symbol.
    public let currencySymbol: String?
    /// Accounting date.
    public let accountingDate: Date?
    /// First invoice date.
    public let firstInvoiceCreationDate: Date?
    /// Last payment date.
    public let lastPaymentDate: Date?
    /// Last payment amount.
    public let lastPaymentAmount: Decimal?
    /// Latest invoice date.
    public let latestInvoiceDate: Date?
    /// Per invoice type.
    public let details: [InvoiceSummaryDetail]?
    /// `self`.
    public let links: Links?
    /// `{"objectType": "InvoiceSummary"}`.
    public let attributes: ResourceAttributes?
    /// Makes a summary.
    public init(balanceAmount: Decimal?, currencyCode: String?, currencySymbol: String?, accountingDate: Date? = nil,
                firstInvoiceCreationDate: Date? = nil, lastPaymentDate: Date? = nil, lastPaymentAmount: Decimal? = nil,
                latestInvoiceDate: Date? = nil, details: [InvoiceSummaryDetail]? = nil, links: Links? = nil) {
        self.balanceAmount = balanceAmount
        self.currencyCode = currencyCode
        self.currencySymbol = currencySymbol
        self.accountingDate = accountingDate
        self.firstInvoiceCreationDate = firstInvoiceCreationDate
        self.lastPaymentDate = lastPaymentDate
        self.lastPaymentAmount = lastPaymentAmount
        self.latestInvoiceDate = latestInvoiceDate
        self.details = details
        self.links = links
        self.attributes = ResourceAttributes(objectType: "InvoiceSummary")
    }
    /// Structural equality.
    public static func == (lhs: InvoiceSummary, rhs: InvoiceSummary) -> Bool {
        lhs.balanceAmount == rhs.balanceAmount && lhs.currencyCode == rhs.currencyCode && lhs.details == rhs.details
            && lhs.accountingDate == rhs.accountingDate && lhs.lastPaymentAmount == rhs.lastPaymentAmount
    }
    /// Structural hash.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(balanceAmount)
        hasher.combine(currencyCode)
    }
}

/// A tax receipt of an invoice.
public struct TaxReceipt: Codable, Hashable, Sendable {
    /// Receipt id.
    public var id: String?
    /// Relative PDF link.
    public var taxReceiptPdfDownloadLink: String?
    /// Makes a receipt.
    public init(id: String?, taxReceiptPdfDownloadLink: String?) {
        self.id = id
        self.taxReceiptPdfDownloadLink = taxReceiptPdfDownloadLink
    }
}

/// One `invoiceDetails` entry: which line items an invoice has and where to read them.
public struct InvoiceDetail: Codable, Hashable, Sendable {
    /// `billing_line_items`, `usage_line_items`.
    public var invoiceLineItemType: InvoiceLineItemType?
    /// `one_time`, `azure`, `office`, ….
    public var billingProvider: BillingProvider?
    /// `self` = the line-item URI.
    public var links: Links?
    /// `{"objectType": "InvoiceDetail"}`.
    public var attributes: ResourceAttributes?
    /// Makes a detail.
    public init(invoiceLineItemType: InvoiceLineItemType?, billingProvider: BillingProvider?) {
        self.invoiceLineItemType = invoiceLineItemType
        self.billingProvider = billingProvider
        self.attributes = ResourceAttributes(objectType: "InvoiceDetail")
    }
}

/// An invoice (`Invoice`).
public struct Invoice: Codable, Hashable, Sendable {
    /// Invoice id, e.g. `G000024130`.
    public var id: String
    /// Invoice date.
    public var invoiceDate: Date?
    /// Billing period start (get-by-id).
    public var billingPeriodStartDate: Date?
    /// Billing period end (get-by-id).
    public var billingPeriodEndDate: Date?
    /// Total charges.
    public var totalCharges: Decimal?
    /// Paid amount (negative when paid).
    public var paidAmount: Decimal?
    /// Currency.
    public var currencyCode: String?
    /// Currency symbol.
    public var currencySymbol: String?
    /// Relative statement link.
    public var pdfDownloadLink: String?
    /// Tax receipts.
    public var taxReceipts: [TaxReceipt]?
    /// Line-item kinds.
    public var invoiceDetails: [InvoiceDetail]?
    /// Amendments (adjustment notes).
    public var amendments: [Invoice]?
    /// `invoice`, `void_note`, `adjustment_note`.
    public var documentType: InvoiceDocumentType?
    /// The invoice amended.
    public var amendsOf: String?
    /// `Recurring`, `OneTime`.
    public var invoiceType: InvoiceType?
    /// e.g. `active`.
    public var status: String?
    /// `self`.
    public var links: Links?
    /// `{"objectType": "Invoice"}`.
    public var attributes: ResourceAttributes?
    /// Makes an invoice with only an id.
    public init(id: String) { self.id = id }
}

/// An invoice estimate link (`EstimateLink`).
public struct EstimateLink: Codable, Hashable, Sendable {
    /// `daily_rated_usage`, `non_consumption`.
    public var type: String?
    /// Title.
    public var title: String?
    /// Description.
    public var description: String?
    /// `current`, `previous`.
    public var period: String?
    /// The link.
    public var link: Link?
    /// Makes an estimate link.
    public init(type: String?, period: String?, link: Link?) {
        self.type = type
        self.period = period
        self.link = link
    }
}

/// A one-time (RI, software, NCE) billing line (`OneTimeInvoiceLineItem`).
public struct OneTimeInvoiceLineItem: Codable, Hashable, Sendable {
    /// Partner tenant id.
    public var partnerId: String?
    /// Customer tenant id.
    public var customerId: String?
    /// Customer name.
    public var customerName: String?
    /// Customer domain.
    public var customerDomainName: String?
    /// Customer country.
    public var customerCountry: String?
    /// Invoice number.
    public var invoiceNumber: String?
    /// MPN id (number or string on the wire).
    public var mpnId: String?
    /// Reseller MPN id (0 when none).
    public var resellerMpnId: String?
    /// Order id.
    public var orderId: String?
    /// Order date.
    public var orderDate: Date?
    /// Product id.
    public var productId: String?
    /// SKU id.
    public var skuId: String?
    /// Availability id.
    public var availabilityId: String?
    /// Product name.
    public var productName: String?
    /// SKU name.
    public var skuName: String?
    /// Qualifiers.
    public var productQualifiers: [String]?
    /// `New`, `Cancel`, ….
    public var chargeType: String?
    /// Unit price.
    public var unitPrice: Decimal?
    /// Effective unit price.
    public var effectiveUnitPrice: Decimal?
    /// Unit type.
    public var unitType: String?
    /// Quantity.
    public var quantity: Decimal?
    /// Subtotal.
    public var subtotal: Decimal?
    /// Tax.
    public var taxTotal: Decimal?
    /// Total for customer.
    public var totalForCustomer: Decimal?
    /// Currency.
    public var currency: String?
    /// Publisher.
    public var publisherName: String?
    /// Publisher id.
    public var publisherId: String?
    /// Subscription description.
    public var subscriptionDescription: String?
    /// Subscription id.
    public var subscriptionId: String?
    /// Subscription start.
    public var subscriptionStartDate: Date?
    /// Subscription end.
    public var subscriptionEndDate: Date?
    /// Charge start.
    public var chargeStartDate: Date?
    /// Charge end.
    public var chargeEndDate: Date?
    /// e.g. `1 Year Subscription`.
    public var termAndBillingCycle: String?
    /// Order alternate id.
    public var alternateId: String?
    /// Reference id.
    public var referenceId: String?
    /// JSON-encoded string array.
    public var priceAdjustmentDescription: String?
    /// Deprecated.
    public var discountDetails: String?
    /// Pricing currency.
    public var pricingCurrency: String?
    /// Exchange rate.
    public var pcToBCExchangeRate: Decimal?
    /// Exchange rate date.
    public var pcToBCExchangeRateDate: Date?
    /// Billable quantity.
    public var billableQuantity: Decimal?
    /// Meter description.
    public var meterDescription: String?
    /// e.g. `Monthly`.
    public var billingFrequency: String?
    /// Azure reservation order id (join key to the entitlement artifact).
    public var reservationOrderId: String?
    /// Credit reason.
    public var creditReasonCode: String?
    /// Promotion id.
    public var promotionId: String?
    /// `billing_line_items`.
    public var invoiceLineItemType: InvoiceLineItemType?
    /// `one_time`.
    public var billingProvider: BillingProvider?
    /// `{"objectType": "OneTimeInvoiceLineItem"}`.
    public var attributes: ResourceAttributes?
    /// Makes an empty line.
    public init() {}
}

/// A daily rated usage line (`DailyRatedUsageLineItem`, provider `marketplace`).
public struct DailyRatedUsageLineItem: Codable, Hashable, Sendable {
    /// Partner id.
    public var partnerId: String?
    /// Partner name.
    public var partnerName: String?
    /// Customer id.
    public var customerId: String?
    /// Customer name.
    public var customerName: String?
    /// Customer domain.
    public var customerDomainName: String?
    /// Customer country.
    public var customerCountry: String?
    /// Invoice number.
    public var invoiceNumber: String?
    /// Product id.
    public var productId: String?
    /// SKU id.
    public var skuId: String?
    /// Availability id.
    public var availabilityId: String?
    /// SKU name.
    public var skuName: String?
    /// Product name.
    public var productName: String?
    /// Publisher.
    public var publisherName: String?
    /// Subscription id.
    public var subscriptionId: String?
    /// Charge start.
    public var chargeStartDate: Date?
    /// Charge end.
    public var chargeEndDate: Date?
    /// Usage date.
    public var usageDate: Date?
    /// Meter category.
    public var meterCategory: String?
    /// Meter name.
    public var meterName: String?
    /// Meter region.
    public var meterRegion: String?
    /// Unit of measure.
    public var unitOfMeasure: String?
    /// Resource location.
    public var resourceLocation: String?
    /// Charge type.
    public var chargeType: String?
    /// Unit price.
    public var unitPrice: Decimal?
    /// Quantity.
    public var quantity: Decimal?
    /// Pre-tax total in billing currency.
    public var billingPreTaxTotal: Decimal?
    /// Billing currency.
    public var billingCurrency: String?
    /// Pre-tax total in pricing currency.
    public var pricingPreTaxTotal: Decimal?
    /// Pricing currency.
    public var pricingCurrency: String?
    /// Entitlement (Azure subscription) id.
    public var entitlementId: String?
    /// Effective unit price.
    public var effectiveUnitPrice: Decimal?
    /// Credit type.
    public var creditType: String?
    /// Benefit type.
    public var benefitType: String?
    /// `usage_line_items`.
    public var invoiceLineItemType: InvoiceLineItemType?
    /// `marketplace`.
    public var billingProvider: BillingProvider?
    /// `{"objectType": "DailyRatedUsageLineItem"}`.
    public var attributes: ResourceAttributes?
    /// Makes an empty line.
    public init() {}
}

/// A legacy license-based (`office`) billing line (`LicenseBasedLineItem`).
public struct LicenseBasedLineItem: Codable, Hashable, Sendable {
    /// Partner id.
    public var partnerId: String?
    /// Customer id.
    public var customerId: String?
    /// Customer name.
    public var customerName: String?
    /// MPN id.
    public var mpnId: String?
    /// Tier-2 MPN id.
    public var tier2MpnId: String?
    /// Order id.
    public var orderId: String?
    /// Subscription id.
    public var subscriptionId: String?
    /// Offer id.
    public var offerId: String?
    /// Durable offer id.
    public var durableOfferId: String?
    /// Offer name.
    public var offerName: String?
    /// Domain name.
    public var domainName: String?
    /// e.g. `MONTHLY`.
    public var billingCycleType: String?
    /// Subscription name.
    public var subscriptionName: String?
    /// Charge start.
    public var chargeStartDate: Date?
    /// Charge end.
    public var chargeEndDate: Date?
    /// Charge type.
    public var chargeType: String?
    /// Unit price.
    public var unitPrice: Decimal?
    /// Quantity.
    public var quantity: Decimal?
    /// Amount.
    public var amount: Decimal?
    /// Other discount.
    public var totalOtherDiscount: Decimal?
    /// Subtotal.
    public var subtotal: Decimal?
    /// Tax.
    public var tax: Decimal?
    /// Total.
    public var totalForCustomer: Decimal?
    /// Currency.
    public var currency: String?
    /// `billing_line_items`.
    public var invoiceLineItemType: InvoiceLineItemType?
    /// `office`.
    public var billingProvider: BillingProvider?
    /// `{"objectType": "LicenseBasedLineItem"}`.
    public var attributes: ResourceAttributes?
    /// Makes an empty line.
    public init() {}
}

/// A legacy Azure billing (`UsageBasedLineItem`) or usage (`DailyUsageLineItem`) line.
public struct AzureInvoiceLineItem: Codable, Hashable, Sendable {
    /// Partner id.
    public var partnerId: String?
    /// Partner name.
    public var partnerName: String?
    /// Customer id.
    public var customerId: String?
    /// Customer company name.
    public var customerCompanyName: String?
    /// MPN id.
    public var mpnId: String?
    /// Invoice number.
    public var invoiceNumber: String?
    /// Subscription id.
    public var subscriptionId: String?
    /// Subscription name.
    public var subscriptionName: String?
    /// Order id.
    public var orderId: String?
    /// Service name.
    public var serviceName: String?
    /// Service type.
    public var serviceType: String?
    /// Resource GUID.
    public var resourceGuid: String?
    /// Resource name.
    public var resourceName: String?
    /// Region.
    public var region: String?
    /// Consumed quantity.
    public var consumedQuantity: Decimal?
    /// Charge start.
    public var chargeStartDate: Date?
    /// Charge end.
    public var chargeEndDate: Date?
    /// Unit.
    public var unit: String?
    /// Usage date (usage lines).
    public var usageDate: Date?
    /// SKU.
    public var sku: String?
    /// Included quantity.
    public var includedQuantity: Decimal?
    /// Overage quantity.
    public var overageQuantity: Decimal?
    /// List price.
    public var listPrice: Decimal?
    /// Consumption price.
    public var consumptionPrice: Decimal?
    /// Currency.
    public var currency: String?
    /// Pre-tax charges.
    public var pretaxCharges: Decimal?
    /// Tax amount.
    public var taxAmount: Decimal?
    /// Post-tax total.
    public var postTaxTotal: Decimal?
    /// Charge type.
    public var chargeType: String?
    /// `billing_line_items` or `usage_line_items`.
    public var invoiceLineItemType: InvoiceLineItemType?
    /// `azure`.
    public var billingProvider: BillingProvider?
    /// `UsageBasedLineItem` or `DailyUsageLineItem`.
    public var attributes: ResourceAttributes?
    /// Makes an empty line.
    public init() {}
}

/// Any invoice line item, discriminated like the SDK (by `billingProvider` + `invoiceLineItemType`,
/// falling back to `attributes.objectType`); unrecognized kinds keep their raw JSON.
public enum InvoiceLineItem: Codable, Hashable, Sendable {
    /// `one_time` + `billing_line_items`.
    case oneTime(OneTimeInvoiceLineItem)
    /// `marketplace` + `usage_line_items`.
    case dailyRatedUsage(DailyRatedUsageLineItem)
    /// `office` + `billing_line_items`.
    case licenseBased(LicenseBasedLineItem)
    /// `azure` (billing or usage).
    case azure(AzureInvoiceLineItem)
    /// Anything else, as sent.
    case other(JSONValue)

    private struct Probe: Decodable {
        var billingProvider: BillingProvider?
        var invoiceLineItemType: InvoiceLineItemType?
        var attributes: ResourceAttributes?
    }

    /// Decodes by discriminator.
    public init(from decoder: any Decoder) throws {
        let probe = try Probe(from: decoder)
        let objectType = probe.attributes?.objectType.map(wireNormalized)
        switch (probe.billingProvider, probe.invoiceLineItemType) {
        case (.oneTime?, _), (.all?, _): self = .oneTime(try OneTimeInvoiceLineItem(from: decoder))
        case (.marketplace?, _): self = .dailyRatedUsage(try DailyRatedUsageLineItem(from: decoder))
        case (.office?, _): self = .licenseBased(try LicenseBasedLineItem(from: decoder))
        case (.azure?, _): self = .azure(try AzureInvoiceLineItem(from: decoder))
        default:
            switch objectType {
            case "onetimeinvoicelineitem": self = .oneTime(try OneTimeInvoiceLineItem(from: decoder))
            case "dailyratedusagelineitem": self = .dailyRatedUsage(try DailyRatedUsageLineItem(from: decoder))
            case "licensebasedlineitem": self = .licenseBased(try LicenseBasedLineItem(from: decoder))
            case "usagebasedlineitem", "dailyusagelineitem": self = .azure(try AzureInvoiceLineItem(from: decoder))
            default: self = .other(try JSONValue(from: decoder))
            }
        }
    }

    /// Encodes the wrapped line.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .oneTime(let item): try item.encode(to: encoder)
        case .dailyRatedUsage(let item): try item.encode(to: encoder)
        case .licenseBased(let item): try item.encode(to: encoder)
        case .azure(let item): try item.encode(to: encoder)
        case .other(let value): try value.encode(to: encoder)
        }
    }
}

import Foundation
import PartnerCenterModels

/// Invoice documents, one-time lines and the statement PDF.
enum SandboxBilling {
    /// The invoice `--scale lineitems=N` fills with N generated one-time lines.
    static let scaleInvoiceId = "G100000001"
    /// The invoice `--scale reconlines=N,usagelines=N` adds (the newest): N generated one-time
    /// lines (v1 and v2 reconciliation alike) and N generated daily-rated usage lines.
    static let graphScaleInvoiceId = "G100000002"

    static func invoiceModel(id: String, type: InvoiceType, currency: String, date: Date, total: Decimal, paid: Decimal,
                             providers: [(BillingProvider, InvoiceLineItemType)]) -> Invoice {
        var invoice = Invoice(id: id)
        let typeText = type == .oneTime ? "OneTime" : "Recurring"
        invoice.invoiceDate = date
        invoice.billingPeriodStartDate = date.addingTimeInterval(-30 * 86400)
        invoice.billingPeriodEndDate = date.addingTimeInterval(-86400)
        invoice.totalCharges = total
        invoice.paidAmount = paid
        invoice.currencyCode = currency
        invoice.currencySymbol = SandboxCatalog.currencies.values.first { $0.code == currency }?.symbol ?? currency
        invoice.pdfDownloadLink = OperationCatalog["invoices.statement"].link(["invoice_id": id])
        invoice.taxReceipts = []
        invoice.amendments = []
        invoice.invoiceDetails = providers.map { provider, lineType in
            var detail = InvoiceDetail(invoiceLineItemType: lineType, billingProvider: provider)
            let providerPath = provider == .oneTime ? "OneTime" : provider == .azure ? "Azure" : "Office"
            let typePath = lineType == .usageLineItems ? "UsageLineItems" : "BillingLineItems"
            detail.links = Links(["self": Link(uri: OperationCatalog["invoices.line_items"].alternateLink(0, [
                "invoice_id": "\(typeText)-\(id)", "provider": providerPath, "invoice_line_item_type": typePath]))])
            return detail
        }
        invoice.documentType = .invoice
        invoice.invoiceType = type
        invoice.links = Links(["self": Link(uri: OperationCatalog["invoices.get"].link(["invoice_id": "\(typeText)-\(id)"]))])
        invoice.attributes = ResourceAttributes(objectType: "Invoice")
        return invoice
    }

    /// What a one-time charge bills: a reservation SKU or a savings plan.
    struct Chargeable: Sendable {
        let productId: String
        let skuId: String
        let productName: String
        let skuName: String
        let years: Int
    }

    static func oneTimeLine(partner: PartnerRecord, customerId: String, customerName: String, customerDomain: String, country: String,
                            invoiceId: String, orderId: String, alternateId: String, orderDate: Date, sku: Chargeable, quantity: Int,
                            unitPrice: Decimal, currency: String, reservationOrderId: String) -> OneTimeInvoiceLineItem {
        var line = OneTimeInvoiceLineItem()
        let subtotal = unitPrice * Decimal(quantity)
        line.partnerId = partner.tenantId
        line.customerId = customerId
        line.customerName = customerName
        line.customerDomainName = customerDomain
        line.customerCountry = country
        line.invoiceNumber = invoiceId
        line.mpnId = partner.mpnId
        line.resellerMpnId = "0"
        line.orderId = orderId
        line.orderDate = orderDate
        line.productId = sku.productId
        line.skuId = sku.skuId
        line.availabilityId = SandboxCatalog.availabilityId(productId: sku.productId, skuId: sku.skuId, azurePlan: false)
        line.productName = sku.productName
        line.skuName = sku.skuName
        line.productQualifiers = []
        line.chargeType = "New"
        line.unitPrice = unitPrice
        line.effectiveUnitPrice = unitPrice
        line.unitType = ""
        line.quantity = Decimal(quantity)
        line.subtotal = subtotal
        line.taxTotal = 0
        line.totalForCustomer = subtotal
        line.currency = currency
        line.publisherName = "Microsoft Corporation"
        line.publisherId = ""
        line.subscriptionDescription = ""
        line.subscriptionId = ""
        let start = WireDate.parse(String(WireDate.format(orderDate).prefix(10)) + "T00:00:00Z") ?? orderDate
        line.chargeStartDate = start
        line.chargeEndDate = addingYears(sku.years, to: start).addingTimeInterval(-86400)
        line.termAndBillingCycle = sku.years == 1 ? "1 Year Subscription" : "3 Years Subscription"
        line.alternateId = alternateId
        line.referenceId = ""
        line.priceAdjustmentDescription = ""
        line.discountDetails = ""
        line.pricingCurrency = currency
        line.pcToBCExchangeRate = 1
        line.pcToBCExchangeRateDate = WireDate.parse(String(WireDate.format(orderDate).prefix(7)) + "-01T00:00:00Z")
        line.billableQuantity = Decimal(quantity)
        line.meterDescription = ""
        line.billingFrequency = ""
        line.reservationOrderId = reservationOrderId
        line.invoiceLineItemType = .billingLineItems
        line.billingProvider = .oneTime
        line.promotionId = ""
        line.attributes = ResourceAttributes(objectType: "OneTimeInvoiceLineItem")
        return line
    }

    /// A minimal, valid PDF (one page, Helvetica) showing the invoice id, date and total.
    static func statementPDF(invoiceId: String, date: Date, total: Decimal, currency: String, partnerName: String) -> Data {
        func escape(_ text: String) -> String {
            String(text.unicodeScalars.map { scalar -> String in
                switch scalar {
                case "(", ")", "\\": return "\\" + String(scalar)
                default:
                    if scalar.isASCII { return String(scalar) }
                    // Latin-1 letters exist in WinAnsiEncoding at the same code points: write them as octal escapes.
                    if (0xA0...0xFF).contains(scalar.value) { return "\\" + String(scalar.value, radix: 8) }
                    return "?"
                }
            }.joined())
        }
        let lines = [
            ("Helvetica-Bold", 20, "Invoice \(invoiceId)"),
            ("Helvetica", 12, "Invoice date: \(String(WireDate.format(date).prefix(10)))"),
            ("Helvetica", 12, "Total: \(total) \(currency)"),
            ("Helvetica", 10, "Billed to: \(partnerName)"),
            ("Helvetica", 8, "Generated by the pcx Partner Center sandbox - not a real invoice."),
        ]
        var content = "BT\n"
        var y = 760
        for (font, size, text) in lines {
            content += "/\(font == "Helvetica" ? "F1" : "F2") \(size) Tf\n1 0 0 1 72 \(y) Tm\n(\(escape(text))) Tj\n"
            y -= size + 14
        }
        content += "ET\n"
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
            "<< /Length \(content.utf8.count) >>\nstream\n\(content)endstream",
        ]
        var pdf = "%PDF-1.4\n%\u{E2}\u{E3}\u{CF}\u{D3}\n"
        var bytes = Data()
        func append(_ text: String) {
            bytes.append(contentsOf: Array(text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }))
        }
        append(pdf)
        var offsets: [Int] = []
        for (index, object) in objects.enumerated() {
            offsets.append(bytes.count)
            append("\(index + 1) 0 obj\n\(object)\nendobj\n")
        }
        let xref = bytes.count
        pdf = "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets { pdf += String(format: "%010d 00000 n \n", offset) }
        pdf += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R /Info << /Title (Invoice \(escape(invoiceId))) /Producer (pcx sandbox) >> >>\nstartxref\n\(xref)\n%%EOF\n"
        append(pdf)
        return bytes
    }
}

/// `date` plus whole calendar years in UTC (a 3-year term bought on 2026-11-24 ends on 2029-11-24,
/// leap days included; 29 February maps to 28 February in a common year).
func addingYears(_ years: Int, to date: Date) -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    return calendar.date(byAdding: .year, value: years, to: date) ?? date.addingTimeInterval(Double(years) * 365.25 * 86400)
}

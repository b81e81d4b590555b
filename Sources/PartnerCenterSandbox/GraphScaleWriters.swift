import Foundation
import PartnerCenterModels

// The Graph scale invoice's generated lines (`--scale reconlines=N,usagelines=M`), written from
// templates (`GraphFastLines.swift`): the same rows `GraphRows.recon` and `UsageRows.payg` make,
// encoded once per kind of line with sentinels, then spliced per line. Nothing is stored per line
// and memory does not grow with N.

/// The Graph scale invoice's reconciliation lines: its v1 one-time lines, made by index.
struct ScaleReconLines: GraphLineSource {
    let generator: ScaleLineGenerator
    let count: Int
    let prefix: String
    var identity: String? { "scale-recon|\(generator.invoiceId)|\(count)|\(generator.seed)|\(prefix)" }
    func writer(style: GraphLineStyle) -> any GraphLineWriter { ScaleReconWriter(generator: generator, prefix: prefix, style: style) }
}

/// Writes scale reconciliation lines: one template per (SKU, quantity), the customer, ids and dates spliced in.
final class ScaleReconWriter: GraphLineWriter {
    private let generator: ScaleLineGenerator
    private let prefix: String
    private let style: GraphLineStyle
    private let cacheKey: String
    private var templates: [SplicedTemplate?]
    /// Per customer: id, name, domain, country, JSON-escaped.
    private let customers: [[[UInt8]]]
    private let invoiceSeconds: Int
    /// The current line's ids.
    private var ids: [UInt8] = []

    // Sentinels where per-line values go, in slot order.
    private static let sentinelIds = ["@@ORDER@@", "@@ALTERNATE@@", "@@RESERVATION@@"]
    private static let sentinelDates = [631_152_001, 631_152_002, 631_152_003, 631_152_004]
    private static let sentinelCustomer = ["@@CID@@", "@@CNAME@@", "@@CDOMAIN@@", "@@CCOUNTRY@@"]
    private static let markers: [[UInt8]] = sentinelIds.map { Array($0.utf8) }
        + sentinelDates.map { seconds in var bytes: [UInt8] = []; LineBytes.appendDate(seconds, to: &bytes); return bytes }
        + sentinelCustomer.map { Array($0.utf8) }

    init(generator: ScaleLineGenerator, prefix: String, style: GraphLineStyle) {
        self.generator = generator
        self.prefix = prefix
        self.style = style
        cacheKey = style.cacheKey + "|" + prefix
        let cached = generator.graphTemplates.snapshot(cacheKey)
        templates = (0..<(generator.catalog.skus.count * 4)).map { cached[$0] }
        customers = generator.customers.map { [LineBytes.escaped($0.id), LineBytes.escaped($0.name), LineBytes.escaped($0.domain), LineBytes.escaped($0.country)] }
        invoiceSeconds = Int(generator.invoiceDate.timeIntervalSince1970.rounded(.down))
    }

    /// The template of a SKU and quantity: the line `GraphRows.recon` makes, with sentinels.
    private func template(sku skuIndex: Int, quantity: Int) -> SplicedTemplate {
        let kind = skuIndex * 4 + quantity
        if let hit = templates[kind] { return hit }
        let sku = generator.catalog.skus[skuIndex]
        let date = { (slot: Int) in Date(timeIntervalSince1970: Double(Self.sentinelDates[slot])) }
        var line = SandboxBilling.oneTimeLine(partner: generator.partner, customerId: Self.sentinelCustomer[0], customerName: Self.sentinelCustomer[1],
                                              customerDomain: Self.sentinelCustomer[2], country: Self.sentinelCustomer[3], invoiceId: generator.invoiceId,
                                              orderId: Self.sentinelIds[0], alternateId: Self.sentinelIds[1], orderDate: date(0), sku: sku.chargeable,
                                              quantity: quantity, unitPrice: sku.usdPrice, currency: "USD", reservationOrderId: Self.sentinelIds[2])
        line.chargeStartDate = date(1)
        line.chargeEndDate = date(2)
        line.pcToBCExchangeRateDate = date(3)
        var json: [UInt8] = []
        style.encode(GraphRows.recon(line, unbilled: false, prefix: prefix), to: &json)
        let made = SplicedTemplate(json: json, markers: Self.markers)
        templates[kind] = made
        generator.graphTemplates.store(cacheKey, kind, made)
        return made
    }

    func append(_ index: Int, to bytes: inout [UInt8]) {
        var random = generator.rng(index)
        let (skuIndex, quantity, customerIndex) = generator.parts(index)
        let customer = customers[customerIndex]
        let years = generator.catalog.skus[skuIndex].years
        // as ScaleLineGenerator.dates: the order a little before the invoice, the term from its day
        let order = invoiceSeconds - index % 86400
        let day = (order >= 0 ? order : order - 86399) / 86400
        let (year, month, _) = LineBytes.civil(day)
        let start = day * 86400, end = start + years * 365 * 86400 - 86400
        let monthStart = LineBytes.days(year: year, month: month, day: 1) * 86400
        // the ids are drawn in the line's order (order, alternate, reservation): 33 + 12 + 36 bytes
        ids.removeAll(keepingCapacity: true)
        LineBytes.appendOrderId(&random, to: &ids)
        LineBytes.appendHex(random.next(), digits: 12, to: &ids)
        LineBytes.appendGuid(&random, to: &ids)
        let scratch = ids
        template(sku: skuIndex, quantity: quantity).write(to: &bytes) { slot, out in
            switch slot {
            case 0: out.append(contentsOf: scratch[0..<33])
            case 1: out.append(contentsOf: scratch[33..<45])
            case 2: out.append(contentsOf: scratch[45..<81])
            case 3: LineBytes.appendDate(order, to: &out)
            case 4: LineBytes.appendDate(start, to: &out)
            case 5: LineBytes.appendDate(end, to: &out)
            case 6: LineBytes.appendDate(monthStart, to: &out)
            default: out.append(contentsOf: customer[slot - 7])
            }
        }
    }
}

/// The Graph scale invoice's usage lines, made by index (nothing stored): line `i` is a
/// pay-as-you-go row of subscription `i mod n` on day `(i / n) mod days` of the invoice's month,
/// meter `i mod 2`.
struct ScaleUsageLines: GraphLineSource {
    let count: Int
    let subscriptions: [UsageFacts.AzureSubscription]
    let frame: UsageFrame
    var identity: String? { "scale-usage|\(frame.invoiceNumber)|\(count)|\(subscriptions.count)" }
    func writer(style: GraphLineStyle) -> any GraphLineWriter { ScaleUsageWriter(lines: self, style: style) }
}

/// Writes scale usage lines: one template per (subscription, meter); the day, quantity and cost spliced in.
final class ScaleUsageWriter: GraphLineWriter {
    private let lines: ScaleUsageLines
    private let style: GraphLineStyle
    private var templates: [SplicedTemplate?]
    private let hashes: [UInt64]
    private let fromSeconds: Int
    private let days: Int

    private static let sentinelDay = 631_152_005
    private static let markers: [[UInt8]] = {
        var day: [UInt8] = []
        LineBytes.appendDate(sentinelDay, to: &day)
        return [day] + ["@@QUANTITY@@", "@@BILLINGTOTAL@@", "@@PRICINGTOTAL@@"].map { Array("\"\($0)\"".utf8) }
    }()

    init(lines: ScaleUsageLines, style: GraphLineStyle) {
        self.lines = lines
        self.style = style
        templates = Array(repeating: nil, count: lines.subscriptions.count * 2)
        hashes = lines.subscriptions.map { UsageRows.textHash($0.id) }
        fromSeconds = Int(lines.frame.from.timeIntervalSince1970.rounded(.down))
        days = max(1, Int(lines.frame.through.timeIntervalSince(lines.frame.from) / 86400) + 1)
    }

    /// The row `UsageRows.payg` makes for a subscription and meter, with sentinels.
    private func template(subscription index: Int, meter: Int) -> SplicedTemplate {
        let kind = index * 2 + meter
        if let hit = templates[kind] { return hit }
        let subscription = lines.subscriptions[index]
        let base = UsageRows.baseRow(subscription, frame: lines.frame, day: Date(timeIntervalSince1970: Double(Self.sentinelDay)))
        var row = UsageRows.payg(base, subscription: subscription, meter: meter, dayIndex: 0)
        row["quantity"] = .string("@@QUANTITY@@")
        row["billingPreTaxTotal"] = .string("@@BILLINGTOTAL@@")
        row["pricingPreTaxTotal"] = .string("@@PRICINGTOTAL@@")
        var json: [UInt8] = []
        style.encode(row, to: &json)
        let made = SplicedTemplate(json: json, markers: Self.markers)
        templates[kind] = made
        return made
    }

    func append(_ index: Int, to bytes: inout [UInt8]) {
        let count = lines.subscriptions.count
        let subscription = index % count, meter = index % 2
        let day = fromSeconds + (index / count) % days * 86400
        // UsageRows.payg: quantity (spin mod 2000 + 1) hundredths; cost quantity × 0.0184 or × 0.087, exact
        let centi = Int(UsageRows.mix(hash: hashes[subscription], index * 2 + meter) % 2000) + 1
        let (cost, scale) = meter == 0 ? (centi * 184, 6) : (centi * 87, 5)
        template(subscription: subscription, meter: meter).write(to: &bytes) { slot, out in
            switch slot {
            case 0: LineBytes.appendDate(day, to: &out)
            case 1: LineBytes.appendScaled(centi, scale: 2, to: &out)
            default: LineBytes.appendScaled(cost, scale: scale, to: &out)
            }
        }
    }
}

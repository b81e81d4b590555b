import Foundation
import PartnerCenterModels
import Synchronization

/// Generates the scale invoice's one-time lines by index: deterministic and O(1) per line.
///
/// Line `i` uses SKU `i mod skus`, quantity `1 + i mod 3`, customer `i mod customers` and ids
/// drawn from a generator seeded by `i`. Serving is template-based: the JSON of each
/// (SKU, quantity, customer) combination is encoded once with the models' encoder and the
/// per-line ids and dates are spliced in, so pages of 2000 cost little more than a copy.
struct ScaleLineGenerator: Sendable {
    let seed: UInt64
    let partner: PartnerRecord
    let customers: [(id: String, name: String, domain: String, country: String)]
    let catalog: SandboxCatalog
    let invoiceDate: Date
    /// The invoice the lines are on (`G100000001`, or the Graph scale invoice `G100000002`).
    let invoiceId: String
    private let templates = TemplateCache()
    /// Graph v2 line templates (`GraphScaleWriters.swift`), by style.
    let graphTemplates = GraphTemplateCache()

    init(seed: UInt64, partner: PartnerRecord, customers: [(id: String, name: String, domain: String, country: String)], catalog: SandboxCatalog,
         invoiceDate: Date, invoiceId: String = SandboxBilling.scaleInvoiceId) {
        self.invoiceId = invoiceId
        self.seed = seed
        self.partner = partner
        self.customers = customers.isEmpty ? [(id: partner.tenantId, name: partner.name, domain: partner.domain, country: "US")] : customers
        self.catalog = catalog
        self.invoiceDate = invoiceDate
    }

    func rng(_ index: Int) -> SplitMix64 {
        SplitMix64(seed: seed ^ (invoiceId == SandboxBilling.scaleInvoiceId ? 0x5CA1E : 0x6EA9) ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15))
    }

    func parts(_ index: Int) -> (Int, Int, Int) {
        (index % catalog.skus.count, 1 + index % 3, index % customers.count)
    }

    /// The sum of `totalForCustomer` over lines `0..<count`, computed per SKU/quantity cycle.
    func total(count: Int) -> Decimal {
        let period = catalog.skus.count * 3
        func partial(_ upTo: Int) -> Decimal {
            var sum: Decimal = 0
            for index in 0..<upTo {
                let (sku, quantity, _) = parts(index)
                sum += catalog.skus[sku].usdPrice * Decimal(quantity)
            }
            return sum
        }
        return partial(period) * Decimal(count / period) + partial(count % period)
    }

    private func dates(_ index: Int, years: Int) -> (Date, Date, Date, Date) {
        let orderDate = invoiceDate.addingTimeInterval(-Double(index % 86400))
        let day = (orderDate.timeIntervalSince1970 / 86400).rounded(.down) * 86400
        let start = Date(timeIntervalSince1970: day)
        let end = start.addingTimeInterval(Double(years) * 365 * 86400 - 86400)
        let month = WireDate.parse(String(WireDate.format(orderDate).prefix(7)) + "-01T00:00:00Z") ?? start
        return (orderDate, start, end, month)
    }

    /// The line as a model (used by tests and for cross-checking the template path).
    func line(at index: Int) -> OneTimeInvoiceLineItem {
        var random = rng(index)
        let (skuIndex, quantity, customerIndex) = parts(index)
        let sku = catalog.skus[skuIndex]
        let customer = customers[customerIndex]
        let (orderDate, start, end, month) = dates(index, years: sku.years)
        var line = SandboxBilling.oneTimeLine(partner: partner, customerId: customer.id, customerName: customer.name, customerDomain: customer.domain,
                                              country: customer.country, invoiceId: invoiceId, orderId: IDs.orderId(&random),
                                              alternateId: IDs.hex12(&random), orderDate: orderDate, sku: sku.chargeable, quantity: quantity,
                                              unitPrice: sku.usdPrice, currency: "USD", reservationOrderId: IDs.guid(&random))
        line.chargeStartDate = start
        line.chargeEndDate = end
        line.pcToBCExchangeRateDate = month
        return line
    }

    // Sentinels the template carries where per-line values go.
    private static let sentinelDates = [Date(timeIntervalSince1970: 631_152_001), Date(timeIntervalSince1970: 631_152_002),
                                        Date(timeIntervalSince1970: 631_152_003), Date(timeIntervalSince1970: 631_152_004)]
    private static let sentinelIds = ["@@ORDER@@", "@@ALTERNATE@@", "@@RESERVATION@@"]

    private func template(sku skuIndex: Int, quantity: Int, customer customerIndex: Int) -> [[UInt8]] {
        templates.get(key: (skuIndex * 4 + quantity) * 100_003 + customerIndex) {
            let sku = catalog.skus[skuIndex]
            let customer = customers[customerIndex]
            var line = SandboxBilling.oneTimeLine(partner: partner, customerId: customer.id, customerName: customer.name, customerDomain: customer.domain,
                                                  country: customer.country, invoiceId: invoiceId, orderId: Self.sentinelIds[0],
                                                  alternateId: Self.sentinelIds[1], orderDate: Self.sentinelDates[0], sku: sku.chargeable, quantity: quantity,
                                                  unitPrice: sku.usdPrice, currency: "USD", reservationOrderId: Self.sentinelIds[2])
            line.chargeStartDate = Self.sentinelDates[1]
            line.chargeEndDate = Self.sentinelDates[2]
            line.pcToBCExchangeRateDate = Self.sentinelDates[3]
            let json = Array((try? PartnerCenterJSON.encode(line)) ?? Data())
            // Split at each sentinel (in the order they appear), keeping which one it was.
            let markers: [[UInt8]] = Self.sentinelIds.map { Array("\"\($0)\"".utf8) } + Self.sentinelDates.map { Array("\"\(WireDate.format($0))\"".utf8) }
            var segments: [[UInt8]] = []
            var current: [UInt8] = []
            var index = 0
            while index < json.count {
                if json[index] == UInt8(ascii: "\""), let hit = markers.firstIndex(where: { json.count - index >= $0.count && Array(json[index..<(index + $0.count)]) == $0 }) {
                    segments.append(current)
                    segments.append([UInt8(hit)])  // marker slot
                    current = []
                    index += markers[hit].count
                } else {
                    current.append(json[index])
                    index += 1
                }
            }
            segments.append(current)
            return segments
        }
    }

    /// Appends line `index` as JSON (identical to encoding ``line(at:)``).
    func appendLine(at index: Int, to bytes: inout [UInt8]) {
        var random = rng(index)
        let (skuIndex, quantity, customerIndex) = parts(index)
        let segments = template(sku: skuIndex, quantity: quantity, customer: customerIndex)
        let ids = [IDs.orderId(&random), IDs.hex12(&random), IDs.guid(&random)]
        let (orderDate, start, end, month) = dates(index, years: catalog.skus[skuIndex].years)
        let dateValues = [orderDate, start, end, month]
        for (position, segment) in segments.enumerated() {
            if position % 2 == 0 {
                bytes.append(contentsOf: segment)
            } else {
                let slot = Int(segment[0])
                bytes.append(UInt8(ascii: "\""))
                if slot < 3 { bytes.append(contentsOf: ids[slot].utf8) } else { bytes.append(contentsOf: WireDate.format(dateValues[slot - 3]).utf8) }
                bytes.append(UInt8(ascii: "\""))
            }
        }
    }
}

/// Encoded line templates, shared by all requests.
final class TemplateCache: Sendable {
    private let storage = Mutex<[Int: [[UInt8]]]>([:])
    func get(key: Int, make: () -> [[UInt8]]) -> [[UInt8]] {
        if let hit = storage.withLock({ $0[key] }) { return hit }
        let value = make()
        storage.withLock { $0[key] = value }
        return value
    }
}

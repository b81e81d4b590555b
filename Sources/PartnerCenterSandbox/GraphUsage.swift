import Foundation
import GRDB
import PartnerCenterModels

// Daily-rated usage for Graph reconciliation v2 (addendum §3.9, §4): per Azure subscription of an
// Azure plan (`entitlementId` = AzureEntitlement id) per day, two pay-as-you-go meters with cost;
// per active reservation a zero-cost row of the hours it covered that day, carrying the
// reservation in `additionalInfo` (a JSON string); per savings plan a zero-cost row carrying
// `benefitOrderId`/`benefitType` SavingsPlan. Reservation purchases never appear as cost here.
// Everything is derived from the seeded and bought state, deterministically.

/// The facts usage is made from.
struct UsageFacts: Sendable {
    struct AzureSubscription: Sendable {
        let id: String, planId: String, name: String
        let customerId: String, customerName: String, domain: String, country: String
    }
    struct Reserved: Sendable {
        let orderId: String, reservationId: String, customerId: String
        let productId: String, skuId: String, skuName: String, armSize: String, region: String
        let quantity: Int, start: Date, end: Date, scopeSubscription: String?
    }
    struct Plan: Sendable {
        let orderId: String, benefitId: String, customerId: String, start: Date, end: Date, scopeSubscription: String?
    }
    var subscriptions: [AzureSubscription] = []
    var reservations: [Reserved] = []
    var plans: [Plan] = []
}

/// One usage export's frame: whose, which days, which currency and invoice.
struct UsageFrame: Sendable {
    let partner: PartnerRecord
    let from: Date
    let through: Date
    let currency: String
    /// The invoice (billed) or "" (unbilled).
    let invoiceNumber: String
}

enum UsageRows {
    /// A deterministic number from text and an index.
    static func mix(_ text: String, _ index: Int) -> UInt64 { mix(hash: textHash(text), index) }

    /// The text part of ``mix(_:_:)`` (FNV-1a of the lower-cased text), to compute once.
    static func textHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.lowercased().utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }

    static func mix(hash: UInt64, _ index: Int) -> UInt64 {
        var rng = SplitMix64(seed: hash ^ UInt64(bitPattern: Int64(index)))
        return rng.next()
    }

    /// Every usage row of the frame, day by day.
    static func rows(_ facts: UsageFacts, frame: UsageFrame) -> [[String: JSONValue]] {
        var out: [[String: JSONValue]] = []
        let subscriptions = facts.subscriptions.filter { SandboxCatalog.currency(for: $0.country).code == frame.currency }
        var day = frame.from
        while day <= frame.through {
            let dayIndex = Int(day.timeIntervalSince1970 / 86400)
            for subscription in subscriptions {
                let base = baseRow(subscription, frame: frame, day: day)
                out.append(payg(base, subscription: subscription, meter: 0, dayIndex: dayIndex))
                out.append(payg(base, subscription: subscription, meter: 1, dayIndex: dayIndex))
                let firstOfCustomer = subscriptions.first { $0.customerId == subscription.customerId }?.id == subscription.id
                for reserved in facts.reservations where reserved.customerId == subscription.customerId && reserved.start <= day.addingTimeInterval(86399) && reserved.end > day {
                    let target = subscriptions.contains { $0.id.caseInsensitiveCompare(reserved.scopeSubscription ?? "") == .orderedSame } ? reserved.scopeSubscription : nil
                    guard target.map({ $0.caseInsensitiveCompare(subscription.id) == .orderedSame }) ?? firstOfCustomer else { continue }
                    out.append(covered(base, reserved, subscriptionId: subscription.id, dayIndex: dayIndex))
                }
                for plan in facts.plans where plan.customerId == subscription.customerId && firstOfCustomer && plan.start <= day.addingTimeInterval(86399) && plan.end > day {
                    out.append(savingsPlan(base, plan, dayIndex: dayIndex))
                }
            }
            day = day.addingTimeInterval(86400)
        }
        return out
    }

    /// The columns every row of a subscription and day shares.
    static func baseRow(_ subscription: UsageFacts.AzureSubscription, frame: UsageFrame, day: Date) -> [String: JSONValue] {
        let date: (Date) -> JSONValue = { .string(SandboxEngine.graphDate($0, fraction: false)) }
        return [
            "partnerId": .string(frame.partner.tenantId), "partnerName": .string(frame.partner.name),
            "customerId": .string(subscription.customerId), "customerName": .string(subscription.customerName),
            "customerDomainName": .string(subscription.domain), "customerCountry": .string(subscription.country),
            "mpnId": .string(frame.partner.mpnId), "resellerMpnId": .string(""), "invoiceNumber": .string(frame.invoiceNumber),
            "productId": .string("DZH318Z0BPS6"), "skuId": .string("0001"), "availabilityId": .string("DZH318Z0BPS6:0001"),
            "skuName": .string("Azure plan"), "productName": .string("Azure plan"), "publisherName": .string("Microsoft"), "publisherId": .string(""),
            "subscriptionDescription": .string("Azure plan"), "subscriptionId": .string(subscription.planId),
            "chargeStartDate": date(frame.from), "chargeEndDate": date(frame.through), "usageDate": date(day),
            "billingCurrency": .string(frame.currency), "pricingCurrency": .string(frame.currency), "pcToBCExchangeRate": .number(1),
            "pcToBCExchangeRateDate": date(frame.from), "entitlementId": .string(subscription.id), "entitlementDescription": .string(subscription.name),
            "rateOfPartnerEarnedCredit": .number(0), "rateOfCredit": .number(0), "creditType": .string("Credit Not Applied"),
            "chargeType": .string("new"), "tags": .string(""), "serviceInfo1": .string(""), "serviceInfo2": .string(""),
            "benefitOrderId": .string(""), "benefitId": .string(""), "benefitType": .string(""), "additionalInfo": .string(""),
            "resourceGroup": .string("rg-\(subscription.customerName.lowercased().filter(\.isLetter).prefix(12))"),
        ]
    }

    /// The two pay-as-you-go meters: storage and data transfer, with cost (quantity × price, exact).
    static func payg(_ base: [String: JSONValue], subscription: UsageFacts.AzureSubscription, meter: Int, dayIndex: Int) -> [String: JSONValue] {
        var row = base
        let spin = mix(subscription.id, dayIndex * 2 + meter)
        let quantity = Decimal(Int(spin % 2000) + 1) / 100
        let price: Decimal = meter == 0 ? Decimal(string: "0.0184")! : Decimal(string: "0.087")!
        let names = meter == 0 ? ("Storage", "Standard Page Blob", "LRS Data Stored", "1 GB/Month", "Microsoft.Storage", "storageAccounts/stpcx")
                               : ("Bandwidth", "Rtn Preference: MGN", "Standard Data Transfer Out", "1 GB", "Microsoft.Compute", "virtualMachines/vm-pcx")
        row["meterCategory"] = .string(names.0)
        row["meterSubCategory"] = .string(names.1)
        row["meterName"] = .string(names.2)
        row["meterType"] = .string(names.2)
        row["meterId"] = .string(meter == 0 ? "a9a3f8b6-6c49-4b38-8f49-1c8d2b6d1a01" : "9995d93a-7d35-4d3f-9c69-7a7fea447ef4")
        row["meterRegion"] = .string("US East")
        row["resourceLocation"] = .string("eastus")
        row["unitOfMeasure"] = .string(names.3)
        row["unitType"] = .string(names.3)
        row["consumedService"] = .string(names.4)
        row["resourceUri"] = .string("/subscriptions/\(subscription.id)/resourceGroups/rg/providers/\(names.4)/\(names.5)")
        row["quantity"] = .number(quantity)
        row["unitPrice"] = .number(price)
        row["effectiveUnitPrice"] = .number(price)
        row["billingPreTaxTotal"] = .number(quantity * price)
        row["pricingPreTaxTotal"] = .number(quantity * price)
        return row
    }

    /// Utilization levels (percent) a reservation is given by its order id: some clearly under-used.
    static let utilization = [100, 98, 90, 75, 40, 10]

    /// The hours a reservation covered on a day: 24 × quantity × its utilization × a daily
    /// 90–100 % wobble (100 % when fully used), in hundredths.
    static func hours(_ reserved: UsageFacts.Reserved, dayIndex: Int) -> Decimal {
        let level = utilization[Int(mix(reserved.orderId, -1) % UInt64(utilization.count))]
        let wobble = level == 100 ? 100 : 90 + Int(mix(reserved.orderId, dayIndex) % 11)
        let centiHours = 2400 * reserved.quantity * level * wobble / 10_000
        return Decimal(centiHours) / 100
    }

    /// A reservation-covered row: the hours, no cost, the reservation in `additionalInfo`.
    static func covered(_ base: [String: JSONValue], _ reserved: UsageFacts.Reserved, subscriptionId: String, dayIndex: Int) -> [String: JSONValue] {
        var row = base
        let info = "{\"UsageType\":\"ComputeHR\",\"ServiceType\":\"\(reserved.armSize)\",\"ReservationOrderId\":\"\(reserved.orderId)\",\"ReservationId\":\"\(reserved.reservationId)\"}"
        row["meterCategory"] = .string("Virtual Machines")
        row["meterSubCategory"] = .string("Reservation-Base VM")
        row["meterName"] = .string("Compute Hours")
        row["meterType"] = .string("Compute Hours")
        row["meterId"] = .string("cd2d7ca5-2d4c-5f93-94d0-8cee0662c71c")
        row["meterRegion"] = .string(reserved.region)
        row["resourceLocation"] = .string(reserved.region)
        row["unitOfMeasure"] = .string("1 Hour")
        row["unitType"] = .string("1 Hour")
        row["consumedService"] = .string("Microsoft.Compute")
        row["resourceUri"] = .string("/subscriptions/\(subscriptionId)/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm-\(reserved.armSize.lowercased())")
        row["quantity"] = .number(hours(reserved, dayIndex: dayIndex))
        for key in ["unitPrice", "effectiveUnitPrice", "billingPreTaxTotal", "pricingPreTaxTotal"] { row[key] = .number(0) }
        row["additionalInfo"] = .string(info)
        row["serviceInfo2"] = .string(reserved.armSize)
        return row
    }

    /// A savings-plan-covered row: 24 hours of compute, no cost, the plan in `benefitOrderId`.
    static func savingsPlan(_ base: [String: JSONValue], _ plan: UsageFacts.Plan, dayIndex: Int) -> [String: JSONValue] {
        var row = base
        row["meterCategory"] = .string("Virtual Machines")
        row["meterSubCategory"] = .string("Dv3/DSv3 Series")
        row["meterName"] = .string("D2s v3")
        row["meterType"] = .string("D2s v3")
        row["meterId"] = .string("0a7e1b6c-3f0b-5d62-9a55-2d2b0f4c5e11")
        row["meterRegion"] = .string("US East")
        row["resourceLocation"] = .string("eastus")
        row["unitOfMeasure"] = .string("1 Hour")
        row["unitType"] = .string("1 Hour")
        row["consumedService"] = .string("Microsoft.Compute")
        row["resourceUri"] = .string("/subscriptions/\(plan.scopeSubscription ?? "")/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm-sp")
        row["quantity"] = .number(Decimal(12 + Int(mix(plan.orderId, dayIndex) % 13)))
        for key in ["unitPrice", "effectiveUnitPrice", "billingPreTaxTotal", "pricingPreTaxTotal"] { row[key] = .number(0) }
        row["benefitOrderId"] = .string(plan.orderId)
        row["benefitId"] = .string(plan.benefitId)
        row["benefitType"] = .string("SavingsPlan")
        return row
    }
}

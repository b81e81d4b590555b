import Foundation
import PartnerCenter
import PartnerCenterModels
import Testing

/// Records every wait the client asks for, and waits only briefly (tests never depend on wall-clock time).
final class SleepRecorder: Sendable {
    private let waits = LockedBox<[Duration]>([])

    var sleeper: Sleeper {
        { [waits] duration in
            waits.mutate { $0.append(duration) }
            try Task.checkCancellation()
            await Task.yield()
        }
    }

    var recorded: [Duration] { waits.value }
}

/// Collects client events.
final class EventRecorder: Sendable {
    private let box = LockedBox<[ClientEvent]>([])
    var handler: @Sendable (ClientEvent) -> Void { { [box] event in box.mutate { $0.append(event) } } }
    var events: [ClientEvent] { box.value }
}

/// A tiny lock-protected box for test bookkeeping.
final class LockedBox<T: Sendable>: @unchecked Sendable {
    private var stored: T
    private let lock = NSLock()
    init(_ value: T) { stored = value }
    var value: T { lock.lock(); defer { lock.unlock() }; return stored }
    func mutate(_ body: (inout T) -> Void) { lock.lock(); defer { lock.unlock() }; body(&stored) }
}

/// What a purchase needs: a customer with a registered subscription and a purchasable line.
struct PurchasePlan: Sendable {
    var customerId: String
    var country: String
    var subscriptionId: String
    var line: CartLineItem
}

enum Discovery {
    /// Every customer with its country, via the client (list + get by id).
    static func customersByCountry(_ client: PartnerCenterClient) async throws -> [(id: String, country: String?)] {
        var result: [(String, String?)] = []
        for try await customer in client.customers(pageSize: 50) {
            result.append((customer.id, try await client.customerCountry(customerId: customer.id)))
        }
        return result
    }

    /// An Azure subscription of `customerId` that is (made) registered.
    static func registeredSubscription(
        _ client: PartnerCenterClient, customerId: String, advance: @Sendable () async throws -> Void
    ) async throws -> String {
        let subscriptions = try await client.subscriptions(customerId: customerId)
        for subscription in subscriptions {
            let status = try await client.registrationStatus(customerId: customerId, subscriptionId: subscription.id)
            if status.status == .registered { return subscription.id }
        }
        let target = try #require(subscriptions.first {
            $0.status == .active && ($0.offerId?.uppercased() == "MS-AZR-0145P"
                || ($0.offerName ?? $0.friendlyName ?? "").localizedCaseInsensitiveContains("azure"))
        })
        _ = try await client.registerSubscription(customerId: customerId, subscriptionId: target.id)
        try await advance()
        _ = try await client.waitUntilRegistered(customerId: customerId, subscriptionId: target.id, timeout: .seconds(60))
        return target.id
    }

    /// A cart line for an RI the customer can buy (inventory checked when the SKU asks for it).
    static func purchasableLine(
        _ client: PartnerCenterClient, customerId: String, subscriptionId: String, country: String
    ) async throws -> CartLineItem {
        let products = try await client.products(country: country, targetView: "AzureReservationsVM")
        for product in products {
            for sku in try await client.skus(productId: product.id, country: country) {
                let region = sku.dynamicAttributes?["armRegionName"]?.stringValue
                if sku.purchasePrerequisites?.contains(where: { $0.caseInsensitiveCompare("InventoryCheck") == .orderedSame }) == true {
                    var item = InventoryItem(productId: product.id, skuId: sku.id)
                    item.isRestricted = nil
                    let check = try await client.checkInventory(country: country, request: InventoryCheckRequest(
                        targetItems: [item],
                        inventoryContext: ["customerId": customerId, "azureSubscriptionId": subscriptionId, "armRegionName": region ?? ""]))
                    if check.contains(where: { $0.skuId == sku.id && $0.isRestricted == true }) { continue }
                }
                guard let availability = try await client.availabilities(productId: product.id, skuId: sku.id, country: country).first,
                      let catalogItemId = availability.catalogItemId else { continue }
                var line = CartLineItem(id: 0, catalogItemId: catalogItemId, quantity: 1, billingCycle: .oneTime)
                line.termDuration = availability.terms?.first?.duration ?? "P1Y"
                var context = ["subscriptionId": subscriptionId, "scope": "shared"]
                if let duration = sku.dynamicAttributes?["duration"]?.stringValue { context["duration"] = duration }
                line.provisioningContext = context
                return line
            }
        }
        throw PartnerCenterError(category: .notFound, message: "no purchasable RI SKU in \(country)")
    }
}

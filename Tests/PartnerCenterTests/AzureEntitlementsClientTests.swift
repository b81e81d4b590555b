import Foundation
import PartnerCenter
import PartnerCenterModels
import PartnerCenterSandbox
import Testing

/// The Azure plans of the sandbox's first partner, found through the client: (customer id, plan).
private func azurePlans(_ client: PartnerCenterClient) async throws -> [(customer: String, plan: Subscription)] {
    var plans: [(String, Subscription)] = []
    for customer in try await client.all(Customer.self, OperationCatalog["customers.list"]) {
        let subscriptions = try await client.all(Subscription.self, OperationCatalog["subscriptions.list"], ["customer_id": .string(customer.id)])
        // an Azure plan is bought as the catalog item DZH318Z0BPS6:0001:… (addendum §1.1)
        plans += subscriptions.filter { $0.offerId?.uppercased().hasPrefix("DZH318Z0BPS6:") == true }.map { (customer.id, $0) }
    }
    return plans
}

@Suite("Client against the sandbox: Azure plan entitlements", .serialized)
struct AzureEntitlementsClientTests {
    @Test("subscriptions.azure_entitlements, sent generically from the catalogue, decodes the Azure subscriptions under each plan")
    func listsEntitlements() async throws {
        try await withSandbox { harness, client in
            let op = OperationCatalog["subscriptions.azure_entitlements"]
            let plans = try await azurePlans(client)
            #expect(!plans.isEmpty, "the sandbox seeds Azure plans")
            for (customer, plan) in plans {
                let entitlements = try await client.all(AzureEntitlement.self, op, ["customer_id": .string(customer), "subscription_id": .string(plan.id)])
                #expect(entitlements.count == 1)
                let entitlement = try #require(entitlements.first)
                #expect(entitlement.isActive)
                #expect(entitlement.friendlyName == "Microsoft Azure")
                #expect(entitlement.subscriptionId == plan.id)
                #expect(UUID(uuidString: entitlement.id) != nil)
            }
            let sent = harness.log.filter { $0.route == "subscriptions.azure_entitlements" }
            #expect(sent.count == plans.count, "one request per plan: a single page, nothing followed")
            let first = try #require(plans.first)
            #expect(sent.first?.method == "GET")
            #expect(sent.first?.path == "/v1/customers/\(first.customer)/subscriptions/\(first.plan.id)/azureEntitlements",
                    "the documented path, filled from the catalogue's template")
        }
    }

    @Test("an App-only client may list them too")
    func appOnly() async throws {
        let harness = try await Harness.start()
        let client = try harness.client(appOnly: true)
        do {
            let (customer, plan) = try #require(try await azurePlans(client).first)
            let entitlements = try await client.all(AzureEntitlement.self, OperationCatalog["subscriptions.azure_entitlements"],
                                                    ["customer_id": .string(customer), "subscription_id": .string(plan.id)])
            #expect(entitlements.map(\.subscriptionId) == [plan.id])
        } catch {
            try? await client.shutdown()
            await harness.stop()
            throw error
        }
        try? await client.shutdown()
        await harness.stop()
    }

    @Test("a subscription that is not an Azure plan fails as invalid_argument with Partner Center's code 800002, and is not retried")
    func notAPlan() async throws {
        try await withSandbox { harness, client in
            let customer = try #require(try await client.all(Customer.self, OperationCatalog["customers.list"]).first)
            let legacy = try #require(try await client.all(Subscription.self, OperationCatalog["subscriptions.list"], ["customer_id": .string(customer.id)])
                .first { $0.offerId == "MS-AZR-0145P" })
            let error = await #expect(throws: PartnerCenterError.self) {
                _ = try await client.all(AzureEntitlement.self, OperationCatalog["subscriptions.azure_entitlements"],
                                         ["customer_id": .string(customer.id), "subscription_id": .string(legacy.id)])
            }
            #expect(error?.category == .invalidArgument)
            #expect(error?.status == 400)
            #expect(error?.pcCode == "800002")
            #expect(error?.message.contains("not an Azure plan") == true, "\(String(describing: error))")
            #expect(harness.log.filter { $0.route == "subscriptions.azure_entitlements" }.count == 1)
        }
    }
}

import Foundation
import Testing
@testable import PartnerCenterModels

@Suite("AzureEntitlement: the Azure subscriptions under an Azure plan")
struct AzureEntitlementTests {
    @Test("the documented list sample (addendum §1.3.1) decodes with its values")
    func golden() throws {
        let list = try JSONDecoder().decode(ResourceCollection<AzureEntitlement>.self, from: fixture("azure-entitlements"))
        #expect(list.totalCount == 1)
        #expect(list.links == nil, "the sample has no links")
        #expect(list.attributes?.objectType == "Collection")
        let entitlement = try #require(list.items.first)
        #expect(entitlement.id == "899ae6f1-8a74-4d5e-b6c6-e6b5019bbff8")
        #expect(entitlement.friendlyName == "Microsoft Azure")
        #expect(entitlement.status == .active)
        #expect(entitlement.isActive)
        #expect(entitlement.subscriptionId == "3f15978e-005c-b763-bb78-2a8fab289c58")
        #expect(entitlement.links == nil)
        #expect(entitlement.attributes == nil)
    }

    @Test("decoding is tolerant: ID as the table spells it, any status casing, unknown status not active, scalars of the wrong kind")
    func tolerant() throws {
        let upper = try JSONDecoder().decode(AzureEntitlement.self, from: Data(#"{"ID": "a1", "status": "Inactive", "friendlyName": 42}"#.utf8))
        #expect(upper.id == "a1")
        #expect(upper.status == .inactive)
        #expect(!upper.isActive)
        #expect(upper.friendlyName == "42")
        let odd = try JSONDecoder().decode(AzureEntitlement.self, from: Data(#"{"id": "b2", "status": "disabled", "subscriptionId": [], "links": {"self": {"uri": "/customers/c/subscriptions/s/azureEntitlements/b2", "method": "GET", "headers": []}}}"#.utf8))
        #expect(odd.status == .unknown("disabled"))
        #expect(!odd.isActive)
        #expect(odd.subscriptionId == nil)
        #expect(odd.links?.selfLink?.uri == "/customers/c/subscriptions/s/azureEntitlements/b2")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(AzureEntitlement.self, from: Data(#"{"friendlyName": "no id"}"#.utf8)) }
    }

    @Test("it encodes the documented wire spelling: id, lower-case status, absent fields omitted")
    func encoding() throws {
        var entitlement = AzureEntitlement(id: "c3")
        entitlement.friendlyName = "Microsoft Azure"
        entitlement.status = .active
        entitlement.subscriptionId = "p1"
        let text = String(decoding: try PartnerCenterJSON.encode(entitlement), as: UTF8.self)
        #expect(text == #"{"friendlyName":"Microsoft Azure","id":"c3","status":"active","subscriptionId":"p1"}"#)
        #expect(try JSONDecoder().decode(AzureEntitlement.self, from: Data(text.utf8)) == entitlement)
    }
}

import Foundation
import Testing
@testable import PartnerCenterModels

/// Loads a golden fixture (a documented example from partner-center-api.md).
func fixture(_ name: String) throws -> Data {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
    return try Data(contentsOf: url)
}

func decimal(_ text: String) -> Decimal { Decimal(string: text)! }

@Suite("Golden fixtures from the contract decode with the documented values")
struct FixtureTests {
    @Test("customer by id decodes profiles and country")
    func customer() throws {
        let customer = try JSONDecoder().decode(Customer.self, from: fixture("customer"))
        #expect(customer.id == "eebd1b55-5360-4438-a11d-5c06918c3014")
        #expect(customer.companyProfile?.address?.country == "US")
        #expect(customer.billingProfile?.defaultAddress?.country == "US")
        #expect(customer.billingProfile?.attributes?.etag == "-4242348048554929329")
        #expect(customer.allowDelegatedAccess == true)
        #expect(customer.country == "US")
        #expect(customer.links?.selfLink?.uri == "/customers/eebd1b55-5360-4438-a11d-5c06918c3014")
    }

    @Test("subscription decodes dates, status and far-future commitment end")
    func subscription() throws {
        let sub = try JSONDecoder().decode(Subscription.self, from: fixture("subscription"))
        #expect(sub.offerId == "MS-AZR-0145P")
        #expect(sub.status == .active)
        #expect(sub.creationDate == WireDate.parse("2016-05-10T07:30:05.427Z"))
        #expect(sub.commitmentEndDate != nil)
        #expect(sub.links?["offer"]?.uri == "/offers/MS-AZR-0145P?country=US")
    }

    @Test("registration status NotRegistered decodes")
    func registration() throws {
        let status = try JSONDecoder().decode(SubscriptionRegistrationStatus.self, from: fixture("registration-status"))
        #expect(status.status == .notRegistered)
        #expect(status.subscriptionId == "1c461a25-f729-4fa5-aadb-280947dd05e8")
    }

    @Test("products, skus and availabilities collections decode")
    func catalog() throws {
        let products = try JSONDecoder().decode(ResourceCollection<Product>.self, from: fixture("products"))
        #expect(products.items.first?.id == "DZH318Z0BQ3Q")
        #expect(products.items.first?.productType?.subType?.id == "VirtualMachines")
        #expect(products.items.first?.links?["skus"]?.uri == "/products/DZH318Z0BQ3Q/skus?country=US")
        let skus = try JSONDecoder().decode(ResourceCollection<Sku>.self, from: fixture("skus"))
        let sku = try #require(skus.items.first)
        #expect(sku.supportedBillingCycles == [.oneTime])
        #expect(sku.requires("InventoryCheck"))
        #expect(sku.dynamicAttribute("armRegionName") == "westus2")
        #expect(sku.maximumQuantity == 999_999_999)
        let availabilities = try JSONDecoder().decode(ResourceCollection<Availability>.self, from: fixture("availabilities"))
        let availability = try #require(availabilities.items.first)
        #expect(availability.catalogItemId == "DZH318Z0BQ3Q:0001:DZH318XZXVNF")
        #expect(availability.defaultCurrency == CurrencyInfo(code: "USD", symbol: "$"))
        #expect(availability.segment == .commercial)
        #expect(availability.terms?.first?.duration == "P1Y")
    }

    @Test("inventory check response is a bare array")
    func inventory() throws {
        let items = try JSONDecoder().decode([InventoryItem].self, from: fixture("inventory-check-response"))
        #expect(items.count == 2)
        #expect(items[0].isRestricted == true)
        #expect(items[0].restrictions?.first?.properties?["values"] == "japanwest")
        #expect(items[1].restrictions == [])
    }

    @Test("cart created decodes integer line ids, timestamps and order groups")
    func cart() throws {
        let cart = try JSONDecoder().decode(Cart.self, from: fixture("cart-created"))
        #expect(cart.status == .active)
        #expect(cart.lineItems?.map(\.id) == [0, 1, 2])
        #expect(cart.lineItems?.first?.billingCycle == .oneTime)
        #expect(cart.lineItems?.first?.provisioningContext?["scope"] == "shared")
        let created = try #require(cart.creationTimestamp)
        let expires = try #require(cart.expirationTimestamp)
        #expect(abs(expires.timeIntervalSince(created) - 7 * 86400 - 5.69655) < 0.001)
        let line = try JSONDecoder().decode(CartLineItem.self, from: fixture("cart-line-item-error"))
        #expect(line.error?.errorCode == CartErrorCode.subscriptionNotRegistered)
    }

    @Test("cart create request decodes")
    func cartRequest() throws {
        let cart = try JSONDecoder().decode(Cart.self, from: fixture("cart-create-request"))
        #expect(cart.lineItems?.count == 3)
        #expect(cart.lineItems?[1].termDuration == "P3Y")
    }

    @Test("checkout result decodes orders and order errors")
    func checkout() throws {
        let result = try JSONDecoder().decode(CartCheckoutResult.self, from: fixture("checkout-result"))
        let order = try #require(result.orders?.first)
        #expect(order.status == .pending)
        #expect(order.billingCycle == .oneTime)
        #expect(order.lineItems?.count == 2)
        #expect(order.links?["provisioningStatus"]?.uri?.hasSuffix("/provisioningstatus") == true)
        #expect(result.orderErrors?.first?.code == 800010)
    }

    @Test("order, provisioning status, entitlements and reservation details decode")
    func ordersAndEntitlements() throws {
        let order = try JSONDecoder().decode(Order.self, from: fixture("order"))
        #expect(order.status == .completed)
        let status = try JSONDecoder().decode(ResourceCollection<OrderLineItemProvisioningStatus>.self, from: fixture("order-provisioning-status"))
        #expect(status.items.first?.status == .fulfilled)
        #expect(status.links == nil)
        let entitlements = try JSONDecoder().decode(ResourceCollection<Entitlement>.self, from: fixture("entitlements"))
        let artifact = try #require(entitlements.items.first?.entitledArtifacts?.first)
        #expect(entitlements.items.first?.entitlementType == .reservedInstance)
        #expect(artifact.artifactType == .reservedInstance)
        #expect(artifact.resourceId == "ebf2e74b-630e-4a09-857d-a1f6c6351336")
        #expect(artifact.dynamicAttributes?["reservationType"] == .string("virtualmachines"))
        let details = try JSONDecoder().decode(ReservedInstanceArtifactDetails.self, from: fixture("reservation-details"))
        #expect(details.allReservations.first?.scopeType == "Shared")
        #expect(details.virtualMachineReservations?.count == 1)
        #expect(details.allReservations.first?.expiryDateTime == WireDate.parse("2019-02-23T00:00:00Z"))
    }

    @Test("invoice summary balance equals the sum of its details exactly")
    func invoiceSummary() throws {
        let summary = try JSONDecoder().decode(InvoiceSummary.self, from: fixture("invoice-summary"))
        #expect(summary.balanceAmount == decimal("751094.39"))
        let sum = (summary.details ?? []).compactMap { $0.summary?.balanceAmount }.reduce(Decimal(0), +)
        #expect(sum == summary.balanceAmount)
        #expect(summary.details?.first?.summary?.latestInvoiceDate == nil)  // 0001-01-01 → nil
        #expect(summary.details?.map(\.invoiceType) == [.recurring, .oneTime])
    }

    @Test("invoices decode amendments, enums and offset links")
    func invoices() throws {
        let invoices = try JSONDecoder().decode(ResourceCollection<Invoice>.self, from: fixture("invoices"))
        let invoice = try #require(invoices.items.first)
        #expect(invoice.totalCharges == 586366)
        #expect(invoice.amendments?.first?.totalCharges == decimal("107661.12"))
        #expect(invoice.amendments?.first?.documentType == .adjustmentNote)
        #expect(invoice.documentType == .voidNote)
        #expect(invoice.invoiceDetails?.first?.billingProvider == .oneTime)
        #expect(invoice.invoiceDetails?.first?.invoiceLineItemType == .billingLineItems)
        #expect(invoices.nextLink?.uri == "/invoices?size=1&offset=1")
    }

    @Test("one-time line items decode as a seek collection")
    func oneTimeLines() throws {
        let page = try JSONDecoder().decode(SeekBasedResourceCollection<InvoiceLineItem>.self, from: fixture("onetime-line-items"))
        guard case .oneTime(let line)? = page.items.first else { Issue.record("not a one-time line"); return }
        #expect(line.unitPrice == decimal("1234.56"))
        #expect(line.mpnId == "4870137")
        #expect(line.resellerMpnId == "0")
        #expect(line.reservationOrderId == "ebf2e74b-630e-4a09-857d-a1f6c6351336")
        #expect(page.continuationToken?.hasPrefix("d19617b8") == true)
        #expect(page.nextLink?.header("ms-continuationtoken") == page.continuationToken)
    }

    @Test("fault, throttling and token bodies decode")
    func errorsAndTokens() throws {
        let fault = try JSONDecoder().decode(ApiFault.self, from: fixture("api-fault"))
        #expect(fault.numericCode == 800030)
        let throttle = try JSONDecoder().decode(ThrottlingError.self, from: fixture("throttling"))
        #expect(throttle.statusCode == 429)
        let token = try JSONDecoder().decode(OAuthTokenResponse.self, from: fixture("token-v1"))
        #expect(token.expiresIn == 3600)
        #expect(token.expiresOn == 1_546_469_802)
        let user = try JSONDecoder().decode(OAuthTokenResponse.self, from: fixture("token-v1-app-user"))
        #expect(user.scope == "user_impersonation")
    }

    @Test("the device authorization answer decodes: v2 numbers, and v1's verification_url and numbers as strings")
    func deviceAuthorization() throws {
        let v2 = try JSONDecoder().decode(DeviceAuthorization.self, from: fixture("device-code"))
        #expect(v2.userCode == "FGQ8SXMW9")
        #expect(v2.verificationURI == "https://microsoft.com/devicelogin")
        #expect(v2.expiresIn == 900 && v2.interval == 5)
        #expect(v2.message?.contains("FGQ8SXMW9") == true)
        let v1 = try JSONDecoder().decode(DeviceAuthorization.self, from: Data("""
            {"device_code":"DC","user_code":"UC","verification_url":"https://microsoft.com/devicelogin","expires_in":"900","interval":"5"}
            """.utf8))
        #expect(v1.verificationURI == "https://microsoft.com/devicelogin" && v1.expiresIn == 900 && v1.interval == 5 && v1.message == nil)
        let roundTrip = try JSONDecoder().decode(DeviceAuthorization.self, from: try JSONEncoder().encode(v2))
        #expect(roundTrip == v2)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(DeviceAuthorization.self, from: Data(#"{"device_code":"DC","user_code":"UC","expires_in":900}"#.utf8))
        }
        #expect(DeviceCodeError.allCases.map(\.rawValue) == ["authorization_pending", "slow_down", "authorization_declined", "bad_verification_code", "expired_token"])
    }

    @Test("the generic collection envelope decodes with unknown item shapes")
    func envelope() throws {
        let collection = try JSONDecoder().decode(ResourceCollection<JSONValue>.self, from: fixture("collection-envelope"))
        #expect(collection.totalCount == 2)
        #expect(collection.nextLink?.uri == "/invoices?size=2&offset=2")
    }

    @Test("inventory check request decodes")
    func inventoryRequest() throws {
        // The documented request is PascalCase; the models are camelCase (the sandbox binds keys
        // case-insensitively before decoding). Check the camelCase form of the same request.
        let text = String(decoding: try fixture("inventory-check-request"), as: UTF8.self)
            .replacingOccurrences(of: "TargetItems", with: "targetItems")
            .replacingOccurrences(of: "ProductId", with: "productId")
            .replacingOccurrences(of: "InventoryContext", with: "inventoryContext")
        let request = try JSONDecoder().decode(InventoryCheckRequest.self, from: Data(text.utf8))
        #expect(request.targetItems?.first?.productId == "DZH318Z0BQ3P")
        #expect(request.inventoryContext?["armRegionName"] == "japanwest")
    }
}

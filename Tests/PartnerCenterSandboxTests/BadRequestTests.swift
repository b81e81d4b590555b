import NIOHTTP1
import Foundation
import PartnerCenterModels
@testable import PartnerCenterSandbox
import Testing

@Suite("Bad requests get the documented error shape and code, never a 500")
struct BadRequestTests {
    @Test("malformed JSON, wrong types and missing parts are 400/800002 with a clear description")
    func badBodies() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            let customer = try #require(try await h.customers(token).first)
            let carts = "/v1/customers/\(customer.id)/carts"
            let cases: [(String, String)] = [
                ("{\"lineItems\": [", "not valid JSON"),
                ("", "empty"),
                ("[]", "JSON Cart object"),
                ("{}", "lineItems is required"),
                ("{\"lineItems\": {}}", "lineItems must be array"),
                ("{\"lineItems\": []}", "at least one"),
                ("{\"lineItems\": [{\"catalogItemId\": 5, \"quantity\": 1}]}", "lineItems[0].catalogItemId must be string"),
                ("{\"lineItems\": [{\"catalogItemId\": \"a\", \"quantity\": \"many\"}]}", "lineItems[0].quantity must be number"),
                ("{\"lineItems\": [{\"catalogItemId\": \"a\", \"quantity\": 1.5}]}", "must be an integer"),
                ("{\"lineItems\": [{\"catalogItemId\": \"a\", \"quantity\": 1, \"provisioningContext\": {\"scope\": 1}}]}", "provisioningContext.scope must be string"),
                ("{\"lineItems\": [{\"catalogItemId\": \"a\", \"quantity\": 1, \"provisioningContext\": []}]}", "provisioningContext must be object"),
            ]
            for (body, expected) in cases {
                let result = try await h.send(.POST, carts, body: body, token: token)
                #expect(result.status == 400, "\(body): \(result.status) \(result.text)")
                #expect(result.fault?.numericCode == 800002, "\(body)")
                #expect(result.fault?.description?.contains(expected) == true, "\(body): \(result.fault?.description ?? "")")
                #expect(result.fault?.source == "PartnerFD")
            }
            let inventory = try await h.send(.POST, "/v1/extensions/product/checkInventory?country=US", body: #"{"targetItems": "all"}"#, token: token)
            #expect(inventory.status == 400 && inventory.fault?.numericCode == 800002)
            let empty = try await h.send(.POST, "/v1/extensions/product/checkInventory?country=US", body: #"{"targetItems": []}"#, token: token)
            #expect(empty.status == 400 && empty.fault?.numericCode == 900142)
            let noCountry = try await h.send(.POST, "/v1/extensions/product/checkInventory", body: #"{"targetItems": [{"productId": "x"}]}"#, token: token)
            #expect(noCountry.status == 400)
        }
    }

    @Test("unknown ids get 404 with the documented codes")
    func unknownIds() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            let customer = try #require(try await h.customers(token).first)
            let cases: [(String, Int)] = [
                ("/v1/customers/\(UUID().uuidString)", 60003),
                ("/v1/customers/\(customer.id)/subscriptions/\(UUID().uuidString)", 20003),
                ("/v1/customers/\(customer.id)/subscriptions/\(UUID().uuidString)/registrationstatus", 20003),
                ("/v1/customers/\(customer.id)/carts/\(UUID().uuidString)", 800008),
                ("/v1/customers/\(customer.id)/orders/nope", 20000),
                ("/v1/customers/\(customer.id)/orders/nope/provisioningstatus", 20000),
                ("/v1/customers/\(customer.id)/artifacts/reservedinstance/groups/g/lineitems/l/resource/r", 1000),
                ("/v1/products/NOPE?country=US", 400013),
                ("/v1/invoices/NOPE", 1000),
                ("/v1/invoices/NOPE/documents/statement", 1000),
            ]
            for (path, code) in cases {
                let result = try await h.send(.GET, path, token: token)
                #expect(result.status == 404, "\(path)")
                #expect(result.fault?.numericCode == code, "\(path): \(result.text)")
            }
        }
    }

    @Test("a barrage of odd requests never produces a 500")
    func neverFiveHundred() async throws {
        try await withSandbox { h in
            let token = try await h.token()
            let customer = try #require(try await h.customers(token).first)
            let c = customer.id
            let paths: [(NIOHTTP1.HTTPMethod, String, String?)] = [
                (.GET, "/v1/customers?size=0", nil), (.GET, "/v1/customers?size=abc", nil), (.GET, "/v1/customers?seekOperation=Next", nil),
                (.GET, "/v1/products?country=USA&targetView=AzureReservationsVM", nil), (.GET, "/v1/products?country=US&targetView=AzureReservationsVM&reservationScope=Nope", nil),
                (.GET, "/v1/products/DZH318Z0BQ3Q/skus", nil), (.GET, "/v1/customers/\(c)/orders?include_price=maybe", nil),
                (.GET, "/v1/customers/\(c)/entitlements?entitlementType=cars", nil), (.GET, "/v1/customers/\(c)/entitlements?showExpiry=2", nil),
                (.GET, "/v1/invoices?size=-1", nil), (.GET, "/v1/invoices?offset=x", nil),
                (.GET, "/v1/invoices/G000024130/lineitems?provider=bogus&invoicelineitemtype=billinglineitems", nil),
                (.GET, "/v1/invoices/G000024130/lineitems?provider=onetime&invoicelineitemtype=nope", nil),
                (.GET, "/v1/invoices/G000024130/lineitems?provider=onetime&invoicelineitemtype=usagelineitems", nil),
                (.GET, "/v1/invoices/G000024130/lineitems?provider=onetime&invoicelineitemtype=billinglineitems&seekOperation=Previous", nil),
                (.POST, "/v1/customers/\(c)/carts/\(UUID().uuidString)/checkout", nil), (.PUT, "/v1/customers/\(c)/carts/x", "{\"lineItems\":[{}]}"),
                (.POST, "/v1/customers/\(c)/carts", "{\"lineItems\":[null]}"),
                (.POST, "/v1/customers/\(c)/carts", "{\"lineItems\":[{\"billingCycle\": {}}]}"), (.POST, "/v1/customers/\(c)/carts", "\u{0}\u{1}"),
                (.POST, "/v1/customers/\(c)/subscriptions/x/registrations", "garbage"), (.GET, "/v1/customers/%E2%82%AC", nil),
                (.GET, "/v1//customers", nil), (.GET, "/", nil), (.POST, "/x/oauth2/token", "grant_type=client_credentials"),
                (.POST, "/_sandbox/clock", "nope"), (.GET, "/_sandbox/nothing", nil),
            ]
            for (method, path, body) in paths {
                let result = try await h.send(method, path, body: body, token: token)
                #expect(result.status < 500, "\(method) \(path): \(result.status) \(result.text)")
                #expect(result.status >= 400 || path.contains("registrations") || path == "/v1//customers", "\(method) \(path): \(result.status)")
            }
            #expect(h.sandbox.requestLog.entries().allSatisfy { $0.status < 500 })
            // An empty line is not a request error: the cart is created and the line carries 10010.
            let empty = try await h.send(.POST, "/v1/customers/\(c)/carts", body: #"{"lineItems":[{}]}"#, token: token)
            #expect(empty.status == 201)
            #expect(try empty.decode(Cart.self).lineItems?.first?.error?.errorCode == 10010)
        }
    }
}

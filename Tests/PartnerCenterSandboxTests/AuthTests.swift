import Foundation
import PartnerCenterModels
@testable import PartnerCenterSandbox
import Testing

@Suite("Authentication and partner isolation")
struct AuthTests {
    func form(_ h: Harness, _ text: String, v2: Bool = false, tenant: String? = nil) async throws -> HTTPResult {
        try await h.send(.POST, "/\(tenant ?? h.first.tenantId)/oauth2/\(v2 ? "v2.0/" : "")token", body: text, headers: [("Content-Type", "application/x-www-form-urlencoded")])
    }

    @Test("v1 token endpoint returns string numbers, v2 returns numbers; both give signed JWTs")
    func tokenShapes() async throws {
        try await withSandbox { h in
            let secret = h.first.clientSecret.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let v1 = try await form(h, "grant_type=client_credentials&client_id=\(h.first.clientId)&client_secret=\(secret)&resource=https%3A%2F%2Fgraph.windows.net")
            #expect(v1.status == 200)
            guard case .object(let o1)? = v1.json else { Issue.record("not an object"); return }
            #expect(o1["expires_in"] == .string("3600"))
            #expect(o1["expires_on"] != nil)
            let v2 = try await form(h, "grant_type=client_credentials&client_id=\(h.first.clientId)&client_secret=\(secret)&scope=https%3A%2F%2Fapi.partnercenter.microsoft.com%2F.default", v2: true)
            guard case .object(let o2)? = v2.json else { Issue.record("not an object"); return }
            #expect(o2["expires_in"] == .number(3600))
            let token = try v2.decode(OAuthTokenResponse.self).accessToken
            #expect(token.split(separator: ".").count == 3)
            let byDomain = try await form(h, "grant_type=client_credentials&client_id=\(h.first.clientId)&client_secret=\(secret)", tenant: h.first.domain)
            #expect(byDomain.status == 200)
        }
    }

    @Test("refresh tokens rotate and the new one works too")
    func refreshRotation() async throws {
        try await withSandbox { h in
            let first = try await form(h, "grant_type=refresh_token&client_id=\(h.first.clientId)&refresh_token=\(h.first.refreshToken)").decode(OAuthTokenResponse.self)
            let rotated = try #require(first.refreshToken)
            #expect(rotated != h.first.refreshToken)
            let second = try await form(h, "grant_type=refresh_token&client_id=\(h.first.clientId)&refresh_token=\(rotated)")
            #expect(second.status == 200)
            #expect(try second.decode(OAuthTokenResponse.self).refreshToken != rotated)
            let bogus = try await form(h, "grant_type=refresh_token&client_id=\(h.first.clientId)&refresh_token=pcxrt.nope")
            #expect(bogus.status == 400)
            #expect(bogus.text.contains("invalid_grant"))
        }
    }

    @Test("a wrong client secret is refused and the secret never appears in the answer")
    func wrongSecret() async throws {
        try await withSandbox { h in
            let result = try await form(h, "grant_type=client_credentials&client_id=\(h.first.clientId)&client_secret=wrong")
            #expect(result.status == 401)
            #expect(result.text.contains("invalid_client"))
            #expect(!result.text.contains(h.first.clientSecret))
            let unsupported = try await form(h, "grant_type=password&client_id=\(h.first.clientId)")
            #expect(unsupported.status == 400)
            #expect(unsupported.text.contains("unsupported_grant_type"))
        }
    }

    @Test("API calls without a valid, unexpired token get 401 with the ApiFault body")
    func unauthenticated() async throws {
        try await withSandbox { h in
            let missing = try await h.send(.GET, "/v1/customers")
            #expect(missing.status == 401)
            #expect(missing.fault?.numericCode == 800001)
            #expect(missing.header("WWW-Authenticate")?.hasPrefix("OAuth realm=") == true)
            let garbage = try await h.send(.GET, "/v1/customers", token: "not.a.jwt")
            #expect(garbage.status == 401)
            let token = try await h.token()
            #expect(try await h.send(.GET, "/v1/customers", token: token).status == 200)
            h.sandbox.clock.advance(by: 3601)
            let expired = try await h.send(.GET, "/v1/customers", token: token)
            #expect(expired.status == 401)
            #expect(expired.fault?.description?.contains("expired") == true)
        }
    }

    @Test("app-only tokens are refused with 403/900329 where the contract says App+User")
    func appOnlyRefused() async throws {
        try await withSandbox { h in
            let app = try await h.token(appUser: false)
            let user = try await h.token()
            let customer = try #require(try await h.customers(app).first)
            for path in ["/v1/customers/\(customer.id)/entitlements", "/v1/invoices/summaries", "/v1/invoices/G000024130",
                         "/v1/invoices/G000024130/documents/statement", "/v1/customers/\(customer.id)/profiles/company"] {
                let refused = try await h.send(.GET, path, token: app)
                #expect(refused.status == 403, "\(path)")
                #expect(refused.fault?.numericCode == 900329, "\(path)")
                #expect(try await h.send(.GET, path, token: user).status == 200, "\(path)")
            }
            #expect(try await h.send(.GET, "/v1/customers/\(customer.id)/subscriptions", token: app).status == 200)
        }
    }

    @Test("a partner sees only its own customers and gets 403/20002 for another partner's customer")
    func isolation() async throws {
        try await withSandbox { h in
            let mine = try await h.customers(try await h.token(partner: 0))
            let theirsToken = try await h.token(partner: 1)
            let theirs = try await h.customers(theirsToken)
            #expect(!mine.isEmpty && !theirs.isEmpty)
            #expect(Set(mine.map(\.id)).isDisjoint(with: theirs.map(\.id)))
            let other = try await h.send(.GET, "/v1/customers/\(mine[0].id)", token: theirsToken)
            #expect(other.status == 403)
            #expect(other.fault?.numericCode == 20002)
            let cart = try await h.send(.POST, "/v1/customers/\(mine[0].id)/carts", body: #"{"lineItems":[]}"#, token: theirsToken)
            #expect(cart.status == 403)
            let invoice = try await h.send(.GET, "/v1/invoices/G000024130", token: theirsToken)
            #expect(invoice.status == 404)
        }
    }
}

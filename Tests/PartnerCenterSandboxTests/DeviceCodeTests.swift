import Foundation
import PartnerCenterModels
@testable import PartnerCenterSandbox
import Testing

/// The device authorization grant as the sandbox serves it, over loopback HTTP.
@Suite("Device-code sign-in (the sandbox's identity platform)")
struct DeviceCodeTests {
    static let scope = "https://api.partnercenter.microsoft.com/user_impersonation offline_access openid profile"

    static func form(_ fields: [(String, String)]) -> String {
        fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" }.joined(separator: "&")
    }

    static func start(_ h: Harness, scope: String = DeviceCodeTests.scope) async throws -> (HTTPResult, DeviceAuthorization) {
        let answer = try await h.send(.POST, "/\(h.first.tenantId)/oauth2/v2.0/devicecode",
                                      body: form([("client_id", h.first.clientId), ("scope", scope)]),
                                      headers: [("Content-Type", "application/x-www-form-urlencoded")])
        try #require(answer.status == 200, "\(answer.status): \(answer.text)")
        return (answer, try answer.decode(DeviceAuthorization.self))
    }

    static func poll(_ h: Harness, _ deviceCode: String, clientId: String? = nil) async throws -> HTTPResult {
        try await h.send(.POST, "/\(h.first.tenantId)/oauth2/v2.0/token",
                         body: form([("grant_type", DeviceAuthorization.grantType), ("client_id", clientId ?? h.first.clientId),
                                     ("device_code", deviceCode)]),
                         headers: [("Content-Type", "application/x-www-form-urlencoded")])
    }

    static func error(_ result: HTTPResult) -> String? { (try? result.decode(OAuthError.self))?.error }

    static func admin(_ h: Harness, _ action: String, _ userCode: String) async throws -> HTTPResult {
        try await h.send(.POST, "/_sandbox/device/\(action)", body: #"{"user_code": "\#(userCode)"}"#)
    }

    @Test("devicecode answers Microsoft's fields: device and user code, the sandbox's sign-in page, 900 s, 5 s, a message naming both")
    func deviceCodeShape() async throws {
        try await withSandbox { h in
            let (raw, answer) = try await Self.start(h)
            guard case .object(let object)? = raw.json else { Issue.record("not an object: \(raw.text)"); return }
            #expect(Set(object.keys) == ["device_code", "user_code", "verification_uri", "expires_in", "interval", "message"])
            #expect(object["expires_in"] == .number(900))
            #expect(object["interval"] == .number(5))
            #expect(answer.verificationURI == h.base + "/devicelogin")
            #expect(answer.userCode.count == 9 && answer.userCode.allSatisfy { $0.isUppercase || $0.isNumber })
            #expect(answer.deviceCode.hasPrefix("pcxdc.") && answer.deviceCode.count > 60)
            #expect(answer.message == "To sign in, use a web browser to open the page \(h.base)/devicelogin and enter the code \(answer.userCode) to authenticate.")
            let noScope = try await h.send(.POST, "/\(h.first.tenantId)/oauth2/v2.0/devicecode", body: "client_id=\(h.first.clientId)",
                                           headers: [("Content-Type", "application/x-www-form-urlencoded")])
            #expect(noScope.status == 400 && Self.error(noScope) == "invalid_request")
            let stranger = try await h.send(.POST, "/\(h.first.tenantId)/oauth2/v2.0/devicecode", body: "client_id=nobody&scope=openid",
                                            headers: [("Content-Type", "application/x-www-form-urlencoded")])
            #expect(stranger.status == 400 && Self.error(stranger) == "unauthorized_client")
        }
    }

    @Test("before approval a poll answers authorization_pending (HTTP 400); a poll inside the interval answers slow_down and adds 5 s")
    func pendingAndSlowDown() async throws {
        try await withSandbox { h in  // the default interval, 5 s: the second poll is well inside it however slow the machine
            let (_, answer) = try await Self.start(h)
            let first = try await Self.poll(h, answer.deviceCode)
            #expect(first.status == 400 && Self.error(first) == "authorization_pending", "\(first.text)")
            #expect(first.text.contains("AADSTS70016"))
            let hurried = try await Self.poll(h, answer.deviceCode)
            #expect(hurried.status == 400 && Self.error(hurried) == "slow_down", "\(hurried.text)")
            let listing = try await h.send(.GET, "/_sandbox/device")
            guard case .object(let o)? = listing.json, case .array(let codes)? = o["codes"], case .object(let code)? = codes.first else {
                Issue.record("no listing: \(listing.text)"); return
            }
            #expect(code["interval"] == .number(10))
            #expect(code["status"] == .string("pending"))
            #expect(code["user_code"] == .string(answer.userCode))
            #expect(!listing.text.contains(answer.deviceCode), "the listing never shows a device code")
        }
    }

    @Test("an approved code gives App+User tokens, a refresh token the refresh grant takes, and redeems once")
    func approvedCode() async throws {
        try await withSandbox({ $0.deviceCode.interval = 1 }) { h in
            let (_, answer) = try await Self.start(h)
            let dashed = answer.userCode.prefix(4).lowercased() + "-" + answer.userCode.dropFirst(4).lowercased()
            let approved = try await Self.admin(h, "approve", dashed)
            #expect(approved.status == 200, "\(approved.text)")
            #expect(approved.text.contains(#""status":"approved""#))
            let tokens = try await Self.poll(h, answer.deviceCode)
            #expect(tokens.status == 200, "\(tokens.text)")
            let decoded = try tokens.decode(OAuthTokenResponse.self)
            #expect(decoded.scope == "https://api.partnercenter.microsoft.com/user_impersonation")
            #expect(decoded.idToken != nil)
            let refresh = try #require(decoded.refreshToken)
            let customers = try await h.send(.GET, "/v1/customers", token: decoded.accessToken)
            #expect(customers.status == 200, "an App+User token reads customers")
            let renewed = try await h.send(.POST, "/\(h.first.tenantId)/oauth2/token",
                                           body: "grant_type=refresh_token&client_id=\(h.first.clientId)&refresh_token=\(refresh)&resource=https%3A%2F%2Fapi.partnercenter.microsoft.com",
                                           headers: [("Content-Type", "application/x-www-form-urlencoded")])
            #expect(renewed.status == 200, "\(renewed.text)")
            try await Task.sleep(for: .milliseconds(1100))
            let again = try await Self.poll(h, answer.deviceCode)
            #expect(again.status == 400 && Self.error(again) == "invalid_grant", "\(again.text)")
            let twice = try await Self.admin(h, "approve", answer.userCode)
            #expect(twice.status == 409 && twice.text.contains("it was redeemed"), "\(twice.text)")
        }
    }

    @Test("declined, expired and unknown codes answer authorization_declined, expired_token and bad_verification_code")
    func refusals() async throws {
        try await withSandbox({ $0.deviceCode.interval = 1 }) { h in
            let (_, declined) = try await Self.start(h)
            #expect(try await Self.admin(h, "decline", declined.userCode).status == 200)
            let no = try await Self.poll(h, declined.deviceCode)
            #expect(no.status == 400 && Self.error(no) == "authorization_declined", "\(no.text)")

            let (_, late) = try await Self.start(h)
            h.sandbox.clock.advance(by: 901)
            let expired = try await Self.poll(h, late.deviceCode)
            #expect(expired.status == 400 && Self.error(expired) == "expired_token", "\(expired.text)")
            let tooLate = try await Self.admin(h, "approve", late.userCode)
            #expect(tooLate.status == 409 && tooLate.text.contains("has expired"), "\(tooLate.text)")

            let unknown = try await Self.poll(h, "pcxdc.nothing-issued")
            #expect(unknown.status == 400 && Self.error(unknown) == "bad_verification_code")
            let (_, other) = try await Self.start(h)
            let wrongApp = try await Self.poll(h, other.deviceCode, clientId: h.second.clientId)
            #expect(wrongApp.status == 400, "\(wrongApp.text)")
            let missing = try await h.send(.POST, "/\(h.first.tenantId)/oauth2/v2.0/token",
                                           body: "grant_type=\(DeviceAuthorization.grantType)&client_id=\(h.first.clientId)",
                                           headers: [("Content-Type", "application/x-www-form-urlencoded")])
            #expect(missing.status == 400 && Self.error(missing) == "invalid_request")
            #expect(try await Self.admin(h, "approve", "NOSUCHCOD").status == 404)
        }
    }

    @Test("options decide by themselves: slow-down answers the first polls slow_down, approve-after and decline-after at the Nth poll")
    func automaticDecisions() async throws {
        try await withSandbox({ $0.deviceCode = try! DeviceCodeOptions.parse("interval=1,approve-after=2") }) { h in
            let (_, answer) = try await Self.start(h)
            #expect(Self.error(try await Self.poll(h, answer.deviceCode)) == "authorization_pending")
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await Self.poll(h, answer.deviceCode).status == 200)

            let set = try await h.send(.POST, "/_sandbox/device", body: #"{"spec": "approve-after=off,decline-after=1"}"#)
            #expect(set.text == #"{"settings":"interval=1,expires-in=900s,approve-after=off,decline-after=1,slow-down=0"}"#)
            let (_, refused) = try await Self.start(h)
            #expect(Self.error(try await Self.poll(h, refused.deviceCode)) == "authorization_declined")

            h.sandbox.deviceCodeOptions = try DeviceCodeOptions.parse("decline-after=off,slow-down=1", base: h.sandbox.deviceCodeOptions)
            let (_, slowed) = try await Self.start(h)
            #expect(Self.error(try await Self.poll(h, slowed.deviceCode)) == "slow_down")
            #expect(h.sandbox.pendingDeviceUserCodes == [slowed.userCode])
            #expect(h.sandbox.decideDeviceCode(slowed.userCode, approve: true))
            #expect(!h.sandbox.decideDeviceCode(slowed.userCode, approve: true))
        }
    }

    @Test("a scope without offline_access gets tokens but no refresh token; without openid no id token")
    func noOfflineAccess() async throws {
        try await withSandbox({ $0.deviceCode = try! DeviceCodeOptions.parse("approve-after=1") }) { h in
            let (_, answer) = try await Self.start(h, scope: "https://api.partnercenter.microsoft.com/user_impersonation")
            let tokens = try await Self.poll(h, answer.deviceCode)
            #expect(tokens.status == 200, "\(tokens.text)")
            let decoded = try tokens.decode(OAuthTokenResponse.self)
            #expect(decoded.refreshToken == nil)
            #expect(decoded.idToken == nil)
        }
    }

    @Test("the sign-in page at /devicelogin approves or declines a code and says who signed in")
    func signInPage() async throws {
        try await withSandbox { h in
            let page = try await h.send(.GET, "/devicelogin")
            #expect(page.status == 200 && page.header("Content-Type") == "text/html; charset=utf-8")
            #expect(page.text.contains(#"<form method="post" action="/devicelogin">"#))
            let (_, answer) = try await Self.start(h)
            let form = [("Content-Type", "application/x-www-form-urlencoded")]
            let approved = try await h.send(.POST, "/devicelogin", body: "user_code=\(answer.userCode)&action=approve", headers: form)
            #expect(approved.status == 200)
            #expect(approved.text.contains("Signed in as admin@\(h.first.domain). You may close this window."))
            let unknown = try await h.send(.POST, "/devicelogin", body: "user_code=%3Cb%3E&action=approve", headers: form)
            #expect(unknown.status == 404)
            #expect(unknown.text.contains("&lt;b&gt;") && !unknown.text.contains("<b>"), "the code is escaped in the page")
        }
    }

    @Test("bad option specs are refused naming the keys; the page and admin endpoints answer only loopback peers")
    func badOptionsAndLoopback() async throws {
        #expect(throws: SandboxConfigurationError.self) { try DeviceCodeOptions.parse("interval=0") }
        #expect(throws: SandboxConfigurationError.self) { try DeviceCodeOptions.parse("approve-after=soon") }
        #expect(try DeviceCodeOptions.parse("expires-in=2m,slow-down=2").spec == "interval=5,expires-in=120s,approve-after=off,decline-after=off,slow-down=2")
        try await withSandbox { h in
            let bad = try await h.send(.POST, "/_sandbox/device", body: #"{"spec": "bogus=1"}"#)
            #expect(bad.status == 400)
            #expect(bad.text.contains("keys: interval=N, expires-in=DURATION, approve-after=N|off, decline-after=N|off, slow-down=N"))
            for path in ["/devicelogin", "/_sandbox/device"] {
                let outcome = await h.sandbox.engine.handle(method: "GET", path: path, query: "", headers: [:], body: Data(), peerIsLoopback: false)
                guard case .respond(let response) = outcome else { Issue.record("dropped"); continue }
                #expect(response.status == 403, "\(path)")
            }
        }
    }
}

import AsyncHTTPClient
import Foundation
import NIOCore
import PartnerCenterModels

/// A device code waiting for its user: what to show them (the page and the short code), how long
/// it lives and how often to ask. The device code itself stays inside (it is a credential).
public struct DeviceCodeChallenge: Sendable {
    /// The short code the user types at ``verificationURI``.
    public let userCode: String
    /// Where the user signs in.
    public let verificationURI: String
    /// The identity platform's instructions (the page and the code), or pcx's when it sent none.
    public let message: String
    /// Seconds from the request until the codes expire.
    public let expiresIn: Int
    /// Seconds between polls, as the identity platform asked (at least 1).
    public let interval: Int
    /// When the codes expire.
    public let expiresAt: Date
    let deviceCode: Secret
}

/// What happened while the client waited for the user (for a progress line; never a secret).
public enum DeviceCodeProgress: Sendable, Equatable {
    /// The user has not finished yet (`authorization_pending`); the next poll is `interval` s away.
    case pending(interval: Int)
    /// The identity platform asked to poll less often (`slow_down`): every `interval` s from now on.
    case slowDown(interval: Int)
    /// A poll failed in transit or with a 5xx; pcx asks again after the interval.
    case retrying(reason: String)
}

/// A finished device-code sign-in: the refresh token to keep and what the access token says.
public struct DeviceCodeSignIn: Sendable {
    /// The refresh token (App+User). Never print it.
    public let refreshToken: Secret
    /// What the access token obtained with it says (user, tenant, app, audience, expiry).
    public let token: AccessTokenInfo
    /// The scopes granted, as the token endpoint listed them.
    public let scope: String?
}

extension PartnerCenterClient {
    /// The delegated scope a device-code sign-in asks for: Partner Center's `user_impersonation`,
    /// `offline_access` (for the refresh token), `openid` and `profile`.
    public var deviceCodeScope: String {
        var resource = configuration.resource
        while resource.hasSuffix("/") { resource.removeLast() }
        return "\(resource)/user_impersonation offline_access openid profile"
    }

    /// Starts the OAuth 2.0 device authorization grant at the Microsoft identity platform:
    /// `POST {authority}/{tenant}/oauth2/v2.0/devicecode` with `client_id` and ``deviceCodeScope``.
    /// - Throws: ``PartnerCenterError``: `invalid_argument` without tenant or client id,
    ///   `unauthenticated` when refused (an unknown app or tenant), `network`/`timeout`/`server_error`.
    public func requestDeviceCode() async throws -> DeviceCodeChallenge {
        let (tenant, clientId) = try deviceCodeIdentity()
        let url = identityURL(tenant: tenant, endpoint: "devicecode")
        let (status, data) = try await postIdentityForm(url, [("client_id", clientId), ("scope", deviceCodeScope)])
        guard (200..<300).contains(status), let answer = try? JSONDecoder().decode(DeviceAuthorization.self, from: data) else {
            throw identityRefusal(status: status, data: data, url: url, what: "refused to start the device-code sign-in",
                                  hint: "check the tenant and the app id; the app must allow public client flows (Entra admin center: App registrations, Authentication)")
        }
        redactor.register(answer.deviceCode)
        let interval = max(1, answer.interval ?? DeviceAuthorization.defaultInterval)
        let message = answer.message ?? "To sign in, use a web browser to open the page \(answer.verificationURI) and enter the code \(answer.userCode) to authenticate."
        return DeviceCodeChallenge(userCode: answer.userCode, verificationURI: answer.verificationURI, message: message,
                                   expiresIn: answer.expiresIn, interval: interval,
                                   expiresAt: Date().addingTimeInterval(Double(answer.expiresIn)), deviceCode: Secret(answer.deviceCode))
    }

    /// Polls `POST {authority}/{tenant}/oauth2/v2.0/token` (`grant_type=urn:ietf:params:oauth:grant-type:device_code`)
    /// every interval until the user approves, declines, or the code expires. It sleeps between
    /// polls (``ClientConfiguration/sleeper``), adds 5 s to the interval on `slow_down`, and
    /// asks again after a failure in transit (three in a row end it). Cancelling the task stops it.
    /// - Throws: ``PartnerCenterError``: `unauthenticated` (declined, expired, an unknown code, or
    ///   refused), `network`/`timeout`/`server_error`, `cancelled`.
    public func awaitDeviceCodeSignIn(_ challenge: DeviceCodeChallenge,
                                      progress: @Sendable (DeviceCodeProgress) -> Void = { _ in }) async throws -> DeviceCodeSignIn {
        let (tenant, clientId) = try deviceCodeIdentity()
        let url = identityURL(tenant: tenant, endpoint: "token")
        var interval = challenge.interval, failures = 0, withSecret = false
        while true {
            do { try await configuration.sleeper(.seconds(interval)) } catch { throw Self.cancelledSignIn(url) }
            guard Date() < challenge.expiresAt else { throw Self.deviceCodeExpired(challenge) }
            var form = [("grant_type", DeviceAuthorization.grantType), ("client_id", clientId), ("device_code", challenge.deviceCode.reveal())]
            if withSecret, let secret = configuration.clientSecret?.reveal() { form.append(("client_secret", secret)) }
            let step: PollStep
            do {
                let (status, data) = try await postIdentityForm(url, form)
                step = try pollStep(status: status, data: data, url: url, challenge: challenge, canAddSecret: !withSecret)
            } catch let error as PartnerCenterError where [.network, .timeout, .serverError].contains(error.category) && failures < 2 {
                step = .retry(error.message)
            }
            switch step {
            case .done(let signIn): return signIn
            case .pending:
                failures = 0
                progress(.pending(interval: interval))
            case .slower:
                interval += 5
                progress(.slowDown(interval: interval))
            case .retry(let reason):
                failures += 1
                progress(.retrying(reason: reason))
            case .addSecret:
                withSecret = true
            }
        }
    }

    private enum PollStep { case done(DeviceCodeSignIn), pending, slower, retry(String), addSecret }

    /// What one answer of the token endpoint means for the waiting sign-in.
    private func pollStep(status: Int, data: Data, url: String, challenge: DeviceCodeChallenge, canAddSecret: Bool) throws -> PollStep {
        if (200..<300).contains(status) { return .done(try signIn(from: data, status: status, url: url)) }
        let answer = try? JSONDecoder().decode(OAuthError.self, from: data)
        switch answer.flatMap({ DeviceCodeError(rawValue: $0.error) }) {
        case .authorizationPending?: return .pending
        case .slowDown?: return .slower
        case .authorizationDeclined?:
            throw PartnerCenterError(category: .unauthenticated, message: "the sign-in was declined (authorization_declined): nothing was stored",
                                     status: status, method: "POST", path: pathOf(url),
                                     hint: "run pcx login --device-code again and approve the sign-in at \(challenge.verificationURI)")
        case .expiredToken?:
            throw Self.deviceCodeExpired(challenge)
        case .badVerificationCode?:
            throw PartnerCenterError(category: .unauthenticated, message: "the token endpoint does not know the device code (bad_verification_code): nothing was stored",
                                     status: status, method: "POST", path: pathOf(url), hint: "start the sign-in again: pcx login --device-code")
        case nil where canAddSecret && configuration.clientSecret != nil && (answer?.errorDescription ?? "").contains("AADSTS7000218"):
            return .addSecret // UNCONFIRMED tolerance: an app that is no public client wants its secret
        case nil:
            throw identityRefusal(status: status, data: data, url: url, what: "refused the device-code sign-in",
                                  hint: "check the app's API permissions (Partner Center user_impersonation) and that it allows public client flows")
        }
    }

    private func signIn(from data: Data, status: Int, url: String) throws -> DeviceCodeSignIn {
        guard let answer = try? JSONDecoder().decode(OAuthTokenResponse.self, from: data), !answer.accessToken.isEmpty else {
            throw PartnerCenterError(category: .unauthenticated, message: "the token endpoint's answer to the approved sign-in has no access token",
                                     status: status, method: "POST", path: pathOf(url))
        }
        redactor.register(answer.accessToken)
        redactor.register(answer.refreshToken)
        guard let refresh = answer.refreshToken, !refresh.isEmpty else {
            throw PartnerCenterError(category: .unauthenticated, message: "the sign-in succeeded but the token endpoint sent no refresh token: nothing was stored",
                                     status: status, method: "POST", path: pathOf(url),
                                     hint: "the app must be allowed offline_access (Entra admin center: API permissions)")
        }
        let expiry = answer.expiresIn.map { Date().addingTimeInterval(Double($0)) }
        return DeviceCodeSignIn(refreshToken: Secret(refresh),
                                token: AccessTokenInfo(token: answer.accessToken, requestedResource: configuration.resource,
                                                       endpointExpiry: expiry, fixed: false),
                                scope: answer.scope)
    }

    private func deviceCodeIdentity() throws -> (tenant: String, clientId: String) {
        guard let tenant = configuration.tenantId, !tenant.isEmpty, let clientId = configuration.clientId, !clientId.isEmpty else {
            throw PartnerCenterError(category: .invalidArgument, message: "a device-code sign-in needs the tenant and the app's client id",
                                     hint: "set tenant_id and client_id in the profile (or PCX_TENANT_ID and PCX_CLIENT_ID)")
        }
        return (tenant, clientId)
    }

    private func identityURL(tenant: String, endpoint: String) -> String {
        var authority = configuration.authority
        while authority.hasSuffix("/") { authority.removeLast() }
        return "\(authority)/\(PartnerCenterRequest.encodeSegment(tenant))/oauth2/v2.0/\(endpoint)"
    }

    /// POSTs a form to the identity platform; the status and the body.
    private func postIdentityForm(_ url: String, _ form: [(String, String)]) async throws -> (Int, Data) {
        counters.bump(\.tokenRequests)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded; charset=utf-8")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(string: TokenProvider.encode(form)))
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(Int64(configuration.timeouts.request.seconds * 1e9)))
            return (Int(response.status.code), Data(try await response.body.collect(upTo: 1 << 20).readableBytesView))
        } catch {
            if Task.isCancelled || error is CancellationError { throw Self.cancelledSignIn(url) }
            let (category, text) = classifyTransportError(error)
            throw PartnerCenterError(category: category, message: redactor.redact("the sign-in service is unreachable: \(text)"),
                                     method: "POST", path: pathOf(url), hint: "check the authority (\(configuration.authority)) and connectivity")
        }
    }

    private func identityRefusal(status: Int, data: Data, url: String, what: String, hint: String) -> PartnerCenterError {
        let answer = try? JSONDecoder().decode(OAuthError.self, from: data)
        let detail = [answer?.error, answer?.errorDescription?.split(separator: "\n").first.map(String.init)].compactMap { $0 }.joined(separator: ": ")
        return PartnerCenterError(category: status >= 500 ? .serverError : .unauthenticated,
                                  message: redactor.redact("the sign-in service \(what) (HTTP \(status))" + (detail.isEmpty ? "" : ": \(detail)")),
                                  status: status, method: "POST", path: pathOf(url), hint: hint)
    }

    private static func deviceCodeExpired(_ challenge: DeviceCodeChallenge) -> PartnerCenterError {
        PartnerCenterError(category: .unauthenticated, message: "the code \(challenge.userCode) expired before the sign-in finished (expired_token): nothing was stored",
                           hint: "run pcx login --device-code again and sign in within \(max(1, challenge.expiresIn / 60)) min")
    }

    private static func cancelledSignIn(_ url: String) -> PartnerCenterError {
        PartnerCenterError(category: .cancelled, message: "the sign-in was cancelled: nothing was stored", method: "POST", path: pathOf(url))
    }
}

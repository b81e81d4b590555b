import Foundation
import PartnerCenterModels
import Synchronization

/// How the sandbox's device authorization grant behaves (RFC 8628 as the Microsoft identity
/// platform does it). The defaults are Microsoft's: codes live 15 minutes, the client polls
/// every 5 seconds, and a code waits until someone approves or declines it (the page at
/// `/devicelogin`, or `POST /_sandbox/device/approve`). Tests turn the waiting into polls.
public struct DeviceCodeOptions: Sendable, Equatable {
    /// Seconds (sandbox clock) a device code lives.
    public var expiresIn: Int = 900
    /// Seconds the client is told to wait between polls.
    public var interval: Int = 5
    /// Approve a code by itself at its Nth poll; nil waits for an approval.
    public var approveAfterPolls: Int?
    /// Decline a code by itself at its Nth poll; nil never.
    public var declineAfterPolls: Int?
    /// Answer the first N polls of each code `slow_down` (its interval grows by 5 s each time).
    public var slowDownPolls: Int = 0

    /// The defaults.
    public init() {}

    /// The spec keys ``parse(_:base:)`` reads and the values each takes.
    public static let specKeys: [(key: String, values: String)] = [
        ("interval", "N"), ("expires-in", "DURATION"), ("approve-after", "N|off"), ("decline-after", "N|off"), ("slow-down", "N"),
    ]

    /// `interval=N, expires-in=DURATION, ...`: every key with its values.
    public static var specSummary: String { specKeys.map { "\($0.key)=\($0.values)" }.joined(separator: ", ") }

    /// Parses a comma-separated `key=value` spec over `base`: `interval=N` (seconds, 1 or more),
    /// `expires-in=DURATION`, `approve-after=N|off` and `decline-after=N|off` (polls),
    /// `slow-down=N` (the first N polls of each code). Keys are case-insensitive; a later one wins.
    /// - Throws: ``SandboxConfigurationError`` (`bad_device_code_option`) naming the part and the keys.
    public static func parse(_ spec: String, base: DeviceCodeOptions = DeviceCodeOptions()) throws -> DeviceCodeOptions {
        var options = base
        for part in spec.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            let pieces = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let bad = SandboxConfigurationError(code: "bad_device_code_option", option: "device code",
                                                message: "'\(part)' is not valid; keys: \(specSummary), e.g. interval=1,approve-after=2")
            guard pieces.count == 2, !pieces[1].isEmpty else { throw bad }
            let value = pieces[1].lowercased()
            func count(minimum: Int) throws -> Int {
                guard let n = Int(value), n >= minimum else { throw bad }
                return n
            }
            switch pieces[0].lowercased() {
            case "interval": options.interval = try count(minimum: 1)
            case "expires-in":
                guard let seconds = try? SandboxDuration.parse(value, option: "expires-in"), seconds >= 1 else { throw bad }
                options.expiresIn = Int(seconds.rounded())
            case "approve-after": options.approveAfterPolls = value == "off" ? nil : try count(minimum: 1)
            case "decline-after": options.declineAfterPolls = value == "off" ? nil : try count(minimum: 1)
            case "slow-down": options.slowDownPolls = try count(minimum: 0)
            default: throw bad
            }
        }
        return options
    }

    /// The options as a spec ``parse(_:base:)`` reads back.
    public var spec: String {
        "interval=\(interval),expires-in=\(expiresIn)s,approve-after=\(approveAfterPolls.map(String.init) ?? "off")"
            + ",decline-after=\(declineAfterPolls.map(String.init) ?? "off"),slow-down=\(slowDownPolls)"
    }
}

/// One device code the sandbox issued, and where its sign-in stands.
struct DeviceGrant: Sendable {
    enum State: String, Sendable { case pending, approved, declined, redeemed }

    let userCode: String
    let deviceCodeHash: String
    let tenantId: String
    let clientId: String
    let scope: String
    let expires: Date
    var interval: Int
    var polls = 0
    var lastPoll: ContinuousClock.Instant?
    var state = State.pending
}

/// The device codes issued so far (in memory: a code lives minutes), and the options in force.
final class DeviceCodeBook: Sendable {
    private let grants = Mutex<[String: DeviceGrant]>([:])
    private let current: Mutex<DeviceCodeOptions>

    init(options: DeviceCodeOptions) { current = Mutex(options) }

    /// The options new codes and polls follow.
    var options: DeviceCodeOptions {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }

    /// Issues a device code and a user code for `clientId` of `tenantId`.
    func issue(tenantId: String, clientId: String, scope: String, now: Date) -> (deviceCode: String, grant: DeviceGrant) {
        var random = SplitMix64(seed: UInt64.random(in: 0...UInt64.max))
        let deviceCode = "pcxdc." + IDs.secret(&random, length: 64)
        let letters = Array("BCDFGHJKLMNPQRSTVWXZ23456789")
        let userCode = String((0..<9).map { _ in letters[random.next(below: letters.count)] })
        let options = self.options
        let grant = DeviceGrant(userCode: userCode, deviceCodeHash: SandboxEngine.hashToken(deviceCode), tenantId: tenantId,
                                clientId: clientId, scope: scope, expires: now.addingTimeInterval(Double(options.expiresIn)),
                                interval: options.interval)
        grants.withLock { $0[grant.deviceCodeHash] = grant }
        return (deviceCode, grant)
    }

    /// Runs `body` on the grant of `deviceCode` (nil when unknown), keeping what it changes.
    func update<T>(deviceCode: String, _ body: (inout DeviceGrant?) -> T) -> T {
        let hash = SandboxEngine.hashToken(deviceCode)
        return grants.withLock { all in
            var grant = all[hash]
            defer { all[hash] = grant }
            return body(&grant)
        }
    }

    /// Sets the state of the pending code `userCode` (any case, dashes and spaces ignored).
    /// - Returns: the grant after the change, or why not: `unknown`, or its state when it is not pending.
    func decide(userCode: String, approve: Bool, now: Date) -> Result<DeviceGrant, DecisionProblem> {
        let wanted = Self.normalized(userCode)
        return grants.withLock { all in
            guard let key = all.first(where: { $0.value.userCode == wanted })?.key, var grant = all[key] else { return .failure(.unknown) }
            if grant.state == .pending && now >= grant.expires { return .failure(.expired) }
            guard grant.state == .pending else { return .failure(.notPending(grant.state)) }
            grant.state = approve ? .approved : .declined
            all[key] = grant
            return .success(grant)
        }
    }

    enum DecisionProblem: Error { case unknown, expired, notPending(DeviceGrant.State) }

    /// Every code, newest expiry first.
    var all: [DeviceGrant] { grants.withLock { Array($0.values) }.sorted { $0.expires > $1.expires } }

    static func normalized(_ userCode: String) -> String {
        userCode.uppercased().filter { $0 != "-" && !$0.isWhitespace }
    }
}

extension SandboxEngine {
    /// `POST /{tenant}/oauth2/v2.0/devicecode` (`client_id`, `scope`): a device code and a user
    /// code, the page where the user approves (`/devicelogin` on this sandbox) and the polling terms.
    func handleDeviceCode(tenant: String, body: Data, base: String) -> SandboxResponse {
        let form = parseForm(String(decoding: body, as: UTF8.self))
        let partner: PartnerRecord
        switch tokenClient(tenant: tenant, form: form) {
        case .failure(let refusal): return refusal.response
        case .success(let p): partner = p
        }
        guard let scope = form["scope"]?.trimmingCharacters(in: .whitespaces), !scope.isEmpty else {
            return OAuthRefusal(400, "invalid_request", "AADSTS900144: The request body must contain the parameter 'scope'.").response
        }
        let (deviceCode, grant) = deviceCodes.issue(tenantId: partner.tenantId, clientId: partner.clientId, scope: scope, now: clock.now)
        let page = base + "/devicelogin"
        return .json(DeviceAuthorization(
            deviceCode: deviceCode, userCode: grant.userCode, verificationURI: page, expiresIn: deviceCodes.options.expiresIn,
            interval: grant.interval,
            message: "To sign in, use a web browser to open the page \(page) and enter the code \(grant.userCode) to authenticate."))
    }

    /// The device-code grant at the token endpoint: the user's decision so far, as the Microsoft
    /// identity platform answers it (`authorization_pending`, `slow_down`, `authorization_declined`,
    /// `expired_token`, `bad_verification_code`, HTTP 400), or the approved grant (redeemed once).
    func redeemDeviceCode(_ form: [String: String], partner: PartnerRecord, now: Date) -> Result<DeviceGrant, OAuthRefusal> {
        guard let code = form["device_code"] ?? form["code"], !code.isEmpty else {
            return .failure(OAuthRefusal(400, "invalid_request", "AADSTS900144: The request body must contain the parameter 'device_code'."))
        }
        let options = deviceCodes.options
        let wall = ContinuousClock.now
        return deviceCodes.update(deviceCode: code) { slot -> Result<DeviceGrant, OAuthRefusal> in
            guard var grant = slot, grant.tenantId == partner.tenantId else {
                return .failure(OAuthRefusal(400, DeviceCodeError.badVerificationCode.rawValue, "The device_code is not one this sandbox issued for this tenant."))
            }
            guard grant.clientId.caseInsensitiveCompare(form["client_id"] ?? "") == .orderedSame else {
                return .failure(OAuthRefusal(400, "invalid_grant", "The device_code was issued to another application."))
            }
            defer { slot = grant }
            return Self.poll(&grant, options: options, now: now, wall: wall)
        }
    }

    /// One poll of a known code: its state, spacing and the options decide the answer.
    private static func poll(_ grant: inout DeviceGrant, options: DeviceCodeOptions, now: Date,
                             wall: ContinuousClock.Instant) -> Result<DeviceGrant, OAuthRefusal> {
        func refuse(_ error: DeviceCodeError, _ text: String) -> Result<DeviceGrant, OAuthRefusal> { .failure(OAuthRefusal(400, error.rawValue, text)) }
        switch grant.state {
        case .redeemed: return .failure(OAuthRefusal(400, "invalid_grant", "The device_code was already redeemed; start a new sign-in."))
        case .declined: return refuse(.authorizationDeclined, "The end user denied the authorization request.")
        case .pending, .approved: break
        }
        if now >= grant.expires { return refuse(.expiredToken, "AADSTS70019: Verification code expired.") }
        grant.polls += 1
        let early = grant.lastPoll.map { wall - $0 < .milliseconds(grant.interval * 1000 - 500) } ?? false
        grant.lastPoll = wall
        if early || grant.polls <= options.slowDownPolls {
            grant.interval += 5
            return refuse(.slowDown, "Polling too fast: wait \(grant.interval) seconds between requests.")
        }
        if grant.state == .pending, let n = options.declineAfterPolls, grant.polls >= n { grant.state = .declined }
        if grant.state == .pending, let n = options.approveAfterPolls, grant.polls >= n { grant.state = .approved }
        switch grant.state {
        case .declined: return refuse(.authorizationDeclined, "The end user denied the authorization request.")
        case .approved:
            grant.state = .redeemed
            return .success(grant)
        default: return refuse(.authorizationPending, "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling.")
        }
    }
}

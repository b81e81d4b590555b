import Foundation

/// The answer of the Microsoft identity platform's device authorization endpoint,
/// `POST {authority}/{tenant}/oauth2/v2.0/devicecode` with `client_id` and `scope` (RFC 8628 as
/// Microsoft implements it): the codes, where the user signs in, and how long and how often to poll.
///
/// Decoding is tolerant: the numbers may arrive as numeric strings, and the older v1 endpoint's
/// `verification_url` is read as ``verificationURI``. Encoding gives the v2 shape.
public struct DeviceAuthorization: Codable, Hashable, Sendable {
    /// The grant type of the token requests that redeem a device code.
    public static let grantType = "urn:ietf:params:oauth:grant-type:device_code"
    /// The interval RFC 8628 prescribes when the answer names none.
    public static let defaultInterval = 5

    /// The long code the client redeems at the token endpoint. A credential: never shown.
    public var deviceCode: String
    /// The short code the user types at ``verificationURI``.
    public var userCode: String
    /// Where the user signs in (`https://microsoft.com/devicelogin`).
    public var verificationURI: String
    /// Seconds before both codes expire (Microsoft: 900).
    public var expiresIn: Int
    /// Seconds to wait between polls; nil when the answer names none (then 5).
    public var interval: Int?
    /// Instructions for the user, naming the page and the code.
    public var message: String?

    /// Makes an answer.
    public init(deviceCode: String, userCode: String, verificationURI: String, expiresIn: Int, interval: Int?, message: String?) {
        self.deviceCode = deviceCode
        self.userCode = userCode
        self.verificationURI = verificationURI
        self.expiresIn = expiresIn
        self.interval = interval
        self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case deviceCode = "device_code", userCode = "user_code", verificationURI = "verification_uri"
        case verificationURL = "verification_url", expiresIn = "expires_in", interval, message
    }

    /// Decodes the v2 shape, the v1 one (`verification_url`, numbers as strings) and mixtures.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        deviceCode = try c.decode(String.self, forKey: .deviceCode)
        userCode = try c.decode(String.self, forKey: .userCode)
        guard let uri = try c.decodeIfPresent(String.self, forKey: .verificationURI)
                ?? c.decodeIfPresent(String.self, forKey: .verificationURL) else {
            throw DecodingError.keyNotFound(CodingKeys.verificationURI, .init(codingPath: c.codingPath, debugDescription: "no verification_uri"))
        }
        verificationURI = uri
        guard let expires = Self.seconds(c, .expiresIn) else {
            throw DecodingError.keyNotFound(CodingKeys.expiresIn, .init(codingPath: c.codingPath, debugDescription: "no expires_in"))
        }
        expiresIn = expires
        interval = Self.seconds(c, .interval)
        message = try c.decodeIfPresent(String.self, forKey: .message)
    }

    /// Encodes the v2 shape.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(deviceCode, forKey: .deviceCode)
        try c.encode(userCode, forKey: .userCode)
        try c.encode(verificationURI, forKey: .verificationURI)
        try c.encode(expiresIn, forKey: .expiresIn)
        try c.encodeIfPresent(interval, forKey: .interval)
        try c.encodeIfPresent(message, forKey: .message)
    }

    /// A whole number of seconds sent as a JSON number or a numeric string.
    private static func seconds(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) -> Int? {
        if let number = try? c.decodeIfPresent(Double.self, forKey: key), number.isFinite { return Int(number.rounded()) }
        if let text = try? c.decodeIfPresent(String.self, forKey: key), let number = Double(text.trimmingCharacters(in: .whitespaces)),
           number.isFinite { return Int(number.rounded()) }
        return nil
    }
}

/// The OAuth errors the token endpoint answers while a device code waits for the user (HTTP 400,
/// `{"error": …, "error_description": …}`).
public enum DeviceCodeError: String, Sendable, CaseIterable {
    /// The user has not finished signing in: poll again after the interval.
    case authorizationPending = "authorization_pending"
    /// Polling too fast: wait 5 seconds longer from now on.
    case slowDown = "slow_down"
    /// The user declined the sign-in: stop.
    case authorizationDeclined = "authorization_declined"
    /// The device code is not known (or was already used): stop.
    case badVerificationCode = "bad_verification_code"
    /// The codes expired before the user signed in: stop.
    case expiredToken = "expired_token"
}

import Foundation

/// One header carried by a ``Link`` (e.g. `MS-ContinuationToken` on a seek-paged `next` link).
public struct LinkHeader: Codable, Hashable, Sendable {
    /// Header name.
    public var key: String
    /// Header value.
    public var value: String
    /// Makes a header entry.
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

/// A hyperlink inside a response: relative `uri` (normally without `/v1`), method and headers.
public struct Link: Codable, Hashable, Sendable {
    /// Relative URI, e.g. `/products/DZH318Z0BQ3Q/skus?country=US`.
    public var uri: String?
    /// HTTP method, e.g. `GET`, `PATCH`.
    public var method: String?
    /// Headers to send when following the link (usually empty).
    public var headers: [LinkHeader]?
    /// Makes a link; `method` defaults to GET and `headers` to none.
    public init(uri: String?, method: String? = "GET", headers: [LinkHeader]? = []) {
        self.uri = uri
        self.method = method
        self.headers = headers
    }
    /// The value of the header named `name` (case-insensitive), if the link carries it.
    public func header(_ name: String) -> String? {
        headers?.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// A resource's or collection's `links` object: named ``Link``s (`self`, `next`, `skus`, …).
///
/// Unknown names are kept; members that are not link objects are skipped when decoding.
public struct Links: Codable, Hashable, Sendable {
    /// Every link by its wire name.
    public var all: [String: Link]
    /// Makes a links object from named links.
    public init(_ all: [String: Link] = [:]) { self.all = all }
    /// The link with wire name `name`.
    public subscript(name: String) -> Link? {
        get { all[name] }
        set { all[name] = newValue }
    }
    /// `self`.
    public var selfLink: Link? { get { all["self"] } set { all["self"] = newValue } }
    /// `next` (present while more pages exist).
    public var next: Link? { get { all["next"] } set { all["next"] = newValue } }
    /// `previous`.
    public var previous: Link? { get { all["previous"] } set { all["previous"] = newValue } }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Decodes every member that is a link object.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        var all: [String: Link] = [:]
        for key in container.allKeys {
            if let link = try? container.decode(Link.self, forKey: key) { all[key.stringValue] = link }
        }
        self.all = all
    }

    /// Encodes the named links.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for (name, link) in all.sorted(by: { $0.key < $1.key }) {
            try container.encode(link, forKey: Key(stringValue: name))
        }
    }
}

/// `attributes`: the resource's type name and optional ETag.
public struct ResourceAttributes: Codable, Hashable, Sendable {
    /// ETag for versioned resources.
    public var etag: String?
    /// The resource's type name, e.g. `Customer`, `Collection`.
    public var objectType: String?
    /// Makes attributes.
    public init(objectType: String?, etag: String? = nil) {
        self.objectType = objectType
        self.etag = etag
    }
}

/// `ResourceCollection<T>`: `totalCount` (items in *this* page), `items`, `links`, `attributes`.
///
/// Also carries `continuationToken` when the collection is seek-paged, so one type reads both
/// forms; ``SeekBasedResourceCollection`` is an alias kept for readability.
public struct ResourceCollection<Item: Codable & Sendable>: Codable, Sendable {
    /// Number of items in this page (not a grand total).
    public var totalCount: Int?
    /// The page's items (empty when absent).
    public var items: [Item]
    /// `self`, `next`, `previous`; may be absent.
    public var links: Links?
    /// `{"objectType": "Collection"}`.
    public var attributes: ResourceAttributes?
    /// Opaque seek token (seek-paged collections only).
    public var continuationToken: String?

    /// Makes a collection whose `totalCount` is the item count.
    public init(items: [Item], links: Links? = nil, continuationToken: String? = nil) {
        self.items = items
        self.totalCount = items.count
        self.links = links
        self.continuationToken = continuationToken
        self.attributes = ResourceAttributes(objectType: "Collection")
    }

    enum CodingKeys: String, CodingKey { case totalCount, items, links, attributes, continuationToken }

    /// Decodes tolerantly: a missing `items` is an empty page.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        totalCount = try container.decodeIfPresent(Int.self, forKey: .totalCount)
        items = try container.decodeIfPresent([Item].self, forKey: .items) ?? []
        links = try? container.decodeIfPresent(Links.self, forKey: .links)
        attributes = try? container.decodeIfPresent(ResourceAttributes.self, forKey: .attributes)
        continuationToken = try container.decodeIfPresent(String.self, forKey: .continuationToken)
    }

    /// The `next` link, when more pages exist.
    public var nextLink: Link? { links?.next }
}

/// A seek-paged collection (`continuationToken` + `links.next` carrying `MS-ContinuationToken`).
public typealias SeekBasedResourceCollection<Item: Codable & Sendable> = ResourceCollection<Item>

/// Partner Center's error body (ApiFault), returned with any 4xx/5xx except throttling.
public struct ApiFault: Codable, Hashable, Sendable, Error {
    /// The Partner Center error code as text (the wire carries a number in practice).
    public var code: String?
    /// Human-readable description.
    public var description: String?
    /// Extra error objects or strings.
    public var data: [JSONValue]?
    /// Usually `PartnerFD`.
    public var source: String?

    /// Makes a fault with a numeric code.
    public init(code: Int, description: String, data: [JSONValue]? = nil, source: String? = "PartnerFD") {
        self.code = String(code)
        self.description = description
        self.data = data
        self.source = source
    }

    /// The code as an integer, when it is numeric.
    public var numericCode: Int? { code.flatMap { Int($0) } }

    enum CodingKeys: String, CodingKey { case code, description, data, source }

    /// Decodes a number or string code.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = try container.decodeIfPresent(String.self, forKey: .code)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        data = try? container.decodeIfPresent([JSONValue].self, forKey: .data)
        source = try container.decodeIfPresent(String.self, forKey: .source)
    }

    /// Encodes `code` as a JSON number when numeric (as the service does); `data` when set (even empty, like the samples).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        if let numericCode { try container.encode(numericCode, forKey: .code) } else { try container.encodeIfPresent(code, forKey: .code) }
        try container.encodeIfPresent(description, forKey: .description)
        try container.encodeIfPresent(data, forKey: .data)
        try container.encodeIfPresent(source, forKey: .source)
    }
}

/// The 429 body, which is not an ApiFault: `{"statusCode": 429, "message": "Rate limit is exceeded. …"}`.
public struct ThrottlingError: Codable, Hashable, Sendable {
    /// Always 429.
    public var statusCode: Int?
    /// e.g. `Rate limit is exceeded. Try again in 57 seconds.`
    public var message: String?
    /// Makes a throttling body.
    public init(statusCode: Int? = 429, message: String?) {
        self.statusCode = statusCode
        self.message = message
    }
}

/// An OAuth token endpoint response (v1 sends the numbers as strings, v2 as numbers; both decode).
public struct OAuthTokenResponse: Codable, Hashable, Sendable {
    /// `Bearer`.
    public var tokenType: String?
    /// Lifetime in seconds.
    public var expiresIn: Int?
    /// Extended lifetime in seconds.
    public var extExpiresIn: Int?
    /// Expiry as Unix seconds (v1 only).
    public var expiresOn: Int?
    /// Not-before as Unix seconds (v1 only).
    public var notBefore: Int?
    /// v1 resource.
    public var resource: String?
    /// Granted scope.
    public var scope: String?
    /// The bearer token.
    public var accessToken: String
    /// A new refresh token (refresh tokens rotate).
    public var refreshToken: String?
    /// OpenID id token.
    public var idToken: String?

    /// Makes a response.
    public init(accessToken: String) { self.accessToken = accessToken }

    enum CodingKeys: String, CodingKey {
        case tokenType = "token_type", expiresIn = "expires_in", extExpiresIn = "ext_expires_in"
        case expiresOn = "expires_on", notBefore = "not_before", resource, scope
        case accessToken = "access_token", refreshToken = "refresh_token", idToken = "id_token"
    }
}

/// The OAuth error body (`{"error": "invalid_grant", "error_description": "…"}`).
public struct OAuthError: Codable, Hashable, Sendable {
    /// e.g. `invalid_client`, `invalid_grant`, `unsupported_grant_type`.
    public var error: String
    /// Human-readable text.
    public var errorDescription: String?
    /// Makes an OAuth error body.
    public init(error: String, errorDescription: String?) {
        self.error = error
        self.errorDescription = errorDescription
    }
    enum CodingKeys: String, CodingKey { case error, errorDescription = "error_description" }
}

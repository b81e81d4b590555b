import Foundation
import PartnerCenterModels

/// A description of one Partner Center call, independent of how it is sent (Codable, so a
/// journal can store a pinned request and replay it later).
///
/// Requests are made from a declared operation (``init(_:_:caller:)``, see `OperationCatalog`),
/// optionally with a pinned ``requestId`` (the idempotency key), and sent with
/// ``PartnerCenterClient/send(_:)``. The response's bytes are Partner Center's JSON, untouched.
///
/// ```swift
/// let request = try PartnerCenterRequest(OperationCatalog["products.list"],
///                                        ["country": "US", "target_view": "AzureReservationsVM"])
/// let response = try await client.send(request)          // RawResponse, body = JSON bytes
/// ```
public struct PartnerCenterRequest: Sendable, Hashable, Codable, CustomStringConvertible {
    /// One query parameter (kept in order; values are percent-encoded when sent).
    public struct QueryItem: Sendable, Hashable, Codable {
        /// The parameter name.
        public var name: String
        /// The value.
        public var value: String
        /// Creates a query item.
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// A stable dotted name of the operation (`products.list`, `carts.create`, `raw`), for logs and errors.
    public var operation: String
    /// The HTTP method, upper case.
    public var method: String
    /// The path under the endpoint as sent on the wire (percent-encoded segments), starting with
    /// `/v1/` (a path without `/v1` gets it added when sent).
    public var path: String
    /// Query parameters.
    public var query: [QueryItem]
    /// A JSON request body (sent with `Content-Type: application/json`).
    public var body: Data?
    /// A pinned `MS-RequestId`. When nil the client makes one per logical call. Pin it to make a
    /// POST retryable after a dropped connection and to replay a call across runs (the journal).
    public var requestId: String?
    /// A seek-paging continuation token, sent as `MS-ContinuationToken`.
    public var continuationToken: String?
    /// Extra headers (e.g. copied from a `links.next.headers` list). Reserved headers
    /// (Authorization, MS-RequestId, MS-CorrelationId, Host, Content-Length) are ignored here.
    public var headers: [String: String]
    /// The `Accept` header; `application/json` except for the PDF statement.
    public var accept: String

    /// Creates a request for any path (the raw escape hatch).
    public init(
        operation: String = "raw", method: String, path: String, query: [QueryItem] = [], body: Data? = nil,
        requestId: String? = nil, continuationToken: String? = nil, headers: [String: String] = [:],
        accept: String = "application/json"
    ) {
        self.operation = operation
        self.method = method.uppercased()
        self.path = path
        self.query = query
        self.body = body
        self.requestId = requestId
        self.continuationToken = continuationToken
        self.headers = headers
        self.accept = accept
    }

    /// `GET /v1/products?country=US` — the method, path and query.
    public var description: String {
        method + " " + path + (query.isEmpty ? "" : "?" + PartnerCenterRequest.encodeQuery(query))
    }

    /// True for methods that may change state (POST, PUT, PATCH, DELETE).
    public var isMutating: Bool { !["GET", "HEAD", "OPTIONS"].contains(method) }

    /// A copy with `requestId` pinned.
    public func pinned(requestId: String) -> PartnerCenterRequest {
        var copy = self
        copy.requestId = requestId
        return copy
    }

    // MARK: Links

    /// A request for a link Partner Center returned (`links.next`, an artifact `link`, a `Location`):
    /// `uri` is relative (with or without `/v1`, possibly with a query), `headers` are copied
    /// (`MS-ContinuationToken` becomes ``continuationToken``).
    /// - Throws: ``PartnerCenterError`` (`invalid_argument`) for an absolute URL to another host.
    public static func link(uri: String, method: String = "GET", headers: [String: String] = [:], operation: String = "link") throws -> PartnerCenterRequest {
        var text = uri.trimmingCharacters(in: .whitespaces)
        if let url = URL(string: text), url.scheme != nil {
            // Absolute links are reduced to their path and query; the client only talks to its endpoint.
            text = url.path + (url.query.map { "?" + $0 } ?? "")
        }
        guard text.hasPrefix("/") else {
            throw PartnerCenterError(category: .invalidArgument, message: "link '\(uri)' is not a relative URI")
        }
        var path = text
        var query: [QueryItem] = []
        if let mark = text.firstIndex(of: "?") {
            path = String(text[..<mark])
            let rawQuery = text[text.index(after: mark)...]
            for pair in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
                let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
                query.append(QueryItem(name, value))
            }
        }
        var request = PartnerCenterRequest(operation: operation, method: method, path: versioned(path), query: query)
        for (key, value) in headers {
            if key.caseInsensitiveCompare("MS-ContinuationToken") == .orderedSame {
                request.continuationToken = value
            } else {
                request.headers[key] = value
            }
        }
        return request
    }

    // MARK: Helpers

    /// Adds the `/v1` prefix unless the path already has it.
    static func versioned(_ path: String) -> String {
        let lower = path.lowercased()
        if lower == "/v1" || lower.hasPrefix("/v1/") { return path }
        return "/v1" + (path.hasPrefix("/") ? path : "/" + path)
    }

    static let segmentAllowed: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "-._~:@!$'()*,;=")
        return set
    }()

    static let queryAllowed: CharacterSet = {
        var set = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        set.insert(charactersIn: "-._~:@!$'()*,;/?")
        return set
    }()

    /// Percent-encodes one path segment (a `/` inside an ID cannot change the path).
    static func encodeSegment(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: segmentAllowed) ?? segment
    }

    /// `a=1&b=x%2By` — percent-encoded in order.
    static func encodeQuery(_ items: [QueryItem]) -> String {
        items.map { item in
            let name = item.name.addingPercentEncoding(withAllowedCharacters: queryAllowed) ?? item.name
            let value = item.value.addingPercentEncoding(withAllowedCharacters: queryAllowed) ?? item.value
            return name + "=" + value
        }.joined(separator: "&")
    }
}

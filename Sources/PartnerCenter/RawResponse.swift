import Foundation

/// A successful (2xx) Partner Center response, with the body's bytes untouched.
///
/// Errors never arrive as a `RawResponse`: ``PartnerCenterClient/send(_:)`` throws a
/// ``PartnerCenterError`` for anything that is not 2xx after retries.
public struct RawResponse: Sendable {
    /// One response header.
    public struct Header: Sendable, Hashable {
        /// The header name as received.
        public var name: String
        /// The value.
        public var value: String
    }

    /// The HTTP status (200, 201, 202…).
    public var status: Int
    /// The response headers, in order.
    public var headers: [Header]
    /// The body's bytes (JSON for every operation except the PDF statement).
    public var body: Data
    /// The `MS-RequestId` of the call (the response's echo, first comma-separated element, else what was sent).
    public var requestId: String
    /// The `MS-CorrelationId` of the call (echo, else what was sent).
    public var correlationId: String
    /// The request that produced this response (after `/v1` normalisation).
    public var request: PartnerCenterRequest
    /// How many HTTP attempts the logical call took (1 = no retry).
    public var attempts: Int

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The request for the next page (from `links.next`, with its `MS-ContinuationToken`), or nil on the last page.
    public var nextPageRequest: PartnerCenterRequest? {
        guard let envelope = PageEnvelope.parse(body), let next = envelope.next else { return nil }
        var headers: [String: String] = [:]
        for header in next.headers ?? [] { headers[header.key] = header.value }
        guard var request = try? PartnerCenterRequest.link(
            uri: next.uri, method: next.method ?? "GET", headers: headers, operation: self.request.operation) else { return nil }
        if request.continuationToken == nil, let token = envelope.continuationToken,
           request.query.contains(where: { $0.name.caseInsensitiveCompare("seekOperation") == .orderedSame }) {
            request.continuationToken = token
        }
        request.accept = self.request.accept
        return request
    }

    /// The top-level `continuationToken` of a seek-paged collection, if any.
    public var continuationToken: String? { PageEnvelope.parse(body)?.continuationToken }

    /// Decodes the body as `T` with the client's JSON decoder settings.
    /// - Throws: ``PartnerCenterError`` (`server_error`) when the body does not decode.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: body)
        } catch {
            throw PartnerCenterError(
                category: .serverError,
                message: "the response of \(request.operation) could not be read as \(T.self): \(describeDecodingError(error))",
                status: status, requestId: requestId, correlationId: correlationId, method: request.method,
                path: request.path, hint: "the service sent an unexpected shape; the raw body is still available to scripts")
        }
    }
}

extension RawResponse {
    /// Throws `server_error` when the body cannot be the JSON document the operation answers:
    /// empty, an HTML page, or not starting and ending like a JSON object or array (truncated).
    /// For a change, the error says it may have been made (its outcome is unknown).
    public func checkJSONShape() throws {
        func fail(_ what: String) -> PartnerCenterError {
            var error = PartnerCenterError(
                category: .serverError, message: "Partner Center's answer could not be read: \(what)",
                status: status, requestId: requestId, correlationId: correlationId,
                method: request.method, path: request.path,
                hint: request.isMutating
                    ? "the change may have been made; re-run the same command: pcx re-sends it with the same request id"
                    : "retry later; if it persists, report the request id to Microsoft")
            error.outcomeUnknown = request.isMutating
            return error
        }
        let type = header("Content-Type")?.lowercased().split(separator: ";").first.map(String.init)
        let ws: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
        guard let first = body.firstIndex(where: { !ws.contains($0) }),
              let last = body.lastIndex(where: { !ws.contains($0) }) else {
            throw fail("the body is empty")
        }
        let open = body[first], close = body[last]
        let shaped = (open == UInt8(ascii: "{") && close == UInt8(ascii: "}")) || (open == UInt8(ascii: "[") && close == UInt8(ascii: "]"))
        if !shaped {
            if open == UInt8(ascii: "<") || type == "text/html" { throw fail("it is an HTML page (\(type ?? "no content type")), not JSON") }
            throw fail("the JSON document is truncated or malformed (\(body.count) bytes, \(type ?? "no content type"))")
        }
    }
}

/// The paging-relevant parts of a collection body.
struct PageEnvelope: Decodable {
    struct LinkHeader: Decodable {
        var key: String
        var value: String
    }

    struct Link: Decodable {
        var uri: String
        var method: String?
        var headers: [LinkHeader]?
    }

    struct Links: Decodable {
        var next: Link?
    }

    var links: Links?
    var continuationToken: String?

    var next: Link? { links?.next }

    static func parse(_ body: Data) -> PageEnvelope? {
        guard let first = body.first(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }), first == UInt8(ascii: "{") else {
            return nil
        }
        return scan(body) ?? (try? JSONDecoder().decode(PageEnvelope.self, from: body))
    }
}

/// A short, readable rendering of a `DecodingError` (path and problem).
func describeDecodingError(_ error: any Error) -> String {
    guard let error = error as? DecodingError else { return String(describing: error) }
    func path(_ context: DecodingError.Context) -> String {
        let text = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
        return text.isEmpty ? "<root>" : text
    }
    switch error {
    case .keyNotFound(let key, let context): return "missing key '\(key.stringValue)' at \(path(context))"
    case .typeMismatch(let type, let context): return "expected \(type) at \(path(context)): \(context.debugDescription)"
    case .valueNotFound(let type, let context): return "missing \(type) at \(path(context))"
    case .dataCorrupted(let context): return "bad data at \(path(context)): \(context.debugDescription)"
    @unknown default: return String(describing: error)
    }
}

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PartnerCenterModels

/// Microsoft Graph calls for reconciliation v2 (addendum §3.3): a Graph token (same profile,
/// audience `https://graph.microsoft.com`), `client-request-id` per call, retries that honour
/// `Retry-After` on 429/503, and the Graph error envelope decoded into ``PartnerCenterError``.
/// Graph has its own conventions, so these calls do not go through the Partner Center transport
/// (no `MS-RequestId`, no ApiFault, no per-customer limiter).
struct GraphAnswer: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: Data
    var url: String
    var clientRequestId: String

    func header(_ name: String) -> String? { headers.first(name: name) }
}

extension PartnerCenterClient {
    /// The Graph base URL (`https://graph.microsoft.com/v1.0`), without a trailing `/`.
    var graphBase: String {
        var base = configuration.graphEndpoint
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    /// A Graph token for the profile (cached and renewed like the Partner Center token).
    func graphToken() async throws -> String {
        try await tokens.token(for: configuration.graphResource)
    }

    /// One Graph call (`url` absolute, or a path under ``graphBase``), retried on 429, 503, other
    /// 5xx and dropped connections per ``RetryPolicy`` (Retry-After honoured), a 401 renewing the
    /// token once. Answers outside `accept` become errors through ``graphFailure(_:method:)``.
    func graphCall(
        _ method: HTTPMethod, _ target: String, body: Data? = nil, operation: String, accept: Set<Int> = [200]
    ) async throws -> GraphAnswer {
        let url = target.hasPrefix("/") ? graphBase + target : target
        let clientRequestId = UUID().uuidString.lowercased()
        var renewed = false
        var retry = 0
        while true {
            try Task.checkCancellation()
            let token = try await graphToken()
            let answer: GraphAnswer
            do {
                answer = try await graphAttempt(method, url, body: body, token: token, clientRequestId: clientRequestId, operation: operation)
            } catch let error as PartnerCenterError {
                guard retry + 1 < configuration.retry.maxAttempts, error.category == .network || error.category == .timeout else { throw error }
                try await graphPause(configuration.retry.backoff(forRetry: retry, unit: Double.random(in: 0.5...1)), operation: operation)
                retry += 1
                continue
            }
            if accept.contains(answer.status) { return answer }
            if answer.status == 401, !renewed, await tokens.canRenew {
                renewed = true
                await tokens.invalidate(token)
                continue
            }
            let failure = graphFailure(answer, method: method)
            let transient = answer.status == 429 || answer.status >= 500
            guard transient, retry + 1 < configuration.retry.maxAttempts, budget.spend() else { throw failure }
            if answer.status == 429 { counters.bump(\.throttled) }
            counters.bump(\.retries)
            let asked = answer.header("Retry-After").flatMap { RetryAfter.parse($0) }
            let delay = asked.map { min(Duration.milliseconds(Int64($0 * 1000)), configuration.retry.maxRetryAfter) }
                ?? configuration.retry.backoff(forRetry: retry, unit: Double.random(in: 0.5...1))
            configuration.onEvent?(.retrying(operation: operation, requestId: clientRequestId, retry: retry + 1, delay: delay, reason: failure.category.rawValue))
            try await graphPause(delay, operation: operation)
            retry += 1
        }
    }

    func graphPause(_ delay: Duration, operation: String) async throws {
        do { try await configuration.sleeper(delay) } catch {
            throw PartnerCenterError(category: .cancelled, message: "\(operation) was cancelled while waiting")
        }
    }

    private func graphAttempt(
        _ method: HTTPMethod, _ url: String, body: Data?, token: String, clientRequestId: String, operation: String
    ) async throws -> GraphAnswer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "client-request-id", value: clientRequestId)
        request.headers.add(name: "User-Agent", value: configuration.applicationName)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        counters.bump(\.requestsSent)
        configuration.onEvent?(.sending(operation: operation, method: method.rawValue, path: pathOf(url), requestId: clientRequestId, attempt: 1))
        do {
            let response = try await http.execute(request, timeout: .nanoseconds(Int64(configuration.timeouts.request.seconds * 1e9)))
            let data = Data(try await response.body.collect(upTo: min(configuration.maxResponseBytes, 16 << 20)).readableBytesView)
            configuration.onEvent?(.response(operation: operation, status: Int(response.status.code), requestId: clientRequestId, attempt: 1))
            return GraphAnswer(status: Int(response.status.code), headers: response.headers, body: data, url: url, clientRequestId: clientRequestId)
        } catch {
            if Task.isCancelled || error is CancellationError {
                throw PartnerCenterError(category: .cancelled, message: "\(operation) was cancelled", method: method.rawValue, path: pathOf(url))
            }
            let (category, text) = classifyTransportError(error)
            throw PartnerCenterError(
                category: category, message: redactor.redact("Microsoft Graph unreachable: \(text)"), requestId: clientRequestId,
                method: method.rawValue, path: pathOf(url), hint: "check PCX_GRAPH_ENDPOINT (\(configuration.graphEndpoint)) and connectivity")
        }
    }

    /// A Graph error answer as a ``PartnerCenterError``: the envelope's code and message, its
    /// `request-id`, and a hint; a 403 names the permission pcx needs.
    func graphFailure(_ answer: GraphAnswer, method: HTTPMethod) -> PartnerCenterError {
        let envelope = try? JSONDecoder().decode(GraphBilling.ErrorEnvelope.self, from: answer.body)
        let code = envelope?.error.code
        let text = envelope?.error.message ?? String(decoding: answer.body.prefix(300), as: UTF8.self)
        let category = Self.graphCategory(answer.status)
        var hint: String?
        switch answer.status {
        case 403:
            hint = "grant the app registration the Microsoft Graph permission \(GraphBilling.permission) (application, or delegated for App+User) with admin consent, then run again"
        case 401:
            hint = "the Graph token was refused: check that the profile's tenant and app can get a token for \(configuration.graphResource)"
        case 429:
            hint = "Microsoft Graph is throttling this app; run again later"
        default: hint = nil
        }
        let message = answer.status == 403
            ? "Microsoft Graph refused the reconciliation export: the app lacks \(GraphBilling.permission)" + (text.isEmpty ? "" : " (\(text))")
            : "Microsoft Graph answered HTTP \(answer.status)" + (text.isEmpty ? "" : ": \(text)")
        return PartnerCenterError(
            category: category, message: redactor.redact(message), status: answer.status, pcCode: code,
            requestId: envelope?.error.innerError?.requestId ?? answer.clientRequestId, method: method.rawValue,
            path: pathOf(answer.url), hint: hint,
            retryAfterSeconds: answer.header("Retry-After").flatMap { RetryAfter.parse($0) })
    }

    static func graphCategory(_ status: Int) -> PartnerCenterError.Category {
        switch status {
        case 401: return .unauthenticated
        case 403: return .forbidden
        case 404, 410: return .notFound
        case 409: return .conflict
        case 429: return .throttled
        case 500...: return .serverError
        default: return .invalidArgument
        }
    }
}

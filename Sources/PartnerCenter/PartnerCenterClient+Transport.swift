import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// What one logical call produced.
struct CallOutcome: Sendable {
    var response: RawResponse
    var bytesWritten: Int
}

/// What one HTTP attempt produced.
private struct AttemptResult: Sendable {
    var status: Int
    var headers: [RawResponse.Header]
    var body: Data
    var bytesWritten: Int
}

/// The error body Partner Center sends: an ApiFault (`code`, `description`) or the 429 shape (`statusCode`, `message`).
private struct FaultBody: Decodable {
    var code: FlexibleString?
    var description: String?
    var message: String?
    var errorCode: FlexibleString?
    var errorDescription: String?
}

/// A string that may arrive as a JSON string or number.
struct FlexibleString: Decodable, Sendable {
    var value: String?

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            value = text
        } else if let number = try? container.decode(Int64.self) {
            value = String(number)
        } else if let number = try? container.decode(Double.self) {
            value = String(number)
        } else {
            value = nil
        }
    }
}

/// One logical call in flight: its request (with its ids) and what its attempts have shown.
struct CallState {
    var request: PartnerCenterRequest
    /// The caller pinned the `MS-RequestId`.
    let pinned: Bool
    let idempotent: Bool
    let requestId: String
    let correlationId: String
    let deadline: ContinuousClock.Instant
    var attempts = 0
    var retries = 0
    var renewedToken = false
    /// An attempt may have reached Partner Center.
    var dispatched = false
    /// An attempt reached Partner Center (or may have) and its outcome is unknown.
    var uncertain = false

    init(request: PartnerCenterRequest, pinned: Bool, idempotent: Bool, correlationId: String, deadline: ContinuousClock.Instant) {
        var request = request
        let id = request.requestId ?? UUID().uuidString.lowercased()
        request.requestId = id
        self.request = request
        self.pinned = pinned
        self.idempotent = idempotent
        self.requestId = id
        self.correlationId = correlationId
        self.deadline = deadline
    }

    /// Safe to send again: idempotent, or its request id is pinned.
    var retryable: Bool { idempotent || pinned }

    func failure(
        _ category: PartnerCenterError.Category, _ message: String, status: Int? = nil, pcCode: String? = nil,
        hint: String? = nil, retryAfter: Double? = nil, redactor: SecretRedactor
    ) -> PartnerCenterError {
        PartnerCenterError(
            category: category, message: redactor.redact(message), status: status, pcCode: pcCode,
            requestId: requestId, correlationId: correlationId, method: request.method, path: request.path,
            hint: hint, retryAfterSeconds: retryAfter)
    }

    /// `error`, marked as never sent.
    func unsent(_ error: PartnerCenterError) -> PartnerCenterError {
        var error = error
        error.notSent = true
        return error
    }

    /// `error` as the end of this call: never sent if no attempt left pcx; outcome unknown if an
    /// earlier attempt's was (or this one's is).
    func ended(_ error: PartnerCenterError) -> PartnerCenterError {
        var error = error
        error.notSent = !dispatched
        if uncertain {
            error.outcomeUnknown = true
            if let status = error.status, (400..<500).contains(status), status != 429 {
                error.hint = "an earlier attempt of this call may have been applied (its connection dropped or it failed on the server), so this answer does not say whether it was; check before repeating, or retry with MS-RequestId \(requestId)"
            }
        }
        return error
    }
}

extension PartnerCenterClient {
    /// Runs one logical call: policy, limiter, auth, attempts and retries. `sink` = a file path to stream a 2xx body to.
    func perform(_ original: PartnerCenterRequest, sink: String?) async throws -> CallOutcome {
        counters.bump(\.calls)
        do {
            return try await performCall(original, sink: sink)
        } catch let error as PartnerCenterError {
            counters.bump(\.failures)
            configuration.logger.debug("call failed", metadata: [
                "operation": "\(original.operation)", "category": "\(error.category)",
                "status": "\(error.status.map(String.init) ?? "-")", "request_id": "\(error.requestId ?? "-")",
            ])
            throw error
        }
    }

    private func performCall(_ original: PartnerCenterRequest, sink: String?) async throws -> CallOutcome {
        let prepared: PreparedRequest
        do {
            prepared = try prepare(original)
        } catch var error as PartnerCenterError {
            error.notSent = true
            throw error
        }
        var call = CallState(
            request: prepared.request, pinned: original.requestId != nil, idempotent: prepared.idempotent,
            correlationId: configuration.correlationId ?? UUID().uuidString.lowercased(),
            deadline: ContinuousClock.now + configuration.timeouts.overall)
        if isShutDown.load(ordering: .acquiring) {
            throw call.unsent(call.failure(.invalidArgument, "the client was shut down", hint: "create a new client", redactor: redactor))
        }
        try await enforceMarketRule(prepared, call)
        while true {
            if Task.isCancelled { throw call.ended(call.failure(.cancelled, "the call was cancelled", redactor: redactor)) }
            call.attempts += 1
            let token = try await attemptToken(call)
            let permit: RateLimiter.Permit
            do {
                permit = try await rateLimiter.acquire(prepared.limit)
            } catch {
                throw call.ended(call.failure(.cancelled, "the call was cancelled while waiting for the rate limiter", redactor: redactor))
            }
            call.dispatched = true
            let outcome = await attemptOnce(call, token: token, sink: sink)
            permit.release()
            switch try await decide(outcome, prepared: prepared, token: token, call: &call) {
            case .done(let result):
                return result
            case .again:
                continue
            case .retry(let delay, let failure):
                try await waitToRetry(delay, failure, call: &call)
            }
        }
    }

    /// The market rule for declared operations marked `marketRule` (a refusal or a failed lookup: not sent).
    private func enforceMarketRule(_ prepared: PreparedRequest, _ call: CallState) async throws {
        guard prepared.marketRule, let customerId = prepared.customerId else { return }
        do {
            try await enforceMarketPolicy(customerId: customerId, operation: call.request.operation)
        } catch var error as PartnerCenterError {
            if error.category == .policyDenied {
                error.requestId = call.requestId
                error.correlationId = call.correlationId
                error.method = call.request.method
                error.path = call.request.path
            }
            throw call.unsent(error)
        }
    }

    /// A token for the next attempt (its failure ends the call).
    private func attemptToken(_ call: CallState) async throws -> String {
        do {
            return try await tokens.token()
        } catch var error as PartnerCenterError {
            if Task.isCancelled { throw call.ended(call.failure(.cancelled, "the call was cancelled", redactor: redactor)) }
            error.requestId = call.requestId
            error.correlationId = call.correlationId
            error.message = "\(call.request.method) \(call.request.path): " + error.message
            throw call.ended(error)
        }
    }

    /// One HTTP attempt, never throwing: its result or its failure.
    private func attemptOnce(_ call: CallState, token: String, sink: String?) async -> Result<AttemptResult, any Error> {
        let attemptDeadline = min(call.deadline, ContinuousClock.now + configuration.timeouts.request)
        counters.bump(\.requestsSent)
        configuration.onEvent?(.sending(
            operation: call.request.operation, method: call.request.method, path: call.request.path,
            requestId: call.requestId, attempt: call.attempts))
        do {
            let headers = buildHeaders(call.request, token: token, requestId: call.requestId, correlationId: call.correlationId)
            return .success(try await attempt(call.request, headers: headers, deadline: attemptDeadline, sink: sink))
        } catch {
            return .failure(error)
        }
    }

    /// What to do after an attempt.
    private enum Decision {
        case done(CallOutcome)
        /// Try again at once (the token was renewed; not a retry).
        case again
        case retry(Duration, PartnerCenterError)
    }

    private func decide(
        _ outcome: Result<AttemptResult, any Error>, prepared: PreparedRequest, token: String, call: inout CallState
    ) async throws -> Decision {
        switch outcome {
        case .success(let result) where (200..<300).contains(result.status):
            return .done(succeeded(result, prepared: prepared, call: call))
        case .success(let result):
            return try await failedStatus(result, prepared: prepared, token: token, call: &call)
        case .failure(let error):
            return try failedTransport(error, call: &call)
        }
    }

    private func succeeded(_ result: AttemptResult, prepared: PreparedRequest, call: CallState) -> CallOutcome {
        let request = call.request
        configuration.onEvent?(.response(operation: request.operation, status: result.status, requestId: call.requestId, attempt: call.attempts))
        rateLimiter.reward(prepared.limit)
        func first(_ name: String) -> String? {
            result.headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }
                .flatMap { $0.value.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } }
        }
        configuration.logger.debug("response", metadata: [
            "operation": "\(request.operation)", "method": "\(request.method)", "path": "\(request.path)",
            "status": "\(result.status)", "request_id": "\(call.requestId)", "attempt": "\(call.attempts)",
        ])
        let response = RawResponse(
            status: result.status, headers: result.headers, body: result.body,
            requestId: first("MS-RequestId") ?? call.requestId, correlationId: first("MS-CorrelationId") ?? call.correlationId,
            request: request, attempts: call.attempts)
        return CallOutcome(response: response, bytesWritten: result.bytesWritten)
    }

    /// A non-2xx answer: renew the token once on 401, retry what may be retried, else fail.
    private func failedStatus(
        _ result: AttemptResult, prepared: PreparedRequest, token: String, call: inout CallState
    ) async throws -> Decision {
        let request = call.request
        configuration.onEvent?(.response(operation: request.operation, status: result.status, requestId: call.requestId, attempt: call.attempts))
        let failure = statusFailure(result, call: call)
        let policy = configuration.retry
        let backoff = policy.backoff(forRetry: call.retries, unit: Double.random(in: 0...1))
        switch result.status {
        case 401 where !call.renewedToken:
            guard await tokens.canRenew else { throw call.ended(failure) }
            call.renewedToken = true
            await tokens.invalidate(token)
            configuration.logger.debug("token rejected; renewing once", metadata: ["request_id": "\(call.requestId)"])
            call.attempts -= 1
            return .again
        case 429:
            counters.bump(\.throttled)
            configuration.onEvent?(.throttled(operation: request.operation, requestId: call.requestId, retryAfter: failure.retryAfterSeconds))
            rateLimiter.penalize(prepared.limit, retryAfter: failure.retryAfterSeconds)
            if let wait = failure.retryAfterSeconds, wait > policy.maxRetryAfter.seconds {
                var error = failure
                error.message = "Partner Center asked to retry after \(formatSeconds(wait)), longer than the \(formatSeconds(policy.maxRetryAfter.seconds)) the client waits"
                throw call.ended(error)
            }
            return .retry(max(backoff, .seconds(failure.retryAfterSeconds ?? 0)), failure)
        case 409 where failure.pcCode == "800064" && call.retryable:
            // another request (an earlier attempt of this one) is processing the cart: wait and send
            // the same request again; a checkout repeated with its MS-RequestId answers the stored result
            call.uncertain = true
            return .retry(backoff, failure)
        case 408, 500, 502, 503, 504:
            call.uncertain = true
            guard call.retryable else {
                throw call.ended(withHint(failure, "the \(request.method) was not retried because its MS-RequestId was not pinned; it may have been applied — check before repeating, or retry with MS-RequestId \(call.requestId)"))
            }
            var delay = backoff
            if let wait = failure.retryAfterSeconds, wait <= policy.maxRetryAfter.seconds { delay = max(delay, .seconds(wait)) }
            return .retry(delay, failure)
        default:
            throw call.ended(failure)
        }
    }

    /// The error for a non-2xx answer, read from its ApiFault (or 429) body.
    private func statusFailure(_ result: AttemptResult, call: CallState) -> PartnerCenterError {
        let fault = try? JSONDecoder().decode(FaultBody.self, from: result.body)
        let pcCode = fault?.code?.value ?? fault?.errorCode?.value
        var message = fault?.description ?? fault?.message ?? fault?.errorDescription
            ?? HTTPResponseStatus(statusCode: result.status).reasonPhrase
        if message.count > 1024 { message = String(message.prefix(1024)) + "…" }
        let retryAfter = result.headers.first { $0.name.caseInsensitiveCompare("Retry-After") == .orderedSame }
            .flatMap { RetryAfter.parse($0.value) }
        configuration.logger.debug("error response", metadata: [
            "operation": "\(call.request.operation)", "method": "\(call.request.method)", "path": "\(call.request.path)",
            "status": "\(result.status)", "code": "\(pcCode ?? "-")", "request_id": "\(call.requestId)", "attempt": "\(call.attempts)",
        ])
        return call.failure(PartnerCenterError.category(forStatus: result.status), message, status: result.status,
                            pcCode: pcCode, retryAfter: retryAfter, redactor: redactor)
    }

    /// A failed attempt (no HTTP answer): the outcome is unknown once the request may have left.
    private func failedTransport(_ error: any Error, call: inout CallState) throws -> Decision {
        if Task.isCancelled { throw call.ended(call.failure(.cancelled, "the call was cancelled", redactor: redactor)) }
        if let error = error as? PartnerCenterError { throw call.ended(error) }
        let (category, text) = classifyTransportError(error)
        if category == .cancelled { throw call.ended(call.failure(.cancelled, "the call was cancelled", redactor: redactor)) }
        call.uncertain = true
        let what = category == .timeout
            ? "no complete response within \(formatSeconds(configuration.timeouts.request.seconds)): \(text)"
            : "the connection failed: \(text)"
        let failure = call.failure(category, what, redactor: redactor)
        configuration.logger.debug("transport failure", metadata: [
            "operation": "\(call.request.operation)", "method": "\(call.request.method)", "path": "\(call.request.path)",
            "category": "\(category)", "request_id": "\(call.requestId)", "attempt": "\(call.attempts)",
        ])
        guard call.retryable else {
            throw call.ended(withHint(failure, "the \(call.request.method) was not retried because its MS-RequestId was not pinned; it may have been applied — retry with MS-RequestId \(call.requestId) to be safe"))
        }
        return .retry(configuration.retry.backoff(forRetry: call.retries, unit: Double.random(in: 0...1)), failure)
    }

    /// Checks the attempt limit, the retry budget and the deadline, then sleeps `delay`.
    private func waitToRetry(_ delay: Duration, _ failure: PartnerCenterError, call: inout CallState) async throws {
        let policy = configuration.retry
        let throttled = failure.category == .throttled
        guard call.attempts < policy.maxAttempts else {
            var error = failure
            error.message += " — gave up after \(call.attempts) attempts"
            if throttled { error.hint = "lower the concurrency or the rate limit (rate_per_partner / rate_per_customer), or raise max_attempts" }
            throw call.ended(error)
        }
        guard budget.spend() else {
            var error = failure
            if throttled, let seconds = error.retryAfterSeconds {
                error.message = "Partner Center asked to retry after \(formatSeconds(seconds)) and the retry budget is spent"
            } else {
                error.message += " — the retry budget is spent"
            }
            error.hint = "lower the concurrency or the rate limit, or raise the retry budget (retry_budget)"
            throw call.ended(error)
        }
        if ContinuousClock.now + delay > call.deadline {
            var error = failure
            if !throttled { error.category = .timeout }
            error.message += " — the next retry would pass the overall deadline of \(formatSeconds(configuration.timeouts.overall.seconds))"
            error.hint = throttled
                ? "lower the concurrency or the rate limit, or raise overall_timeout"
                : "raise overall_timeout or retry later with MS-RequestId \(call.requestId)"
            throw call.ended(error)
        }
        call.retries += 1
        counters.bump(\.retries)
        configuration.onEvent?(.retrying(
            operation: call.request.operation, requestId: call.requestId, retry: call.retries, delay: delay, reason: failure.category.rawValue))
        configuration.logger.debug("retrying", metadata: [
            "operation": "\(call.request.operation)", "request_id": "\(call.requestId)", "retry": "\(call.retries)",
            "delay_ms": "\(Int(delay.seconds * 1000))", "reason": "\(failure.category)",
        ])
        do {
            try await configuration.sleeper(delay)
        } catch {
            throw call.ended(call.failure(.cancelled, "the call was cancelled while waiting to retry", redactor: redactor))
        }
    }

    private func withHint(_ error: PartnerCenterError, _ hint: String) -> PartnerCenterError {
        var copy = error
        copy.hint = hint
        return copy
    }

    private func buildHeaders(_ request: PartnerCenterRequest, token: String, requestId: String, correlationId: String) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer \(token)")
        headers.add(name: "Accept", value: request.accept)
        headers.add(name: "MS-RequestId", value: requestId)
        headers.add(name: "MS-CorrelationId", value: correlationId)
        headers.add(name: "X-Locale", value: configuration.locale)
        headers.add(name: "MS-PartnerCenter-Application", value: configuration.applicationName)
        headers.add(name: "MS-PartnerCenter-Client", value: "pcx")
        if let continuation = request.continuationToken {
            headers.add(name: "MS-ContinuationToken", value: continuation)
        }
        if request.body != nil {
            headers.add(name: "Content-Type", value: "application/json")
        }
        for (name, value) in request.headers.sorted(by: { $0.key < $1.key })
        where !PartnerCenterClient.reservedHeaders.contains(name.lowercased()) {
            if name.caseInsensitiveCompare("Accept") == .orderedSame || name.caseInsensitiveCompare("Content-Type") == .orderedSame {
                headers.replaceOrAdd(name: name, value: value)
            } else {
                headers.add(name: name, value: value)
            }
        }
        return headers
    }

    /// One HTTP attempt, bounded by `deadline`; a 2xx body goes to `sink` (a file) when given.
    private func attempt(
        _ request: PartnerCenterRequest, headers: HTTPHeaders, deadline: ContinuousClock.Instant, sink: String?
    ) async throws -> AttemptResult {
        var url = endpointBase + request.path
        if !request.query.isEmpty { url += "?" + PartnerCenterRequest.encodeQuery(request.query) }
        var httpRequest = HTTPClientRequest(url: url)
        httpRequest.method = HTTPMethod(rawValue: request.method)
        httpRequest.headers = headers
        if let body = request.body {
            httpRequest.body = .bytes(ByteBuffer(bytes: body))
        } else if request.method == "POST" || request.method == "PUT" || request.method == "PATCH" {
            httpRequest.body = .bytes(ByteBuffer())
        }
        let http = self.http
        let maxBytes = configuration.maxResponseBytes
        let nanos = max(Int64(1), Int64((deadline - ContinuousClock.now).seconds * 1e9))
        let prepared = httpRequest
        return try await withDeadline(deadline) {
            let response = try await http.execute(prepared, deadline: .now() + .nanoseconds(nanos))
            let status = Int(response.status.code)
            let headers = response.headers.map { RawResponse.Header(name: $0.name, value: $0.value) }
            if let sink, (200..<300).contains(status) {
                let written = try await PartnerCenterClient.stream(response.body, to: sink)
                return AttemptResult(status: status, headers: headers, body: Data(), bytesWritten: written)
            }
            // Error bodies are small; cap them so a misbehaving server cannot exhaust memory.
            let limit = (200..<300).contains(status) ? maxBytes : min(maxBytes, 1 << 20)
            let buffer: ByteBuffer
            do {
                buffer = try await response.body.collect(upTo: limit)
            } catch let error as NIOTooManyBytesError {
                _ = error
                throw PartnerCenterError(
                    category: .serverError,
                    message: "Partner Center's response is larger than \(limit / (1 << 20)) MiB; pcx stopped reading it",
                    status: status, method: prepared.method.rawValue, path: request.path,
                    hint: "ask for smaller pages (e.g. size = 500), or raise max_response_mib in the profile")
            }
            return AttemptResult(status: status, headers: headers, body: buffer.sharedData(), bytesWritten: buffer.readableBytes)
        }
    }

    /// Writes a body to a temporary file next to `path`, then renames it into place.
    private static func stream(_ body: HTTPClientResponse.Body, to path: String) async throws -> Int {
        let temporary = path + ".part-\(UUID().uuidString.prefix(8))"
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
            throw PartnerCenterError(
                category: .invalidArgument, message: "cannot create \(temporary) for the download",
                hint: "check that the directory exists and is writable")
        }
        var written = 0
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            defer { try? handle.close() }
            for try await chunk in body {
                try handle.write(contentsOf: Data(chunk.readableBytesView))
                written += chunk.readableBytes
            }
            try handle.synchronize()
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            if error is PartnerCenterError { throw error }
            if let error = error as? CocoaError {
                throw PartnerCenterError(category: .invalidArgument, message: "cannot write the download to \(path): \(error.localizedDescription)")
            }
            throw error
        }
        if rename(temporary, path) != 0 {
            let code = errno
            try? FileManager.default.removeItem(atPath: temporary)
            throw PartnerCenterError(
                category: .invalidArgument, message: "cannot move the download into \(path): \(String(cString: strerror(code)))")
        }
        return written
    }
}

/// `57 s`, `1.5 s`, `2 min`.
func formatSeconds(_ seconds: Double) -> String {
    if seconds >= 120 { return "\(Int(seconds / 60)) min" }
    if seconds == seconds.rounded() { return "\(Int(seconds)) s" }
    return String(format: "%.1f s", seconds)
}

extension ByteBuffer {
    /// The readable bytes as `Data` that shares this buffer's storage instead of copying it (a
    /// page of line items is megabytes; the storage is released with the last `Data` using it).
    func sharedData() -> Data {
        guard readableBytes > 0 else { return Data() }
        return withUnsafeReadableBytesWithStorageManagement { bytes, storage in
            _ = storage.retain()
            return Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: bytes.baseAddress!), count: bytes.count,
                        deallocator: .custom { _, _ in storage.release() })
        }
    }
}

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
        var request = prepared.request
        let requestId = request.requestId ?? UUID().uuidString.lowercased()
        let correlationId = configuration.correlationId ?? UUID().uuidString.lowercased()
        request.requestId = requestId
        func failure(
            _ category: PartnerCenterError.Category, _ message: String, status: Int? = nil, pcCode: String? = nil,
            hint: String? = nil, retryAfter: Double? = nil
        ) -> PartnerCenterError {
            PartnerCenterError(
                category: category, message: redactor.redact(message), status: status, pcCode: pcCode,
                requestId: requestId, correlationId: correlationId, method: request.method, path: request.path,
                hint: hint, retryAfterSeconds: retryAfter)
        }
        if isShutDown.load(ordering: .acquiring) {
            var error = failure(.invalidArgument, "the client was shut down", hint: "create a new client")
            error.notSent = true
            throw error
        }
        if prepared.isCartMutation, let customerId = prepared.customerId {
            do {
                try await enforceMarketPolicy(customerId: customerId, request: request)
            } catch var error as PartnerCenterError {
                if error.category == .policyDenied {
                    error.requestId = requestId
                    error.correlationId = correlationId
                }
                // the customer lookup failed or the policy refused: this call was not sent
                error.notSent = true
                throw error
            }
        }

        let policy = configuration.retry
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.timeouts.overall
        let retryableWithoutPin = !request.isMutating || request.method == "PUT" || original.requestId != nil
        var attempts = 0
        var retries = 0
        var renewedToken = false

        // Whether an attempt may have reached Partner Center (errors before it are `notSent`).
        var dispatched = false
        func unsent(_ error: PartnerCenterError) -> PartnerCenterError {
            var error = error
            error.notSent = !dispatched
            return error
        }
        while true {
            if Task.isCancelled { throw unsent(failure(.cancelled, "the call was cancelled")) }
            attempts += 1
            let token: String
            do {
                token = try await tokens.token()
            } catch var error as PartnerCenterError {
                if Task.isCancelled { throw unsent(failure(.cancelled, "the call was cancelled")) }
                error.requestId = requestId
                error.correlationId = correlationId
                error.message = "\(request.method) \(request.path): " + error.message
                throw unsent(error)
            }
            let permit: RateLimiter.Permit
            do {
                permit = try await rateLimiter.acquire(customer: prepared.customerId)
            } catch {
                throw unsent(failure(.cancelled, "the call was cancelled while waiting for the rate limiter"))
            }
            dispatched = true
            let attemptDeadline = min(deadline, clock.now + configuration.timeouts.request)
            counters.bump(\.requestsSent)
            configuration.onEvent?(.sending(
                operation: request.operation, method: request.method, path: request.path, requestId: requestId, attempt: attempts))
            let outcome: Result<AttemptResult, any Error>
            do {
                let headers = buildHeaders(request, token: token, requestId: requestId, correlationId: correlationId)
                outcome = .success(try await attempt(request, headers: headers, deadline: attemptDeadline, sink: sink))
            } catch {
                outcome = .failure(error)
            }
            permit.release()

            // Decide: return, fail, or retry after `delay`.
            var delay: Duration
            var lastFailure: PartnerCenterError
            switch outcome {
            case .success(let result) where (200..<300).contains(result.status):
                configuration.onEvent?(.response(operation: request.operation, status: result.status, requestId: requestId, attempt: attempts))
                rateLimiter.reward(customer: prepared.customerId)
                let responseRequestId = result.headers.first { $0.name.caseInsensitiveCompare("MS-RequestId") == .orderedSame }
                    .flatMap { $0.value.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } }
                let responseCorrelationId = result.headers.first { $0.name.caseInsensitiveCompare("MS-CorrelationId") == .orderedSame }
                    .flatMap { $0.value.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } }
                configuration.logger.debug("response", metadata: [
                    "operation": "\(request.operation)", "method": "\(request.method)", "path": "\(request.path)",
                    "status": "\(result.status)", "request_id": "\(requestId)", "attempt": "\(attempts)",
                ])
                let response = RawResponse(
                    status: result.status, headers: result.headers, body: result.body,
                    requestId: responseRequestId ?? requestId, correlationId: responseCorrelationId ?? correlationId,
                    request: request, attempts: attempts)
                return CallOutcome(response: response, bytesWritten: result.bytesWritten)

            case .success(let result):
                configuration.onEvent?(.response(operation: request.operation, status: result.status, requestId: requestId, attempt: attempts))
                let fault = try? JSONDecoder().decode(FaultBody.self, from: result.body)
                let pcCode = fault?.code?.value ?? fault?.errorCode?.value
                var message = fault?.description ?? fault?.message ?? fault?.errorDescription
                    ?? HTTPResponseStatus(statusCode: result.status).reasonPhrase
                if message.count > 1024 { message = String(message.prefix(1024)) + "…" }
                let category = PartnerCenterError.category(forStatus: result.status)
                let retryAfterText = result.headers.first { $0.name.caseInsensitiveCompare("Retry-After") == .orderedSame }?.value
                let retryAfter = retryAfterText.flatMap { RetryAfter.parse($0) }
                lastFailure = failure(category, message, status: result.status, pcCode: pcCode, retryAfter: retryAfter)
                configuration.logger.debug("error response", metadata: [
                    "operation": "\(request.operation)", "method": "\(request.method)", "path": "\(request.path)",
                    "status": "\(result.status)", "code": "\(pcCode ?? "-")", "request_id": "\(requestId)", "attempt": "\(attempts)",
                ])
                let canRenew = await tokens.canRenew
                switch result.status {
                case 401 where !renewedToken && canRenew:
                    renewedToken = true
                    await tokens.invalidate(token)
                    configuration.logger.debug("token rejected; renewing once", metadata: ["request_id": "\(requestId)"])
                    attempts -= 1
                    continue
                case 429:
                    counters.bump(\.throttled)
                    configuration.onEvent?(.throttled(operation: request.operation, requestId: requestId, retryAfter: retryAfter))
                    rateLimiter.penalize(customer: prepared.customerId, retryAfter: retryAfter)
                    if let retryAfter, retryAfter > policy.maxRetryAfter.seconds {
                        throw failure(
                            .throttled,
                            "Partner Center asked to retry after \(formatSeconds(retryAfter)), longer than the \(formatSeconds(policy.maxRetryAfter.seconds)) the client waits",
                            status: 429, pcCode: pcCode, retryAfter: retryAfter)
                    }
                    let backoff = policy.backoff(forRetry: retries, unit: Double.random(in: 0...1))
                    delay = max(backoff, .seconds(retryAfter ?? 0))
                case 409 where pcCode == "800064" && retryableWithoutPin:
                    // another request (an earlier attempt of this one) is processing the cart: wait
                    // and send the same request again; a checkout repeated with its MS-RequestId
                    // answers the stored result
                    delay = policy.backoff(forRetry: retries, unit: Double.random(in: 0...1))
                case 408, 500, 502, 503, 504:
                    guard retryableWithoutPin else {
                        throw withHint(lastFailure, "the \(request.method) was not retried because its MS-RequestId was not pinned; it may have been applied — check before repeating, or retry with MS-RequestId \(requestId)")
                    }
                    delay = policy.backoff(forRetry: retries, unit: Double.random(in: 0...1))
                    if let retryAfter, retryAfter <= policy.maxRetryAfter.seconds { delay = max(delay, .seconds(retryAfter)) }
                default:
                    throw lastFailure
                }

            case .failure(let error):
                if Task.isCancelled { throw failure(.cancelled, "the call was cancelled") }
                if let error = error as? PartnerCenterError { throw error }
                let (category, text) = classifyTransportError(error)
                if category == .cancelled { throw failure(.cancelled, "the call was cancelled") }
                let what = category == .timeout
                    ? "no complete response within \(formatSeconds(configuration.timeouts.request.seconds)): \(text)"
                    : "the connection failed: \(text)"
                lastFailure = failure(category, what)
                configuration.logger.debug("transport failure", metadata: [
                    "operation": "\(request.operation)", "method": "\(request.method)", "path": "\(request.path)",
                    "category": "\(category)", "request_id": "\(requestId)", "attempt": "\(attempts)",
                ])
                guard retryableWithoutPin else {
                    throw withHint(lastFailure, "the \(request.method) was not retried because its MS-RequestId was not pinned; it may have been applied — retry with MS-RequestId \(requestId) to be safe")
                }
                delay = policy.backoff(forRetry: retries, unit: Double.random(in: 0...1))
            }

            // A retry is wanted.
            let throttled = lastFailure.category == .throttled
            guard attempts < policy.maxAttempts else {
                var error = lastFailure
                error.message += " — gave up after \(attempts) attempts"
                if throttled { error.hint = "lower the concurrency or the rate limit (rate_per_partner / rate_per_customer), or raise max_attempts" }
                throw error
            }
            guard budget.spend() else {
                var error = lastFailure
                if throttled, let seconds = error.retryAfterSeconds {
                    error.message = "Partner Center asked to retry after \(formatSeconds(seconds)) and the retry budget is spent"
                } else {
                    error.message += " — the retry budget is spent"
                }
                error.hint = "lower the concurrency or the rate limit, or raise the retry budget (retry_budget)"
                throw error
            }
            if clock.now + delay > deadline {
                var error = lastFailure
                if !throttled { error.category = .timeout }
                error.message += " — the next retry would pass the overall deadline of \(formatSeconds(configuration.timeouts.overall.seconds))"
                error.hint = throttled
                    ? "lower the concurrency or the rate limit, or raise overall_timeout"
                    : "raise overall_timeout or retry later with MS-RequestId \(requestId)"
                throw error
            }
            retries += 1
            counters.bump(\.retries)
            configuration.onEvent?(.retrying(
                operation: request.operation, requestId: requestId, retry: retries, delay: delay, reason: lastFailure.category.rawValue))
            configuration.logger.debug("retrying", metadata: [
                "operation": "\(request.operation)", "request_id": "\(requestId)", "retry": "\(retries)",
                "delay_ms": "\(Int(delay.seconds * 1000))", "reason": "\(lastFailure.category)",
            ])
            do {
                try await configuration.sleeper(delay)
            } catch {
                throw failure(.cancelled, "the call was cancelled while waiting to retry")
            }
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

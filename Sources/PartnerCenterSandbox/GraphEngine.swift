import Foundation
import PartnerCenterModels

/// A Microsoft Graph error answer: status, Graph `code`, message (addendum §3.3), extra headers.
struct GraphError: Error, Sendable {
    let status: Int
    let code: String
    let message: String
    var headers: [(String, String)] = []

    static func badRequest(_ message: String) -> GraphError { GraphError(status: 400, code: "BadRequest", message: message) }
    static func notFound(_ message: String) -> GraphError { GraphError(status: 404, code: "ResourceNotFound", message: message) }
}

// Microsoft Graph emulation (addendum §3.3): `/v1.0/...` and `/beta/...` route to the
// `host: .graph` entries of `OperationCatalog`; every error uses the Graph envelope.
extension SandboxEngine {
    /// The version segment a Graph path starts with (`v1.0`, `beta`), canonical spelling; nil otherwise.
    static func graphVersion(_ segment: String) -> String? {
        ["v1.0", "beta"].first { $0.caseInsensitiveCompare(segment) == .orderedSame }
    }

    /// The Graph envelope for an error.
    static func graphResponse(_ error: GraphError, requestId: String, now: Date) -> SandboxResponse {
        let envelope = GraphBilling.ErrorEnvelope(code: error.code, message: error.message, requestId: requestId,
                                                  date: graphDate(now, fraction: false))
        var response = SandboxResponse.json(envelope, status: error.status)
        response.headers += error.headers
        if error.status == 401 { response.headers.append(("WWW-Authenticate", "Bearer")) }
        return response
    }

    /// `2025-05-01T10:00:00Z`, or with 7 fractional digits (`…00.1234567Z`) as Graph writes `lastActionDateTime`.
    static func graphDate(_ date: Date, fraction: Bool) -> String {
        let whole = date.timeIntervalSince1970.rounded(.down)
        let text = WireDate.format(Date(timeIntervalSince1970: whole))
        let base = text.hasSuffix("Z") ? String(text.dropLast()) : text
        let plain = base.split(separator: ".").first.map(String.init) ?? base
        guard fraction else { return plain + "Z" }
        let ticks = Int((date.timeIntervalSince1970 - whole) * 10_000_000)
        return plain + "." + String(format: "%07d", ticks) + "Z"
    }

    /// A Graph request (version segment removed): route, faults, auth, throttling, the handler.
    func handleGraph(method: String, segments: [String], version: String, headers: [String: String], body: Data,
                     trace: inout Trace) async -> SandboxOutcome {
        let requestId = headers["client-request-id"] ?? trace.requestId
        func fail(_ error: GraphError) -> SandboxOutcome { .respond(Self.graphResponse(error, requestId: requestId, now: trace.now)) }
        guard let (operation, params) = OperationCatalog.match(method: method, segments: segments, host: .graph),
              let handler = SandboxRoutes.handlers[operation.name] else {
            let allowed = OperationCatalog.methods(segments: segments, host: .graph)
            if !allowed.isEmpty {
                return fail(GraphError(status: 405, code: "Request_BadRequest", message: "Method \(method) is not allowed on \(trace.rawPath); allowed: \(allowed.joined(separator: ", ")).",
                                       headers: [("Allow", allowed.joined(separator: ", "))]))
            }
            return fail(GraphError(status: 404, code: "BadRequest", message: "Resource not found for the segment '\(segments.first ?? "")': \(method) \(trace.rawPath) is not a Graph operation the sandbox serves."))
        }
        trace.route = operation.name
        configuration.onRequest?(SandboxObservedRequest(route: operation.name, method: method, requestId: trace.requestId))
        let fault = faults.next(route: operation.name)
        if fault != .pass { trace.fault = fault.description }
        if let answer = await graphInjected(fault, fail: fail) { return answer }
        let caller: Caller
        do {
            caller = try graphCaller(headers["authorization"])
        } catch {
            return fail(error)
        }
        trace.partnerId = caller.partner.tenantId
        if let wait = graphLimiter.take(partner: caller.appId.isEmpty ? caller.partner.clientId : caller.appId, customer: nil, now: trace.now.timeIntervalSince1970) {
            return fail(GraphError(status: 429, code: "TooManyRequests", message: "Too many requests: the application is throttled; retry after \(wait) seconds.",
                                   headers: [("Retry-After", String(wait))]))
        }
        var request = RequestInfo(method: method, path: trace.rawPath, query: parseQuery(trace.rawQuery), rawQuery: trace.rawQuery,
                                  headers: headers.merging(["x-graph-version": version]) { $1 }, body: body, params: params,
                                  caller: caller, now: trace.now, requestId: requestId)
        request.fault = fault
        var response = await runGraph(operation, handler, request)
        response.headers.append(("request-id", requestId))
        response.headers.append(("client-request-id", requestId))
        trace.mutated = operation.method == "POST" && response.status == 202
        return fault == .dropAfter ? .drop : .respond(response)
    }

    /// Runs a Graph handler: pending work first, errors as Graph envelopes.
    private func runGraph(_ operation: APIOperation, _ handler: SandboxRoutes.Handler, _ request: RequestInfo) async -> SandboxResponse {
        do {
            try await progress(now: request.now)
            return try await handler(self, request)
        } catch let error as GraphError {
            return Self.graphResponse(error, requestId: request.requestId, now: request.now)
        } catch let error as SandboxError {
            return Self.graphResponse(GraphError(status: error.status, code: error.status == 404 ? "ResourceNotFound" : "BadRequest", message: error.description),
                                      requestId: request.requestId, now: request.now)
        } catch {
            logger.error("sandbox Graph handler failed", metadata: ["route": "\(operation.name)", "error": "\(error)"])
            return Self.graphResponse(GraphError(status: 500, code: "InternalServerError", message: "Unexpected service error in the sandbox (\(operation.name))."),
                                      requestId: request.requestId, now: request.now)
        }
    }

    /// What an injected fault answers on a Graph route before the request is handled (nil: handle it).
    private func graphInjected(_ fault: FaultAction, fail: (GraphError) -> SandboxOutcome) async -> SandboxOutcome? {
        switch fault {
        case .dropBefore:
            return .drop
        case .status(let code):
            if code == 429 {
                return fail(GraphError(status: 429, code: "TooManyRequests", message: "Injected fault: too many requests.", headers: [("Retry-After", "1")]))
            }
            let name = code == 404 ? "ResourceNotFound" : code == 503 ? "ServiceUnavailable" : code >= 500 ? "InternalServerError" : "BadRequest"
            return fail(GraphError(status: code, code: name, message: "Injected fault: the sandbox simulated HTTP \(code).",
                                   headers: code == 503 ? [("Retry-After", "1")] : []))
        case .delay(let seconds):
            try? await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
            return nil
        case .expiredToken:
            return fail(GraphError(status: 401, code: "InvalidAuthenticationToken", message: "Lifetime validation failed, the token is expired."))
        default:
            return nil
        }
    }

    /// The caller of a Graph route: a valid sandbox token for Microsoft Graph carrying
    /// `PartnerBilling.Read.All` (as an application role or a delegated scope).
    func graphCaller(_ header: String?) throws(GraphError) -> Caller {
        let caller: Caller
        do {
            caller = try authenticate(header)
        } catch {
            let missing = header == nil || header?.isEmpty == true
            throw GraphError(status: 401, code: "InvalidAuthenticationToken",
                             message: missing ? "Access token is empty." : "Access token validation failure: \(error.description)")
        }
        guard caller.isGraph else {
            throw GraphError(status: 401, code: "InvalidAuthenticationToken",
                             message: "Access token validation failure. Invalid audience: the token is for \(caller.audience); Microsoft Graph needs a token for \(GraphBilling.audience) (scope https://graph.microsoft.com/.default).")
        }
        guard caller.permissions.contains(GraphBilling.permission) else {
            throw GraphError(status: 403, code: "Authorization_RequestDenied",
                             message: "Insufficient privileges to complete the operation: the token lacks \(GraphBilling.permission) (\(caller.appUser ? "delegated scope" : "application permission")); grant and consent \(GraphBilling.permission).")
        }
        return caller
    }
}

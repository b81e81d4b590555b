import Foundation
import PartnerCenterModels

extension SandboxEngine {
    /// `/_sandbox/...`: requests, clock, faults, device codes, credentials, health (no auth; loopback only).
    func handleAdmin(method: String, segments: [String], query: String, body: Data) async -> SandboxResponse {
        let resource = segments.first?.lowercased() ?? ""
        switch (method, resource) {
        case ("GET", "health"):
            return .json(["status": "ok"])
        case ("GET", "requests"):
            let filters = parseQuery(query)
            let since = filters["since"].flatMap(Int.init) ?? 0
            let entries = log.entries(method: filters["method"], route: filters["route"], path: filters["path"],
                                      mutatedOnly: filters["mutated"] == "true", since: since)
            return .json(AdminRequests(requests: entries.map(AdminRequestEntry.init)))
        case ("DELETE", "requests"):
            log.clear()
            return SandboxResponse(status: 204)
        case ("GET", "clock"):
            return .json(AdminClock(now: WireDate.format(clock.now), offsetSeconds: clock.offsetSeconds))
        case ("POST", "clock"):
            return setClock(body)
        case ("GET", "faults"):
            return .json(["spec": faults.plan.description])
        case ("POST", "faults"), ("PUT", "faults"):
            return setFaults(body)
        case ("DELETE", "faults"):
            faults.install(FaultPlan(), append: false)
            return SandboxResponse(status: 204)
        case (_, "device"):
            return handleDeviceAdmin(method: method, action: segments.dropFirst().first?.lowercased(), body: body)
        case ("GET", "credentials"), ("GET", "partners"):
            return .json(partners.map { AdminPartner(tenantId: $0.tenantId, domain: $0.domain, name: $0.name, clientId: $0.clientId, clientSecret: $0.clientSecret, refreshToken: $0.refreshToken, userId: $0.userId) })
        default:
            return Self.adminFailure(404, "unknown admin endpoint \(method) /_sandbox/\(segments.joined(separator: "/")); see requests, clock, faults, device, credentials, health")
        }
    }

    static func adminFailure(_ status: Int, _ text: String) -> SandboxResponse { .json(["error": text], status: status) }

    /// `POST /_sandbox/clock`: `{"advance": "15m"}`, `{"advanceSeconds": 900}` or `{"set": "2030-01-01T00:00:00Z"}`.
    private func setClock(_ body: Data) -> SandboxResponse {
        let fields = (try? JSONDecoder().decode([String: JSONValue].self, from: body)) ?? [:]
        if case .string(let text)? = fields["advance"] {
            guard let seconds = try? SandboxDuration.parse(text, option: "advance") else {
                return Self.adminFailure(400, "advance '\(text)' is not a duration; use e.g. 30s, 15m, 7d")
            }
            clock.advance(by: seconds)
        } else if let value = fields["advanceSeconds"] ?? fields["advance"], case .number(let number) = value {
            clock.advance(by: Double(truncating: number as NSNumber))
        } else if case .string(let text)? = fields["set"] {
            guard let date = WireDate.parse(text) else { return Self.adminFailure(400, "set '\(text)' is not an ISO-8601 date-time") }
            clock.set(to: date)
        } else {
            return Self.adminFailure(400, "send {\"advance\": \"15m\"}, {\"advanceSeconds\": 900} or {\"set\": \"2030-01-01T00:00:00Z\"}")
        }
        return .json(AdminClock(now: WireDate.format(clock.now), offsetSeconds: clock.offsetSeconds))
    }

    /// `POST|PUT /_sandbox/faults`: `{"spec": ..., "append": true}` or the spec as plain text.
    private func setFaults(_ body: Data) -> SandboxResponse {
        var spec = String(decoding: body, as: UTF8.self)
        var append = false
        if let fields = try? JSONDecoder().decode([String: JSONValue].self, from: body) {
            guard case .string(let text)? = fields["spec"] else {
                return Self.adminFailure(400, "send {\"spec\": \"carts.checkout=drop-after\"} (or {\"spec\": ..., \"append\": true}) or the spec as plain text")
            }
            spec = text
            if case .bool(let flag)? = fields["append"] { append = flag }
        }
        do {
            faults.install(try FaultPlan.parse(spec), append: append)
        } catch let problem as SandboxConfigurationError {
            return Self.adminFailure(400, problem.message)
        } catch {
            return Self.adminFailure(400, "\(error)")
        }
        return .json(["spec": faults.plan.description])
    }
}

struct AdminRequests: Encodable { let requests: [AdminRequestEntry] }
struct AdminClock: Encodable { let now: String; let offsetSeconds: Double }
struct AdminRequestEntry: Encodable {
    let sequence: Int, time: String, method: String, path: String, query: String, route: String, status: Int
    let requestId: String, correlationId: String, partner: String?, mutated: Bool, replayed: Bool, fault: String?
    init(_ entry: SandboxRequestLogEntry) {
        sequence = entry.sequence; time = WireDate.format(entry.time); method = entry.method; path = entry.path; query = entry.query
        route = entry.route; status = entry.status; requestId = entry.requestId; correlationId = entry.correlationId
        partner = entry.partner; mutated = entry.mutated; replayed = entry.replayed; fault = entry.fault
    }
}

struct AdminPartner: Encodable {
    let tenantId: String, domain: String, name: String, clientId: String, clientSecret: String, refreshToken: String, userId: String
}

import Foundation
import PartnerCenterModels

extension SandboxEngine {
    /// `/_sandbox/device`: `GET` lists the codes (never a device code) and the options;
    /// `POST|PUT` sets the options (`{"spec": "interval=1,approve-after=2"}` or the spec as text);
    /// `POST /_sandbox/device/approve|decline` with `{"user_code": "..."}` decides a pending code.
    func handleDeviceAdmin(method: String, action: String?, body: Data) -> SandboxResponse {
        switch (method, action) {
        case ("GET", nil):
            let now = clock.now
            return .json(AdminDeviceCodes(settings: deviceCodes.options.spec, codes: deviceCodes.all.map { AdminDeviceCode($0, now: now) }))
        case ("POST", nil), ("PUT", nil):
            var spec = String(decoding: body, as: UTF8.self)
            if let fields = try? JSONDecoder().decode([String: JSONValue].self, from: body) {
                guard case .string(let text)? = fields["spec"] else {
                    return Self.adminFailure(400, "send {\"spec\": \"interval=1,approve-after=2\"} or the spec as plain text; keys: \(DeviceCodeOptions.specSummary)")
                }
                spec = text
            }
            do {
                deviceCodes.options = try DeviceCodeOptions.parse(spec, base: deviceCodes.options)
            } catch let problem as SandboxConfigurationError {
                return Self.adminFailure(400, problem.message)
            } catch {
                return Self.adminFailure(400, "\(error)")
            }
            return .json(["settings": deviceCodes.options.spec])
        case ("POST", "approve"), ("POST", "decline"):
            let fields = (try? JSONDecoder().decode([String: JSONValue].self, from: body)) ?? [:]
            guard case .string(let code)? = fields["user_code"] ?? fields["userCode"], !code.isEmpty else {
                return Self.adminFailure(400, "send {\"user_code\": \"...\"}: the code pcx login shows (GET /_sandbox/device lists them)")
            }
            let (status, text, grant) = decideDeviceCode(code, approve: action == "approve")
            guard let grant else { return Self.adminFailure(status, text) }
            return .json(AdminDeviceCode(grant, now: clock.now), status: status)
        default:
            return Self.adminFailure(404, "unknown admin endpoint \(method) /_sandbox/device\(action.map { "/" + $0 } ?? ""); see GET|POST /_sandbox/device, POST /_sandbox/device/approve, POST /_sandbox/device/decline")
        }
    }

    /// Approves or declines the pending `userCode`: the HTTP status, what happened in words, and the grant.
    private func decideDeviceCode(_ userCode: String, approve: Bool) -> (Int, String, DeviceGrant?) {
        switch deviceCodes.decide(userCode: userCode, approve: approve, now: clock.now) {
        case .success(let grant):
            let user = "admin@" + (partners.first { $0.tenantId == grant.tenantId }?.domain ?? "sandbox")
            return (200, approve ? "Signed in as \(user). You may close this window." : "The sign-in was declined.", grant)
        case .failure(.unknown):
            return (404, "No sign-in waits for the code '\(userCode)'; check the code pcx showed (GET /_sandbox/device lists them).", nil)
        case .failure(.expired):
            return (409, "The code '\(userCode)' has expired; start the sign-in again.", nil)
        case .failure(.notPending(let state)):
            return (409, "The code '\(userCode)' is no longer waiting: it was \(state.rawValue).", nil)
        }
    }

    /// `GET /devicelogin`: the page a person opens to approve a device code (loopback only);
    /// `POST /devicelogin` (form: `user_code`, `action=approve|decline`) decides it.
    func deviceLoginPage(method: String, body: Data) -> SandboxResponse {
        var note = ""
        var status = 200
        if method == "POST" {
            let form = parseForm(String(decoding: body, as: UTF8.self))
            let (code, text, _) = decideDeviceCode(form["user_code"] ?? "", approve: form["action"]?.lowercased() != "decline")
            status = code
            note = "<p><strong>\(Self.html(text))</strong></p>"
        } else if method != "GET" {
            return Self.adminFailure(405, "use GET or POST on /devicelogin")
        }
        let page = """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>pcx sandbox: device sign-in</title></head><body>
            <h1>Sign in to the pcx Partner Center sandbox</h1>\(note)
            <form method="post" action="/devicelogin">
            <label>Code <input name="user_code" autocomplete="off" autofocus></label>
            <button name="action" value="approve">Approve</button> <button name="action" value="decline">Decline</button>
            </form>
            <p>Approving signs pcx in as the seeded partner's admin agent. This is the sandbox: nothing real is bought.</p>
            </body></html>

            """
        return SandboxResponse(status: status, headers: [("Content-Type", "text/html; charset=utf-8")], body: Data(page.utf8))
    }

    static func html(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

struct AdminDeviceCodes: Encodable {
    let settings: String
    let codes: [AdminDeviceCode]
}

/// A device code as the admin endpoint shows it: the user code and its state, never the device code.
struct AdminDeviceCode: Encodable {
    let user_code: String
    let status: String
    let tenant_id: String
    let client_id: String
    let scope: String
    let polls: Int
    let interval: Int
    let expires_at: String

    init(_ grant: DeviceGrant, now: Date) {
        user_code = grant.userCode
        status = grant.state == .pending && now >= grant.expires ? "expired" : grant.state.rawValue
        tenant_id = grant.tenantId
        client_id = grant.clientId
        scope = grant.scope
        polls = grant.polls
        interval = grant.interval
        expires_at = WireDate.format(grant.expires)
    }
}

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

// The bad-input catalogue: every kind of wrong input a person or a server can give pcx, each
// run through the built binary (CLIHarness), each expected to end in a clear error (the message
// says what and where) with the documented exit code (1 failure, 2 usage/syntax, 3 policy), and
// never in a crash. Cases that show a known defect carry `knownIssue`: their basic guarantees
// (documented exit code range, no crash) are still checked, and the part that is wrong today is
// checked inside `withKnownIssue`, so the suite turns red the day the defect is fixed and the
// case should be promoted.

/// A misbehaving HTTP answer served by ``BadServer``.
enum BadResponse: Sendable {
    /// 200 application/json cut in the middle of a string.
    case truncatedJSON
    /// 502 with a proxy's HTML error page.
    case htmlErrorPage
    /// 200 text/html (a sign-in page where JSON was expected).
    case htmlWith200
    /// 200 text/plain whose body is valid JSON.
    case jsonAsTextPlain
    /// 200 application/json larger than the client's 64 MiB response cap.
    case hugeBody
    /// 500 text/html larger than the client's 1 MiB error-body cap.
    case hugeErrorBody
    /// 200 application/json with a raw 0xFF byte between tokens.
    case invalidUTF8Token
    /// 200 application/json with 0xFF 0xFE inside a string value.
    case invalidUTF8InString
    /// 500 text/plain.
    case serverErrorPlainText
    /// 200 with an empty body.
    case empty200
    /// 429 without Retry-After.
    case throttledNoRetryAfter
    /// The token endpoint answers 500 with HTML.
    case tokenEndpointHTML
    /// The token endpoint answers 200 with truncated JSON.
    case tokenEndpointTruncated
}

/// A tiny HTTP/1.1 server on 127.0.0.1 (POSIX sockets, one thread per connection): the token
/// endpoint answers properly (unless the case is about it), every other request gets the bad
/// response. Always `Connection: close`.
final class BadServer: @unchecked Sendable {
    let port: UInt16
    private let fd: Int32
    private let response: BadResponse

    init(_ response: BadResponse) throws {
        self.response = response
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard s >= 0 else { throw CocoaError(.fileWriteUnknown) }
        var yes: Int32 = 1
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(s, 16) == 0 else { close(s); throw CocoaError(.fileWriteUnknown) }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) }
        }
        fd = s
        port = UInt16(bigEndian: addr.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    private func acceptLoop() {
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 { return }
            let thread = Thread { [self] in serve(c) }
            thread.start()
        }
    }

    private func serve(_ c: Int32) {
        defer { close(c) }
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var headerEnd: Int?
        while headerEnd == nil {
            let n = recv(c, &buffer, buffer.count, 0)
            if n <= 0 { return }
            data += buffer[0..<n]
            headerEnd = find(data, Array("\r\n\r\n".utf8))
        }
        let head = String(decoding: data[0..<headerEnd!], as: UTF8.self)
        let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
        while data.count < headerEnd! + 4 + length {
            let n = recv(c, &buffer, buffer.count, 0)
            if n <= 0 { break }
            data += buffer[0..<n]
        }
        let path = head.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
        let (status, type, body) = answer(path: path)
        var reply = "HTTP/1.1 \(status) \(status == 200 ? "OK" : "Error")\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
        if let type { reply += "Content-Type: \(type)\r\n" }
        reply += "\r\n"
        sendAll(c, Array(reply.utf8))
        sendAll(c, body)
    }

    private func answer(path: String) -> (Int, String?, [UInt8]) {
        if path.contains("/oauth2/") {
            switch response {
            case .tokenEndpointHTML: return (500, "text/html", Array("<html><body>Service unavailable</body></html>".utf8))
            case .tokenEndpointTruncated: return (200, "application/json", Array(#"{"token_type":"Bearer","expires_in":"36"#.utf8))
            default:
                return (200, "application/json", Array(#"{"token_type":"Bearer","expires_in":"3600","access_token":"tok.bad-server.sig"}"#.utf8))
            }
        }
        switch response {
        case .truncatedJSON: return (200, "application/json", Array(#"{"id":"c1","companyProfile":{"companyName":"Cont"#.utf8))
        case .htmlErrorPage: return (502, "text/html", Array("<html><body><h1>502 Bad Gateway</h1></body></html>".utf8))
        case .htmlWith200: return (200, "text/html; charset=utf-8", Array("<!DOCTYPE html><html><body>Sign in</body></html>".utf8))
        case .jsonAsTextPlain: return (200, "text/plain", Array(#"{"id":"c1"}"#.utf8))
        case .hugeBody:
            return (200, "application/json", Array(#"[""#.utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: 65 << 20) + Array(#""]"#.utf8))
        case .hugeErrorBody: return (500, "text/html", Array("<p>".utf8) + [UInt8](repeating: UInt8(ascii: "y"), count: 3 << 20))
        case .invalidUTF8Token: return (200, "application/json", Array(#"{"id":"c1","#.utf8) + [0xFF] + Array("}".utf8))
        case .invalidUTF8InString: return (200, "application/json", Array(#"{"id":"c1","name":"bad "#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8))
        case .serverErrorPlainText: return (500, "text/plain", Array("Internal Server Error".utf8))
        case .empty200: return (200, "application/json", [])
        case .throttledNoRetryAfter: return (429, "application/json", Array(#"{"code":"429","description":"Rate limit is exceeded"}"#.utf8))
        case .tokenEndpointHTML, .tokenEndpointTruncated: return (200, "application/json", Array(#"{"id":"c1"}"#.utf8))
        }
    }

    private func sendAll(_ c: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(c, $0.baseAddress, min($0.count, 1 << 20), Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }   // the client hung up (e.g. over its size cap)
            offset += n
        }
    }

    private func find(_ hay: [UInt8], _ needle: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle {
            return i
        }
        return nil
    }
}

/// One catalogue entry, named after what it proves.
struct BadInputCase: Sendable, CustomTestStringConvertible {
    /// What the case proves (the test's display name).
    var name: String
    /// pcx's arguments.
    var args: [String]
    /// Files written in the working directory first (relative path → bytes).
    var files: [String: [UInt8]] = [:]
    /// Extra environment (`{PORT}` is replaced by the bad server's port).
    var env: [String: String] = [:]
    /// Serve this bad response and write a `bad` profile (max_attempts = 1) pointing at it.
    var server: BadResponse? = nil
    /// The documented exit code.
    var exit: Int32
    /// Texts stderr must contain (the error line first).
    var says: [String]
    /// Texts stderr must not contain (besides a traceback, which needs --debug).
    var never: [String] = []
    /// A known defect: `knownSays` / `knownExit` are what it should do, checked inside withKnownIssue.
    var knownIssue: String? = nil
    var knownSays: [String] = []
    var knownExit: Int32? = nil

    var testDescription: String { name }
}

private func text(_ s: String) -> [UInt8] { Array(s.utf8) }

private let badProfileScript = text("local c = pc.customers.get(\"c1\")\nprint(c.id)\n")
private let secret = "s3cr3t-bad-server-value"

private let sandboxCustomer = text("print(pc.customers.get(\"x\").id)\n")
private let profileHint = ".config/profiles.toml"

/// The catalogue (≥ 40 cases).
let badInputCatalogue: [BadInputCase] = [
    // ---- scripts ----------------------------------------------------------------------------
    BadInputCase(name: "a syntax error names file and line and exits 2", args: ["run", "bad.lua"],
                 files: ["bad.lua": text("local x = 1\nlocal y = = 2\n")], exit: 2,
                 says: ["pcx: syntax error: bad.lua:2: unexpected symbol near '='"]),
    BadInputCase(name: "an unfinished function is a syntax error at end of file", args: ["run", "unf.lua"],
                 files: ["unf.lua": text("function f()\n  return 1\n")], exit: 2,
                 says: ["pcx: syntax error: unf.lua:", "'end' expected"]),
    BadInputCase(name: "a bytecode chunk is refused as a syntax error", args: ["run", "chunk.lua"],
                 files: ["chunk.lua": [0x1B] + text("LuaT\0\u{19}\u{93}\r\n")], exit: 2,
                 says: ["pcx: syntax error: chunk.lua: bytecode is not allowed; pcx runs Lua source only"]),
    BadInputCase(name: "a runtime error names file and line and exits 1", args: ["run", "rt.lua"],
                 files: ["rt.lua": text("local t = nil\nprint(t.x)\n")], exit: 1,
                 says: ["pcx: error: rt.lua:2: attempt to index a nil value (local 't')"]),
    BadInputCase(name: "an error raised with a table value still exits 1 with an error line", args: ["run", "tbl.lua"],
                 files: ["tbl.lua": text("error({ code = 1 })\n")], exit: 1, says: ["pcx: error: "]),
    BadInputCase(name: "a pc function given a number for an id says which argument and what it got", args: ["run", "--sandbox", "a.lua"],
                 files: ["a.lua": text("pc.customers.get(42)\n")], exit: 1,
                 says: ["pcx: invalid_argument: pc.customers.get: customer_id must be a non-empty id string", "got number", "at a.lua:1"]),
    BadInputCase(name: "a pc function missing its id argument says it got nil", args: ["run", "--sandbox", "a.lua"],
                 files: ["a.lua": text("\npc.carts.checkout(\"cust\")\n")], exit: 1,
                 says: ["pcx: invalid_argument: pc.carts.checkout: cart_id must be a non-empty id string", "got nil", "at a.lua:2"]),
    BadInputCase(name: "an id with a slash is refused before any request", args: ["run", "--sandbox", "a.lua"],
                 files: ["a.lua": text("pc.customers.get(\"a/b\")\n")], exit: 1,
                 says: ["pcx: invalid_argument: pc.customers.get:", "got \"a/b\""]),
    BadInputCase(name: "an unknown option key gets a did-you-mean", args: ["run", "--sandbox", "a.lua"],
                 files: ["a.lua": text("pc.customers.list{ sise = 5 }\n")], exit: 1,
                 says: ["pcx: invalid_argument: pc.customers.list: unknown option 'sise'", "did you mean 'size'?"]),
    BadInputCase(name: "an option of the wrong type names the option and the type", args: ["run", "--sandbox", "a.lua"],
                 files: ["a.lua": text("pc.orders.list(\"c\", { billing_type = 5 })\n")], exit: 1,
                 says: ["pcx: invalid_argument: pc.orders.list: option 'billing_type' must be a string, got number"]),
    BadInputCase(name: "options that are not a table are refused", args: ["run", "--sandbox", "a.lua"],
                 files: ["a.lua": text("pc.customers.list(\"x\")\n")], exit: 1,
                 says: ["pcx: invalid_argument: pc.customers.list: options must be a table, got string"]),
    BadInputCase(name: "a missing required option of pc.purchase is named", args: ["run", "--sandbox", "a.lua"],
                 files: ["a.lua": text("pc.purchase{ customer = \"c\" }\n")], exit: 1,
                 says: ["pcx: invalid_argument: pc.purchase: missing required option 'cart'"]),
    BadInputCase(name: "a missing required option of reservations.plan is named", args: ["run", "--sandbox", "a.lua"],
                 files: ["a.lua": text("require(\"reservations\").plan{}\n")], exit: 1,
                 says: ["reservations.plan: missing required option 'customer'", "a.lua:1"]),
    BadInputCase(name: "a market where RIs are not sold is refused by policy with exit 3", args: ["run", "--sandbox", "a.lua"],
                 files: ["a.lua": text("pc.policy.check_market(\"c\", \"BR\")\n")], exit: 3,
                 says: ["pcx: policy_denied: refused a reservation purchase for customer c: its country BR is an excluded market"]),
    BadInputCase(name: "os.execute is not available to scripts", args: ["run", "a.lua"],
                 files: ["a.lua": text("os.execute(\"true\")\n")], exit: 1,
                 says: ["pcx: error: a.lua:1: attempt to call a nil value (field 'execute')"]),
    BadInputCase(name: "io.popen is not available to scripts", args: ["run", "a.lua"],
                 files: ["a.lua": text("io.popen(\"true\")\n")], exit: 1,
                 says: ["pcx: error: a.lua:1: attempt to call a nil value (field 'popen')"]),
    BadInputCase(name: "writing a file without --allow-write is refused with the reason", args: ["run", "a.lua"],
                 files: ["a.lua": text("assert(io.open(\"out.txt\", \"w\"))\n")], exit: 1,
                 says: ["writing files is not allowed"]),
    BadInputCase(name: "an endless loop stops at --timeout with a timeout error", args: ["run", "--timeout", "1", "a.lua"],
                 files: ["a.lua": text("while true do end\n")], exit: 1,
                 says: ["pcx: timeout: the script ran past its --timeout", "hint: "]),
    BadInputCase(name: "a script over --memory-limit stops with a memory_limit error", args: ["run", "--memory-limit", "16", "a.lua"],
                 files: ["a.lua": text("local t = {} for i = 1, 1e8 do t[i] = string.rep('x', 100) .. i end\n")], exit: 1,
                 says: ["pcx: memory_limit: the script used more than its --memory-limit", "hint: "]),
    BadInputCase(name: "a missing module lists where it was searched", args: ["run", "a.lua"],
                 files: ["a.lua": text("require(\"nonexistent_mod\")\n")], exit: 1,
                 says: ["pcx: error: a.lua:1: module 'nonexistent_mod' not found"]),
    BadInputCase(name: "json.decode of bad text gives the byte offset", args: ["run", "a.lua"],
                 files: ["a.lua": text("require(\"json\").decode(\"{bad\")\n")], exit: 1,
                 says: ["json.decode: expected a string key at byte 2 (line 1, column 2)"]),
    BadInputCase(name: "adding money in two currencies is an error", args: ["run", "a.lua"],
                 files: ["a.lua": text("local m = require 'money'\nlocal x = m.new('1', 'USD') + m.new('1', 'EUR')\n")], exit: 1,
                 says: ["a.lua:2: money: cannot add USD and EUR amounts"]),

    // ---- playbook parameters ---------------------------------------------------------------
    BadInputCase(name: "a playbook's missing required parameter is a usage error", args: ["playbook", "run", "purchase-reserved-vm", "--sandbox",
                 "--subscription", "s", "--sku", "x", "--region", "r"], exit: 2,
                 says: ["pcx: missing required option --customer", "usage: pcx playbook run purchase-reserved-vm"]),
    BadInputCase(name: "a playbook integer parameter given a word is a usage error", args: ["playbook", "run", "purchase-reserved-vm", "--sandbox",
                 "--customer", "c", "--subscription", "s", "--sku", "x", "--region", "r", "--quantity", "two"], exit: 2,
                 says: ["pcx: --quantity expects a whole number, got 'two'"]),
    BadInputCase(name: "a playbook parameter below its minimum is a usage error", args: ["playbook", "run", "purchase-reserved-vm", "--sandbox",
                 "--customer", "c", "--subscription", "s", "--sku", "x", "--region", "r", "--quantity", "0"], exit: 2,
                 says: ["pcx: --quantity must be at least 1, got 0"]),
    BadInputCase(name: "a playbook parameter outside its choices lists them", args: ["playbook", "run", "purchase-reserved-vm", "--sandbox",
                 "--customer", "c", "--subscription", "s", "--sku", "x", "--region", "r", "--term", "2Year"], exit: 2,
                 says: ["pcx: --term must be one of 1Year, 3Year, P1Y, P3Y, got '2Year'"]),
    BadInputCase(name: "an unknown playbook parameter gets a did-you-mean", args: ["playbook", "run", "purchase-reserved-vm", "--sandbox",
                 "--customer", "c", "--subscription", "s", "--skew", "x", "--region", "r"], exit: 2,
                 says: ["pcx: unknown option --skew (did you mean --sku?)"]),
    BadInputCase(name: "a --customer that matches several customers lists them and exits 2",
                 args: ["playbook", "run", "register-subscription", "--sandbox", "--dry-run", "--customer", "onmicrosoft", "--subscription", "S"],
                 exit: 2, says: ["pcx: invalid_argument: --customer: 'onmicrosoft' matches", "hint: candidates: ", ".onmicrosoft.com, "]),
    BadInputCase(name: "a --customer that matches nobody is an input error",
                 args: ["playbook", "run", "purchase-reserved-vm", "--sandbox", "--dry-run", "--customer", "No Such Company Zzq",
                        "--subscription", "S", "--sku", "Standard_D2_v3", "--region", "eastus"],
                 exit: 2, says: ["--customer: no customer matches 'No Such Company Zzq'", "hint: "]),
    BadInputCase(name: "an empty --customer is a usage error", args: ["playbook", "run", "register-subscription", "--sandbox", "--customer", " ", "--subscription", "S"],
                 exit: 2, says: ["--customer expects a customer: a tenant id, a domain or a company name"]),
    BadInputCase(name: "reservations-report --expiring-within takes days", args: ["playbook", "run", "reservations-report", "--sandbox", "--expiring-within", "soon"],
                 exit: 2, says: ["--expiring-within takes a number of days such as 90 or 90d, got 'soon'"]),
    BadInputCase(name: "reservations-report --customer with --all is an input error", args: ["playbook", "run", "reservations-report", "--sandbox", "--all",
                                                                                           "--customer", "fabrikam"],
                 exit: 2, says: ["--customer and --all exclude each other"]),
    BadInputCase(name: "an unknown playbook name lists the available ones", args: ["playbook", "run", "nope-book"], exit: 2,
                 says: ["pcx: no playbook named 'nope-book'", "purchase-reserved-vm"]),
    BadInputCase(name: "showing an unknown playbook is a usage error", args: ["playbook", "show", "nope-book"], exit: 2,
                 says: ["pcx: no playbook named 'nope-book'"]),
    BadInputCase(name: "a user playbook that returns no declaration says so", args: ["playbook", "run", "broken"],
                 files: ["playbooks/broken.lua": text("return 42\n")], exit: 1,
                 says: ["pcx: error: playbooks/broken.lua: the file does not return a playbook { ... } declaration"]),
    BadInputCase(name: "a user playbook with a syntax error exits 2 with file and line", args: ["playbook", "run", "syn"],
                 files: ["playbooks/syn.lua": text("return playbook {\n name = 'syn', run = function( end }\n")], exit: 2,
                 says: ["pcx: syntax error: playbooks/syn.lua:2:"]),

    // ---- CLI arguments ---------------------------------------------------------------------
    BadInputCase(name: "an unknown verb is a usage error", args: ["frobnicate"], exit: 2,
                 says: ["pcx: unknown verb 'frobnicate'", "hint: `pcx --help` lists the verbs"], never: ["Error: ", "Usage: "]),
    BadInputCase(name: "run without a script is a usage error", args: ["run"], exit: 2, says: ["pcx: missing expected argument '<script>'", "hint: `pcx run --help` lists the options"]),
    BadInputCase(name: "run of a missing file is a usage error with a hint", args: ["run", "nope.lua"], exit: 2,
                 says: ["pcx: cannot read nope.lua: no such file or not readable", "hint: "]),
    BadInputCase(name: "a non-numeric --timeout is a usage error", args: ["run", "--timeout", "abc", "ok.lua"],
                 files: ["ok.lua": text("print('ok')\n")], exit: 2, says: ["pcx: the value 'abc' is invalid for '--timeout <seconds>'"], never: ["Usage: "]),
    BadInputCase(name: "a negative --timeout is a usage error", args: ["run", "--timeout", "-1", "ok.lua"],
                 files: ["ok.lua": text("print('ok')\n")], exit: 2, says: ["--timeout"]),
    BadInputCase(name: "a non-numeric --memory-limit is a usage error", args: ["run", "--memory-limit", "abc", "ok.lua"],
                 files: ["ok.lua": text("print('ok')\n")], exit: 2, says: ["pcx: the value 'abc' is invalid for '--memory-limit <MiB>'"]),
    BadInputCase(name: "a negative --max-quantity is a usage error", args: ["run", "--max-quantity", "-1", "ok.lua"],
                 files: ["ok.lua": text("print('ok')\n")], exit: 2, says: ["--max-quantity"]),
    BadInputCase(name: "a --max-spend without a valid amount and currency is a usage error", args: ["run", "--max-spend", "ten", "USD", "--", "ok.lua"],
                 files: ["ok.lua": text("print('ok')\n")], exit: 2, says: ["--max-spend"]),
    BadInputCase(name: "--max-spend AMOUNT CURRENCY before the script leaves the script in place", args: ["run", "--max-spend", "100", "USD", "ok.lua"],
                 files: ["ok.lua": text("print('ok')\n")], exit: 0, says: []),
    BadInputCase(name: "an unknown --log-level is a usage error", args: ["run", "--log-level", "loud", "ok.lua"],
                 files: ["ok.lua": text("print('ok')\n")], exit: 2,
                 says: ["--log-level must be debug, info, warn or error (got 'loud')"]),
    BadInputCase(name: "check without files is a usage error", args: ["check"], exit: 2, says: ["pcx: missing expected argument '<files> ...'"]),
    BadInputCase(name: "check of a missing file names it", args: ["check", "missing.lua"], exit: 2, says: ["missing.lua: cannot read the file"]),
    BadInputCase(name: "test of a missing spec file is a usage error naming it", args: ["test", "missing_spec.lua"], exit: 2,
                 says: ["pcx: cannot read missing_spec.lua", "hint: "]),
    BadInputCase(name: "an unknown repl option is a usage error", args: ["repl", "--bogus"], exit: 2, says: ["pcx: unknown option --bogus", "hint: `pcx repl --help` lists the options"]),
    BadInputCase(name: "an unknown playbook subcommand is a usage error", args: ["playbook", "frob"], exit: 2, says: ["pcx: unknown verb 'playbook frob'", "hint: `pcx playbook --help` lists its verbs: list, run, show"]),
    BadInputCase(name: "a non-numeric journal id is a usage error", args: ["journal", "show", "abc"], exit: 2,
                 says: ["pcx: the value 'abc' is invalid for '<id>'", "hint: `pcx journal show --help` lists the options"]),
    BadInputCase(name: "an unknown journal id is an input error with a hint", args: ["journal", "show", "999"], exit: 2,
                 says: ["pcx: no journal entry 999", "hint: "]),
    BadInputCase(name: "an unknown journal id with --json is one JSON error line", args: ["journal", "show", "--json", "999"], exit: 2,
                 says: [#"{"error":{"code":"invalid_argument","message":"no journal entry 999""#]),
    BadInputCase(name: "journal list with a data directory that is a file says so (not 'empty')", args: ["journal", "list"],
                 files: ["afile": text("x")], env: ["PCX_DATA_DIR": "afile"], exit: 2,
                 says: ["afile is unusable: it is a file, not a directory", "hint: set PCX_DATA_DIR"], never: ["the journal is empty"]),
    BadInputCase(name: "journal list --limit 0 is an input error", args: ["journal", "list", "--limit", "0"], exit: 2,
                 says: ["pcx: --limit must be at least 1, got 0", "hint: "]),
    BadInputCase(name: "journal resolve of an unknown id is an input error before any call", args: ["journal", "resolve", "999", "--not-bought"], exit: 2,
                 says: ["pcx: no journal entry 999"]),
    BadInputCase(name: "run of a directory says it is a directory", args: ["run", "."], exit: 2,
                 says: ["pcx: cannot read .: it is a directory, not a Lua file", "hint: "]),
    BadInputCase(name: "run --json of a missing file is one JSON error line", args: ["run", "--json", "missing.lua"], exit: 2,
                 says: [#"{"error":{"code":"invalid_argument","message":"cannot read missing.lua: no such file or not readable""#]),
    BadInputCase(name: "run --json of a syntax error is one JSON error line with file:line", args: ["run", "--json", "bad.lua"],
                 files: ["bad.lua": text("x = = 1\n")], exit: 2,
                 says: [#""message":"syntax error: unexpected symbol near '='","where":"bad.lua:1""#]),
    BadInputCase(name: "an unknown playbook with --json is one JSON error line", args: ["playbook", "run", "nope-book", "--json"], exit: 2,
                 says: [#"{"error":{"code":"invalid_argument","message":"no playbook named 'nope-book'""#]),
    BadInputCase(name: "a parser error with --json is one JSON error line", args: ["run", "--json", "--max-quantity", "-1", "ok.lua"],
                 files: ["ok.lua": text("print('ok')\n")], exit: 2,
                 says: [#"{"error":{"code":"invalid_argument","message":"--max-quantity must be a positive whole number, got -1""#]),
    BadInputCase(name: "an empty --idempotency-key is an input error", args: ["run", "--idempotency-key", " ", "ok.lua"],
                 files: ["ok.lua": text("print('ok')\n")], exit: 2, says: ["--idempotency-key is empty"]),
    BadInputCase(name: "a negative --max-spend says so", args: ["run", "--max-spend", "-5", "USD", "ok.lua"],
                 files: ["ok.lua": text("print('ok')\n")], exit: 2, says: ["--max-spend must not be negative, got '-5 USD'"]),
    BadInputCase(name: "options after the script: the hint carries their values", args: ["run", "ok.lua", "--max-spend", "5", "USD", "--dry-run"],
                 files: ["ok.lua": text("print('ok')\n")], exit: 2,
                 says: ["--max-spend and --dry-run come after the script ok.lua, so they would go to the script",
                        "pcx run --max-spend 5 USD --dry-run ok.lua", "pcx run ok.lua -- --max-spend 5 USD --dry-run"]),
    BadInputCase(name: "a spec file with a syntax error makes pcx test exit 2", args: ["test", "bad_spec.lua"],
                 files: ["bad_spec.lua": text("describe('x', function( end)\n")], exit: 2,
                 says: ["pcx: syntax error: bad_spec.lua:1:"]),
    BadInputCase(name: "a playbook declaring pcx's own option is an input error at its line", args: ["playbook", "run", "own"],
                 files: ["playbooks/own.lua": text("return playbook {\n  name = 'own', summary = 'own option', params = { ['dry-run'] = { type = 'boolean' } },\n  run = function() end }\n")],
                 exit: 2, says: ["parameter --dry-run is pcx's own option", "rename it"]),
    BadInputCase(name: "a negative sandbox duration says so", args: ["sandbox", "serve", "--order-lag", "-1s"], exit: 2,
                 says: ["pcx: sandbox serve: --order-lag must not be negative, got '-1s'"]),
    BadInputCase(name: "a negative journal --limit is a usage error", args: ["journal", "list", "--limit", "-3"], exit: 2, says: ["--limit"]),
    BadInputCase(name: "a bad --faults spec names the rule and the valid actions", args: ["sandbox", "serve", "--faults", "carts.checkout=explode"], exit: 2,
                 says: ["pcx: sandbox serve: --faults: 'explode' in rule 'carts.checkout=explode' is not a fault"]),
    BadInputCase(name: "a --faults rule for an unknown route lists the routes", args: ["sandbox", "serve", "--faults", "chekout=503"], exit: 2,
                 says: ["unknown route 'chekout'", "checkout"]),
    BadInputCase(name: "a bad --rate-limit shows the expected form", args: ["sandbox", "serve", "--rate-limit", "partner=fast"], exit: 2,
                 says: ["pcx: sandbox serve: --rate-limit: 'partner=fast'", "SCOPE=N/PERIOD"]),
    BadInputCase(name: "--rate-limit documented= takes on or off", args: ["sandbox", "serve", "--rate-limit", "documented=maybe"], exit: 2,
                 says: ["pcx: sandbox serve: --rate-limit: 'documented=maybe'", "documented is on or off"]),
    BadInputCase(name: "a bad --order-lag shows duration examples", args: ["sandbox", "serve", "--order-lag", "soon"], exit: 2,
                 says: ["pcx: sandbox serve: --order-lag: 'soon' is not a duration"]),
    BadInputCase(name: "a bad --token-lifetime is a usage error", args: ["sandbox", "serve", "--token-lifetime", "forever"], exit: 2,
                 says: ["--token-lifetime: 'forever' is not a duration"]),
    BadInputCase(name: "a --host this machine does not have says so", args: ["sandbox", "serve", "--host", "192.0.2.1"], exit: 2,
                 says: ["pcx: sandbox serve: cannot listen on 192.0.2.1: this machine has no such address", "hint: use --host 127.0.0.1"]),
    BadInputCase(name: "a port above 65535 is a usage error", args: ["sandbox", "serve", "--port", "99999"], exit: 2,
                 says: ["--port: 99999 is not a port"]),
    BadInputCase(name: "an unknown --scale key lists the known ones", args: ["sandbox", "serve", "--scale", "planets=3"], exit: 2,
                 says: ["unknown key 'planets'", "lineitems=N"]),
    BadInputCase(name: "bad --restricted-markets are a usage error", args: ["sandbox", "serve", "--restricted-markets", "B1,??"], exit: 2,
                 says: ["--restricted-markets: 'B1,??'"]),
    BadInputCase(name: "completion for an unknown shell is a usage error", args: ["--generate-completion-script", "tcsh"], exit: 2,
                 says: ["tcsh"]),

    // ---- configuration ---------------------------------------------------------------------
    BadInputCase(name: "an unterminated string in profiles.toml names file and line", args: ["run", "a.lua"],
                 files: ["a.lua": sandboxCustomer, profileHint: text("[profile.default]\nendpoint = \"http://127.0.0.1:1\n")], exit: 2,
                 says: ["pcx: invalid_argument: ", "profiles.toml:2: unterminated string", "hint: "]),
    BadInputCase(name: "an unknown key in profiles.toml lists the known keys", args: ["run", "a.lua"],
                 files: ["a.lua": sandboxCustomer, profileHint: text("[profile.default]\nendpoint = \"http://127.0.0.1:1\"\ncolour = \"blue\"\n")], exit: 2,
                 says: ["profiles.toml:3: unknown key 'colour' in profile 'default'", "known keys: endpoint"]),
    BadInputCase(name: "a wrong value type in profiles.toml names key and types", args: ["run", "a.lua"],
                 files: ["a.lua": sandboxCustomer, profileHint: text("[profile.default]\nendpoint = \"http://127.0.0.1:1\"\nmax_attempts = \"four\"\n")], exit: 2,
                 says: ["profiles.toml:3: 'max_attempts' in profile 'default' must be an integer, not a string"]),
    BadInputCase(name: "a string where profiles.toml wants an array is an error", args: ["run", "a.lua"],
                 files: ["a.lua": sandboxCustomer, profileHint: text("[profile.default]\nendpoint = \"http://127.0.0.1:1\"\nexcluded_markets = \"BR\"\n")], exit: 2,
                 says: ["'excluded_markets' in profile 'default' must be an array of country codes"]),
    BadInputCase(name: "a profiles.toml that is not TOML names the first bad line", args: ["run", "a.lua"],
                 files: ["a.lua": sandboxCustomer, profileHint: text("this is not toml\n")], exit: 2,
                 says: ["profiles.toml:1: expected '=' after the line's first word (not shown"]),
    BadInputCase(name: "a bad PCX_CATALOG_TTL is an input error before the script runs", args: ["run", "a.lua"],
                 files: ["a.lua": text("print('ran')\n")], env: ["PCX_CATALOG_TTL": "1d"], exit: 2,
                 says: ["pcx: invalid_argument: PCX_CATALOG_TTL='1d' is not valid: it takes a number of seconds", "hint: fix or unset PCX_CATALOG_TTL"]),
    BadInputCase(name: "a bad PCX_ORDER_LIST_LAG is an input error before the script runs", args: ["run", "a.lua"],
                 files: ["a.lua": text("print('ran')\n")], env: ["PCX_ORDER_LIST_LAG": "abc"], exit: 2,
                 says: ["PCX_ORDER_LIST_LAG='abc' is not valid: it takes a duration"]),
    BadInputCase(name: "extra words after a playbook option's value are refused, not dropped",
                 args: ["playbook", "run", "register-subscription", "--sandbox", "--customer", "Fabrikam", "Corp", "--subscription", "S"],
                 exit: 2, says: ["unexpected argument 'Corp'", "quote a value with spaces"]),
    BadInputCase(name: "an empty playbook string value is refused", args: ["playbook", "run", "reconcile-invoice", "--sandbox", "--invoice", ""],
                 exit: 2, says: ["--invoice needs a value, got an empty string"]),
    BadInputCase(name: "a bad PCX_LOG_LEVEL is an input error before the script runs", args: ["run", "a.lua"],
                 files: ["a.lua": text("print('ran')\n")], env: ["PCX_LOG_LEVEL": "loud"], exit: 2,
                 says: ["PCX_LOG_LEVEL='loud' is not valid: it takes debug, info, warn or error"]),
    BadInputCase(name: "a PCX_PROGRESS other than 1 or 0 is an input error before the script runs", args: ["run", "a.lua"],
                 files: ["a.lua": text("print('ran')\n")], env: ["PCX_PROGRESS": "maybe"], exit: 2,
                 says: ["PCX_PROGRESS='maybe' is not valid: it takes 1 (draw progress lines on stderr even when it is not a terminal) or 0 (never)"],
                 never: ["ran"]),
    BadInputCase(name: "a PCX_STDLIB_DIR that is not a directory is an input error", args: ["run", "a.lua"],
                 files: ["a.lua": text("print('ran')\n")], env: ["PCX_STDLIB_DIR": "nowhere"], exit: 2,
                 says: ["PCX_STDLIB_DIR='nowhere' is not valid"]),
    BadInputCase(name: "a PCX_DATA_DIR that is a file is an input error naming it, before the script runs", args: ["run", "a.lua"],
                 files: ["a.lua": sandboxCustomer, "afile": text("x")], env: ["PCX_DATA_DIR": "afile"], exit: 2,
                 says: ["afile is unusable: it is a file, not a directory", "hint: set PCX_DATA_DIR"], never: ["NSCocoaErrorDomain"]),
    BadInputCase(name: "a secret pasted on a line of its own in profiles.toml is never echoed, however it looks", args: ["run", "a.lua"],
                 files: ["a.lua": sandboxCustomer, profileHint: text("[profile.default]\nsupersecretvalue123\n")], exit: 2,
                 says: ["profiles.toml:2: expected '='"], never: ["supersecretvalue123"]),
    BadInputCase(name: "a quoted secret on a line of its own in profiles.toml is never echoed", args: ["run", "a.lua"],
                 files: ["a.lua": sandboxCustomer, profileHint: text("[profile.default]\n\"quoted-secret-xyz\"\n")], exit: 2,
                 says: ["profiles.toml:2: expected '='"], never: ["quoted-secret-xyz"]),
    BadInputCase(name: "a profile defined twice is an error", args: ["run", "a.lua"],
                 files: ["a.lua": sandboxCustomer, profileHint: text("[profile.default]\nendpoint = \"http://127.0.0.1:1\"\n[profile.default]\nendpoint = \"x\"\n")], exit: 2,
                 says: ["profiles.toml:3: profile 'default' is defined twice"]),
    BadInputCase(name: "--profile naming a profile that is not in the file lists the ones there", args: ["run", "--profile", "other", "a.lua"],
                 files: ["a.lua": sandboxCustomer, profileHint: text("[profile.default]\nendpoint = \"http://127.0.0.1:1\"\n")], exit: 2,
                 says: ["profile 'other' is not in", "profiles there: default"]),
    BadInputCase(name: "--profile without a profiles.toml says which file is missing", args: ["run", "--profile", "nope", "a.lua"],
                 files: ["a.lua": sandboxCustomer], exit: 2,
                 says: ["profile 'nope' requested but", "profiles.toml does not exist", "hint: "]),
    BadInputCase(name: "PCX_PROFILE naming a missing profile is an error", args: ["run", "a.lua"],
                 files: ["a.lua": sandboxCustomer], env: ["PCX_PROFILE": "ghost"], exit: 2,
                 says: ["profile 'ghost' requested but"]),
    BadInputCase(name: "a bad PCX_TOKEN_VERSION names the valid ones", args: ["run", "a.lua"], files: ["a.lua": sandboxCustomer],
                 env: ["PCX_ENDPOINT": "http://127.0.0.1:1", "PCX_AUTHORITY": "http://127.0.0.1:1", "PCX_TENANT_ID": "t",
                       "PCX_CLIENT_ID": "c", "PCX_CLIENT_SECRET": "s", "PCX_TOKEN_VERSION": "v3"], exit: 2,
                 says: ["PCX_TOKEN_VERSION must be v1 or v2, not 'v3'"]),
    BadInputCase(name: "a PCX_ENDPOINT that is not a URL is an error with an example", args: ["run", "a.lua"], files: ["a.lua": sandboxCustomer],
                 env: ["PCX_ENDPOINT": "not a url", "PCX_AUTHORITY": "http://127.0.0.1:1", "PCX_TENANT_ID": "t", "PCX_CLIENT_ID": "c",
                       "PCX_CLIENT_SECRET": "s"], exit: 2,
                 says: ["endpoint 'not a url' is not an absolute http(s) URL", "hint: "]),
    BadInputCase(name: "a non-http PCX_ENDPOINT is refused", args: ["run", "a.lua"], files: ["a.lua": sandboxCustomer],
                 env: ["PCX_ENDPOINT": "ftp://127.0.0.1:1", "PCX_AUTHORITY": "http://127.0.0.1:1", "PCX_TENANT_ID": "t", "PCX_CLIENT_ID": "c",
                       "PCX_CLIENT_SECRET": "s"], exit: 2,
                 says: ["endpoint 'ftp://127.0.0.1:1' is not an absolute http(s) URL"]),
    BadInputCase(name: "a bad PCX_EXCLUDED_MARKETS entry is named", args: ["run", "a.lua"], files: ["a.lua": sandboxCustomer],
                 env: ["PCX_ENDPOINT": "http://127.0.0.1:1", "PCX_AUTHORITY": "http://127.0.0.1:1", "PCX_TENANT_ID": "t", "PCX_CLIENT_ID": "c",
                       "PCX_CLIENT_SECRET": "s", "PCX_EXCLUDED_MARKETS": "B R,1"], exit: 2,
                 says: ["PCX_EXCLUDED_MARKETS: 'B R' is not an ISO 3166-1 alpha-2 country code"]),
    BadInputCase(name: "PCX_ENDPOINT without credentials says which variables to set", args: ["run", "a.lua"], files: ["a.lua": sandboxCustomer],
                 env: ["PCX_ENDPOINT": "http://127.0.0.1:1", "PCX_AUTHORITY": "http://127.0.0.1:1"], exit: 1,
                 says: ["pcx: unauthenticated: ", "no credentials configured", "PCX_TENANT_ID"]),

    // ---- server responses ------------------------------------------------------------------
    BadInputCase(name: "truncated JSON from Partner Center is a server_error naming the request and the script line", args: ["run", "--profile", "bad", "srv.lua"],
                 server: .truncatedJSON, exit: 1,
                 says: ["pcx: server_error: Partner Center's answer could not be read: the JSON document is truncated or malformed",
                        "GET /v1/customers/c1", "at srv.lua:1"]),
    BadInputCase(name: "a proxy's HTML error page is a server_error naming the request", args: ["run", "--profile", "bad", "srv.lua"],
                 server: .htmlErrorPage, exit: 1,
                 says: ["pcx: server_error: Bad Gateway", "GET /v1/customers/c1", "HTTP 502", "at srv.lua:1"]),
    BadInputCase(name: "an HTML page with 200 where JSON was expected is an error", args: ["run", "--profile", "bad", "srv.lua"],
                 server: .htmlWith200, exit: 1,
                 says: ["pcx: server_error: Partner Center's answer could not be read: it is an HTML page (text/html)",
                        "GET /v1/customers/c1", "at srv.lua:1"]),
    BadInputCase(name: "JSON served as text/plain is still read", args: ["run", "--profile", "bad", "srv.lua"],
                 server: .jsonAsTextPlain, exit: 0, says: []),
    BadInputCase(name: "a body over the 64 MiB cap is refused, not loaded", args: ["run", "--profile", "bad", "srv.lua"],
                 server: .hugeBody, exit: 1,
                 says: ["pcx: server_error: Partner Center's response is larger than 64 MiB", "GET /v1/customers/c1",
                        "hint: ask for smaller pages"]),
    BadInputCase(name: "an error body over the 1 MiB cap is refused", args: ["run", "--profile", "bad", "srv.lua"],
                 server: .hugeErrorBody, exit: 1, says: ["pcx: server_error: Partner Center's response is larger than 1 MiB", "HTTP 500"]),
    BadInputCase(name: "invalid UTF-8 between JSON tokens is a server_error with the byte offset at the script's line", args: ["run", "--profile", "bad", "srv.lua"],
                 server: .invalidUTF8Token, exit: 1,
                 says: ["pcx: server_error: Partner Center's answer could not be read: expected a string key at byte 12", "at srv.lua:1"]),
    BadInputCase(name: "invalid UTF-8 inside a string is kept and refused by json.encode with its offset", args: ["run", "--profile", "bad", "enc.lua"],
                 files: ["enc.lua": text("local json = require 'json'\nprint(json.encode(pc.customers.get('c1')))\n")],
                 server: .invalidUTF8InString, exit: 1, says: ["enc.lua:2: json.encode: invalid UTF-8 in string at byte"]),
    BadInputCase(name: "a 500 with a plain-text body is a server_error naming the request", args: ["run", "--profile", "bad", "srv.lua"],
                 server: .serverErrorPlainText, exit: 1,
                 says: ["pcx: server_error: Internal Server Error", "GET /v1/customers/c1", "HTTP 500", "hint: "]),
    BadInputCase(name: "an empty 200 where an object was expected is an error", args: ["run", "--profile", "bad", "srv.lua"],
                 server: .empty200, exit: 1,
                 says: ["pcx: server_error: Partner Center's answer could not be read: the body is empty", "GET /v1/customers/c1"]),
    BadInputCase(name: "a 429 without Retry-After is a throttled error with a hint", args: ["run", "--profile", "bad", "srv.lua"],
                 server: .throttledNoRetryAfter, exit: 1, says: ["pcx: throttled: ", "HTTP 429", "hint: "]),
    BadInputCase(name: "an HTML 500 from the token endpoint is an auth failure naming the token request", args: ["run", "--profile", "bad", "srv.lua"],
                 server: .tokenEndpointHTML, exit: 1,
                 says: ["token endpoint refused the client_credentials grant (HTTP 500)", "/oauth2/token", "hint: "]),
    BadInputCase(name: "truncated JSON from the token endpoint is an error, not a crash", args: ["run", "--profile", "bad", "srv.lua"],
                 server: .tokenEndpointTruncated, exit: 1, says: ["pcx: ", "token"]),
]

@Suite("bad-input catalogue: clear errors, documented exit codes, no crashes")
struct BadInputCatalogueTests {
    @Test func theCatalogueHasAtLeastFortyDistinctCases() {
        #expect(badInputCatalogue.count >= 40)
        #expect(Set(badInputCatalogue.map(\.name)).count == badInputCatalogue.count)
    }

    @Test(arguments: badInputCatalogue)
    func badInputEndsInAClearErrorWithTheDocumentedExitCode(_ c: BadInputCase) throws {
        let dir = CLIHarness.tempDir()
        var files = c.files
        var server: BadServer?
        if let response = c.server {
            let s = try BadServer(response)
            server = s
            let base = "http://127.0.0.1:\(s.port)"
            files[profileHint] = text("""
                [profile.bad]
                endpoint = "\(base)"
                authority = "\(base)"
                tenant_id = "tenant1"
                client_id = "client1"
                client_secret = "\(secret)"
                max_attempts = 1
                request_timeout = 30

                """)
            if files["srv.lua"] == nil { files["srv.lua"] = badProfileScript }
        }
        defer { server?.stop() }
        for (name, bytes) in files {
            let url = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
            // profiles hold secrets: written as a careful user would (pcx warns otherwise)
            if name.hasSuffix("profiles.toml") {
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
            }
        }
        let env = c.env.mapValues { $0.replacingOccurrences(of: "{PORT}", with: server.map { String($0.port) } ?? "0") }
        let r = try CLIHarness.run(c.args, cwd: dir, env: env, timeout: 120)

        // never a crash: a documented exit code, no runtime trap or signal report
        #expect([0, 1, 2, 3].contains(r.status), "exit \(r.status): \(r.stderr.prefix(600))")
        for crash in ["Fatal error", "Segmentation fault", "Illegal instruction", "Current stack trace", "Stack dump", "AddressSanitizer"] {
            #expect(!r.stderr.contains(crash), "\(crash) in: \(r.stderr.prefix(600))")
        }
        // secrets never reach the output
        #expect(!r.stderr.contains(secret) && !r.stdout.contains(secret))
        #expect(!r.stderr.contains("tok.bad-server.sig") && !r.stdout.contains("tok.bad-server.sig"))

        #expect(r.status == c.exit, "exit \(r.status), expected \(c.exit): \(r.stderr.prefix(600))")
        for text in c.says {
            #expect(r.stderr.contains(text), "stderr lacks \(text.debugDescription): \(r.stderr.prefix(800))")
        }
        for text in c.never + ["stack traceback:"] {
            #expect(!r.stderr.contains(text), "stderr has \(text.debugDescription) (tracebacks only with --debug): \(r.stderr.prefix(800))")
        }
        if c.exit != 0 {
            // the first line is the error (pcx's own, or the argument parser's)
            let first = r.stderr.split(separator: "\n").first.map(String.init) ?? ""
            let clear = first.hasPrefix("pcx: ")
                || first.hasPrefix("Purchase plan") || first.contains(": ") || first.hasPrefix(#"{"error":{"#)
            #expect(clear, "first stderr line is not an error: \(first.debugDescription)")
        }
        if let issue = c.knownIssue {
            withKnownIssue(Comment(rawValue: issue)) {
                if let exit = c.knownExit { #expect(r.status == exit) }
                for text in c.knownSays { #expect(r.stderr.contains(text)) }
                if c.knownExit == nil && c.knownSays.isEmpty { Issue.record("known issue without an expectation") }
            }
        }
    }
}

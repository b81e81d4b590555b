import Foundation
import Testing

/// `-o table|json|csv|tsv` on the verbs and playbooks, display width, money display, `pcx eval`
/// and `pcx run -`, through the real binary: whole outputs.
@Suite("pcx output: -o, display width, money display, eval, run -")
struct OutputCLITests {
    // MARK: - pcx run -

    @Test("pcx run - reads the script from a pipe: arg[0] is '-', the arguments follow, errors name stdin:LINE")
    func runFromAPipe() throws {
        let r = try CLIHarness.run(["run", "-", "a", "b c"], stdin: "print(arg[0], select('#', ...), ...)\n")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "-\t2\ta\tb c\n")
        #expect(r.stderr.isEmpty, "\(r.stderr)")

        let runtime = try CLIHarness.run(["run", "-"], stdin: "local t = {}\n\nprint(t.x.y)\n")
        #expect(runtime.status == 1)
        #expect(runtime.stdout.isEmpty)
        #expect(runtime.stderr == "pcx: error: stdin:3: attempt to index a nil value (field 'x')\n")

        let syntax = try CLIHarness.run(["run", "-"], stdin: "#!/usr/bin/env pcx\nlocal y = = 2\n")
        #expect(syntax.status == 2)
        #expect(syntax.stderr == "pcx: syntax error: stdin:2: unexpected symbol near '='\n")

        // through the argument parser too (a pcx option before `-`), and a playbook declared on stdin
        let parsed = try CLIHarness.run(["run", "--sandbox", "--dry-run", "-", "x"],
                                        stdin: "print(pc.options.dry_run, ...)\n")
        #expect(parsed.status == 0, "\(parsed.stderr)")
        #expect(parsed.stdout == "true\tx\n")
        let playbook = try CLIHarness.run(["run", "-", "--who", "stdin"], stdin: """
            return playbook { name = "hello", summary = "Says hello", params = { who = { type = "string" } },
              run = function(p) print("hello " .. p.who) end }
            """)
        #expect(playbook.status == 0, "\(playbook.stderr)")
        #expect(playbook.stdout == "hello stdin\n")
    }

    @Test("pcx run - requires modules from the current directory and its lib/, as a script file there would")
    func runFromAPipeRequiresFromTheCurrentDirectory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pcx-stdin-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("lib"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "return { x = 'here' }\n".write(to: dir.appendingPathComponent("mymod.lua"), atomically: true, encoding: .utf8)
        try "return { y = 'in lib' }\n".write(to: dir.appendingPathComponent("lib/other.lua"), atomically: true, encoding: .utf8)
        let r = try CLIHarness.run(["run", "-"], stdin: "print(require('mymod').x, require('other').y)\n", cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "here\tin lib\n")
        let missing = try CLIHarness.run(["run", "-"], stdin: "require('nosuch')\n", cwd: dir)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("module 'nosuch' not found"), "\(missing.stderr)")
    }

    @Test("pcx run - takes a shell heredoc")
    func runFromAHeredoc() throws {
        let dir = CLIHarness.tempDir()
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", """
            "$PCX" run - one <<'EOF'
            local n = 0
            for i = 1, 4 do n = n + i end
            print("sum " .. n .. " " .. arg[1])
            EOF
            """]
        shell.currentDirectoryURL = dir
        var environment = CLIHarness.isolatedEnvironment(dir, [:])
        environment["PCX"] = CLIHarness.binary
        shell.environment = environment
        let out = Pipe()
        shell.standardOutput = out
        shell.standardError = FileHandle.nullDevice
        try shell.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        shell.waitUntilExit()
        #expect(shell.terminationStatus == 0)
        #expect(text == "sum 10 one\n")
    }

    @Test("pcx run - at a terminal says on stderr that it waits for the script, then runs what was typed")
    func runFromATerminalSaysItWaits() async throws {
        // a pseudo-terminal: /dev/ptmx, unlocked (TIOCSPTLCK), its slave /dev/pts/N (TIOCGPTN)
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        #expect(master >= 0)
        defer { close(master) }
        var unlock: CInt = 0, number: CUnsignedInt = 0
        #expect(ioctl(master, 0x4004_5431, &unlock) == 0 && ioctl(master, 0x8004_5430, &number) == 0)
        let slave = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
        #expect(slave >= 0)
        guard master >= 0, slave >= 0 else { return }
        let dir = CLIHarness.tempDir()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLIHarness.binary)
        p.arguments = ["run", "-"]
        p.currentDirectoryURL = dir
        p.environment = CLIHarness.isolatedEnvironment(dir, [:])
        p.standardInput = FileHandle(fileDescriptor: slave, closeOnDealloc: true)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // the hint comes before anything is typed
        var said = Data()
        let deadline = Date().addingTimeInterval(30)
        while !String(decoding: said, as: UTF8.self).contains("\n") && Date() < deadline {
            said.append(err.fileHandleForReading.availableData)
        }
        #expect(String(decoding: said, as: UTF8.self)
            == "pcx: reading the script from standard input: type it and end with Ctrl-D (or give a file: pcx run SCRIPT)\n")
        let typed = Array("print('typed')\n\u{04}".utf8)
        _ = typed.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(stdout == "typed\n")
    }

    // MARK: - pcx eval

    @Test("pcx eval prints an expression's values as the REPL's =expr does, statements run, exit 0")
    func evalPrintsValues() throws {
        let cases: [([String], String)] = [
            (["eval", "1 + 1"], "2\n"),
            (["eval", "'a' .. 'b', 3, nil"], "\"ab\"\t3\tnil\n"),
            (["eval", "money.new('1234.5', 'USD'), money.new('1234.5', 'USD'):format()"], "1234.5 USD\t\"1,234.50 USD\"\n"),
            (["eval", "local x = 6; print(x * 7)"], "42\n"),
            (["eval", "{ 1, 2 }"], "{ 1, 2 }\n"),
            (["eval", "-o", "json", "{ b = { 1, 2 }, a = 'x', m = money.new('2.5', 'USD') }"],
             "{\n  \"a\": \"x\",\n  \"b\": [\n    1,\n    2\n  ],\n  \"m\": \"2.50\"\n}\n"),
            (["eval", "--json", "'s'"], "\"s\"\n"),
            (["eval", "-o", "csv", "{ { id = 'c1', n = 2 }, { id = 'c, 2', n = 3 } }"], "id,n\r\nc1,2\r\n\"c, 2\",3\r\n"),
            (["eval", "--sandbox", "#pc.customers.list() > 0"], "true\n"),
            // a record (a line item) prints as its table, as json.decode's table would
            (["eval", "json.decode('[{\"b\":1,\"a\":\"x\"}]', { lazy = true })[1]"], "{ a = \"x\", b = 1 }\n"),
            (["eval", "-o", "csv", "json.decode('[{\"id\":\"c1\",\"n\":2}]', { lazy = true })"], "id,n\r\nc1,2\r\n"),
        ]
        for (args, expected) in cases {
            let r = try CLIHarness.run(args)
            #expect(r.status == 0, "\(args): \(r.stderr)")
            #expect(r.stdout == expected, "\(args)")
        }
    }

    @Test("pcx eval: a syntax error exits 2 and a runtime error 1, both at eval:LINE")
    func evalErrors() throws {
        let syntax = try CLIHarness.run(["eval", "x = = 1"])
        #expect(syntax.status == 2)
        #expect(syntax.stdout.isEmpty)
        #expect(syntax.stderr == "pcx: syntax error: eval:1: unexpected symbol near '='\n")
        let runtime = try CLIHarness.run(["eval", "local t = {}\nreturn t.x.y"])
        #expect(runtime.status == 1)
        #expect(runtime.stderr == "pcx: error: eval:2: attempt to index a nil value (field 'x')\n")
        let raised = try CLIHarness.run(["eval", "error('boom')"])
        #expect(raised.status == 1)
        #expect(raised.stderr == "pcx: error: eval:1: boom\n")
        let missing = try CLIHarness.run(["eval"])
        #expect(missing.status == 2)
    }

    // MARK: - -o on the verbs

    @Test("a bad -o value exits 2 naming the choices; --json with another -o exits 2")
    func badOutputFormat() throws {
        for args in [["journal", "list", "-o", "xml"], ["run", "-o", "yaml", "x.lua"], ["eval", "-o", "html", "1"],
                     ["playbook", "list", "--output", "md"], ["whoami", "--sandbox", "-o", "xml"]] {
            let r = try CLIHarness.run(args)
            #expect(r.status == 2, "\(args)")
            #expect(r.stdout.isEmpty, "\(args)")
            let value = args[args.count - (args[0] == "run" || args[0] == "eval" ? 2 : 1)]
            #expect(r.stderr == "pcx: -o \(value) is not an output format\n  hint: give one of table, json, csv or tsv, e.g. -o csv\n",
                    "\(args): \(r.stderr)")
        }
        let both = try CLIHarness.run(["journal", "list", "-o", "csv", "--json"])
        #expect(both.status == 2)
        #expect(both.stderr == """
            {"error":{"code":"invalid_argument","message":"--json is -o json, so it cannot go with -o csv",\
            "hint":"give one of them: -o csv or --json","exit_code":2}}

            """)
        // with --json, the mistake is one JSON error line
        let asJSON = try CLIHarness.run(["playbook", "list", "--json", "-o", "xml"])
        #expect(asJSON.status == 2)
        let error = try #require((try JSONSerialization.jsonObject(with: Data(asJSON.stderr.utf8)) as? [String: Any])?["error"] as? [String: Any])
        #expect(error["code"] as? String == "invalid_argument")
        #expect(error["message"] as? String == "-o xml is not an output format")
        // -o after a script is pcx's option, not the script's: refused with both fixes
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("print(...)\n", to: "s.lua", in: dir)
        let after = try CLIHarness.run(["run", "s.lua", "-o", "csv"], cwd: dir)
        #expect(after.status == 2)
        #expect(after.stderr == """
            pcx: -o comes after the script s.lua, so it would go to the script, not to pcx
              hint: put pcx's options before the script (pcx run -o csv s.lua), or hand it to the script after `--` (pcx run s.lua -- -o csv)

            """)
    }

    @Test("journal list and show: -o csv and tsv print a header of keys and the rows")
    func journalFormats() throws {
        let dir = CLIHarness.tempDir()
        let empty = try CLIHarness.run(["journal", "list", "-o", "csv"], cwd: dir)
        #expect(empty.status == 0, "\(empty.stderr)")
        #expect(empty.stdout == "id,created_at,operation,state,endpoint,customer,cart_id,result,script\r\n")
        let emptyTSV = try CLIHarness.run(["journal", "list", "-o", "tsv"], cwd: dir)
        #expect(emptyTSV.stdout == "id\tcreated_at\toperation\tstate\tendpoint\tcustomer\tcart_id\tresult\tscript\n")
        // one entry: a dry-run registration, recorded in the journal
        try CLIHarness.write("""
            local c = pc.customers.list()[1]
            for _, s in ipairs(pc.subscriptions.list(c.id)) do
              if s.offerId == "MS-AZR-0145P" then pc.subscriptions.register(c.id, s.id) return end
            end
            """, to: "reg.lua", in: dir)
        let reg = try CLIHarness.run(["run", "--sandbox", "--dry-run", "reg.lua"], cwd: dir)
        #expect(reg.status == 0, "\(reg.stderr)")
        let json = try CLIHarness.run(["journal", "list", "--json"], cwd: dir)
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let e = try #require(entries.first)
        let fields = ["id", "created_at", "operation", "state", "endpoint", "customer", "cart_id", "result", "script"].map { key -> String in
            if key == "id" { return String(e["id"] as? Int ?? 0) }
            if key == "endpoint" { return (e["target"] as? String ?? "").split(separator: "@", maxSplits: 1).last.map(String.init) ?? "" }
            if key == "result" { return "" }
            return e[key] as? String ?? ""
        }
        let csv = try CLIHarness.run(["journal", "list", "-o", "csv"], cwd: dir)
        #expect(csv.stdout == "id,created_at,operation,state,endpoint,customer,cart_id,result,script\r\n" + fields.joined(separator: ",") + "\r\n")
        let show = try CLIHarness.run(["journal", "show", String(e["id"] as? Int ?? 0), "-o", "tsv"], cwd: dir)
        #expect(show.status == 0, "\(show.stderr)")
        let lines = show.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "field\tvalue")
        #expect(lines.dropFirst().first == "entry\t\(e["id"] as? Int ?? 0)")
        #expect(lines.contains("operation\t\(e["operation"] as? String ?? "?")"))
        #expect(lines.last == "")
    }

    @Test("playbook list -o tsv and playbook show -o csv: rows of the playbooks and of a playbook's parameters")
    func playbookFormats() throws {
        let json = try CLIHarness.run(["playbook", "list", "-o", "json"])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let tsv = try CLIHarness.run(["playbook", "list", "-o", "tsv"])
        #expect(tsv.status == 0)
        let expected = list.map { p in
            [p["name"] as? String ?? "", p["origin"] as? String ?? "", p["summary"] as? String ?? "",
             String(p["replaces_shipped"] as? Bool ?? false)].joined(separator: "\t")
        }
        #expect(tsv.stdout == (["name\torigin\tsummary\treplaces_shipped"] + expected).joined(separator: "\n") + "\n")
        let show = try CLIHarness.run(["playbook", "show", "register-subscription", "-o", "csv"])
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout == """
            name,type,required,default,choices,min,max,help\r
            customer,customer,true,,,,,"customer: tenant id, domain or company name"\r
            subscription,string,true,,,,,Azure subscription id\r
            timeout,integer,false,600,,1,,seconds to wait for Registered\r

            """)
    }

    @Test("profile list -o csv and whoami -o tsv: rows, never a secret")
    func profileAndWhoamiFormats() async throws {
        let dir = ProfileCLI.directory()
        try ProfileCLI.writeProfiles(ProfileCLI.twoProfiles, in: dir)
        let json = try await ProfileCLI.run(["profile", "list", "--json"], in: dir)
        let view = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let profiles = try #require(view["profiles"] as? [[String: Any]])
        let csv = try await ProfileCLI.run(["profile", "list", "-o", "csv"], in: dir)
        #expect(csv.status == 0, "\(csv.stderr)")
        let rows = profiles.map { p -> String in
            let values = [p["name"], p["default"], p["target"], p["endpoint"], p["tenant_id"], p["client_id"], p["sign_in"], p["credential"]]
            return values.map { v -> String in
                let text = (v as? Bool).map { String($0) } ?? (v as? String ?? "")
                return text.contains(",") || text.contains("\"") ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
            }.joined(separator: ",")
        }
        #expect(csv.stdout == (["name,default,target,endpoint,tenant_id,client_id,sign_in,credential"] + rows).map { $0 + "\r\n" }.joined())
        for secret in ["Gq7~very.secret_value", "Rt-lab-secret-token"] { #expect(!csv.stdout.contains(secret)) }

        let whoami = try await ProfileCLI.run(["whoami", "--sandbox", "-o", "tsv"], in: dir)
        #expect(whoami.status == 0, "\(whoami.stderr)")
        let fields = whoami.stdout.split(separator: "\n").map { String($0.split(separator: "\t").first ?? "") }
        #expect(fields == ["field", "target", "profile", "endpoint", "tenant", "app id", "sign-in", "user", "token", "token"])
        #expect(!whoami.stdout.contains("eyJ"))
    }

    // MARK: - display width and money display

    @Test("a table aligns accented, combining, CJK and emoji names by display width; money shows its minor units")
    func tableAlignsByDisplayWidth() throws {
        let script = #"""
            local output = require "output"
            local rows = {
              { name = "Contoso", total = "951.2", currency = "USD" },
              { name = "Société Générale", total = "1234.5", currency = "EUR" },
              { name = "Socie\u{301}te\u{301} Ge\u{301}ne\u{301}rale", total = "1234", currency = "JPY" },
              { name = "株式会社", total = "12.345", currency = "KWD" },
              { name = "🍣 Sushi Co", total = "0.5", currency = "BHD" },
            }
            output.print(rows, { { "Customer", "name" }, { "Total", "total", money = "currency" }, { "Cur", "currency", table = false } })
            """#
        let table = try CLIHarness.run(["run", "-"], stdin: script)
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout == """
            Customer                 Total
            ----------------  ------------
            Contoso             951.20 USD
            Société Générale  1,234.50 EUR
            Socie\u{301}te\u{301} Ge\u{301}ne\u{301}rale     1,234 JPY
            株式会社            12.345 KWD
            🍣 Sushi Co          0.500 BHD

            """)
        // the same rows as CSV and TSV: exact amounts, no grouping, no currency code in the amount
        let csv = try CLIHarness.run(["run", "-o", "csv", "-"], stdin: script)
        #expect(csv.stdout == """
            name,total,currency\r
            Contoso,951.20,USD\r
            Société Générale,1234.50,EUR\r
            Socie\u{301}te\u{301} Ge\u{301}ne\u{301}rale,1234,JPY\r
            株式会社,12.345,KWD\r
            🍣 Sushi Co,0.500,BHD\r

            """)
        let tsv = try CLIHarness.run(["run", "-o", "tsv", "-"], stdin: script)
        #expect(tsv.stdout.hasPrefix("name\ttotal\tcurrency\nContoso\t951.20\tUSD\n"), "\(tsv.stdout)")
    }

    // MARK: - playbooks

    @Test("balance: -o csv and tsv are the JSON's rows to the digit; the table shows each amount with its currency")
    func balanceFormats() async throws {
        try await withEndToEnd { e2e in
            let json = try await e2e.run(["playbook", "run", "balance", "-o", "json"])
            #expect(json.status == 0, "\(json)")
            let obj = try json.json()
            let summaries = try #require(obj["summaries"] as? [[String: Any]])
            let keys = ["currency", "balance", "recurring", "one_time", "latest_invoice"]
            let rows = summaries.map { s in keys.map { s[$0] as? String ?? "" } }
            let csv = try await e2e.run(["playbook", "run", "balance", "-o", "csv"])
            #expect(csv.status == 0, "\(csv)")
            #expect(csv.stdout == ([keys] + rows).map { $0.joined(separator: ",") + "\r\n" }.joined())
            let tsv = try await e2e.run(["playbook", "run", "-o", "tsv", "balance"])
            #expect(tsv.stdout == ([keys] + rows).map { $0.joined(separator: "\t") + "\n" }.joined())
            // --json is -o json
            let synonym = try await e2e.run(["playbook", "run", "balance", "--json"])
            #expect(synonym.stdout == json.stdout)

            let text = try await e2e.run(["playbook", "run", "balance"])
            #expect(text.status == 0, "\(text)")
            let currency = obj["currency"] as? String ?? "?"
            #expect(text.stdout.hasPrefix("balance: \(shownAmount(obj["balance"] as? String ?? "", currency)) \(currency)\n"), "\(text.stdout)")
            for row in rows {
                let line = try #require(text.stdout.split(separator: "\n").first { $0.hasPrefix(row[0] + " ") }, "\(text.stdout)")
                for amount in row[1...3] where !amount.isEmpty {
                    #expect(line.contains(shownAmount(amount, row[0]) + " " + row[0]), "\(row): \(line)")
                }
            }
        }
    }

    @Test("reservations-report -o csv prints the same columns and values as its --csv file")
    func reservationsReportCSV() async throws {
        try await withEndToEnd { e2e in
            let file = e2e.out.appendingPathComponent("r.csv")
            let written = try await e2e.run(["playbook", "run", "reservations-report", "--all", "--allow-write", e2e.out.path,
                                             "--csv", file.path])
            #expect(written.status == 0, "\(written)")
            let stdout = try await e2e.run(["playbook", "run", "reservations-report", "--all", "-o", "csv"])
            #expect(stdout.status == 0, "\(stdout)")
            let fromFile = parseCSV(try String(contentsOf: file, encoding: .utf8))
            let fromStdout = parseCSV(stdout.stdout)
            #expect(fromStdout.count > 10)
            #expect(fromStdout.first?.first == "customer" && fromStdout.first?.last == "sku_id", "\(fromStdout.first ?? [])")
            // days_left counts from "now": compare every other column
            let daysLeft = try #require(fromFile.first?.firstIndex(of: "days_left"))
            func dropDays(_ rows: [[String]]) -> [[String]] { rows.map { r in r.enumerated().filter { $0.offset != daysLeft }.map(\.element) } }
            #expect(dropDays(fromStdout) == dropDays(fromFile))
        }
    }
}

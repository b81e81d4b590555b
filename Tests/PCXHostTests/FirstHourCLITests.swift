import Foundation
import Testing

/// The first hour with pcx, as a new user meets it (issue 21): command-line mistakes read as
/// pcx's own errors (`pcx: <problem>`, a hint line, exit 2), never the argument parser's usage
/// block or its type names. Whole outputs are compared.
@Suite("the first hour: command-line mistakes")
struct FirstHourArgumentTests {
    /// Runs pcx in a fresh directory holding `x.lua`.
    func run(_ args: [String], env: [String: String] = [:]) throws -> CLIHarness.Result {
        let dir = CLIHarness.tempDir()
        try CLIHarness.write("print('ran')\n", to: "x.lua", in: dir)
        return try CLIHarness.run(args, cwd: dir, env: env)
    }

    @Test("--max-spend with a bad amount names both words, before and after a playbook's name")
    func maxSpendWithABadAmount() throws {
        let r = try run(["run", "--max-spend", "abc", "USD", "x.lua"])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr == """
            pcx: --max-spend takes an amount and a currency, e.g. --max-spend 5000 USD (got 'abc USD')
              hint: `pcx run --help` lists the options

            """)
        let p = try run(["playbook", "run", "balance", "--max-spend", "abc", "USD"])
        #expect(p.status == 2)
        #expect(p.stderr == """
            pcx: --max-spend takes an amount and a currency, e.g. --max-spend 5000 USD (got 'abc USD')
              hint: `pcx playbook run --help` lists the options

            """)
    }

    @Test("a bad PCX_REPLAY_WINDOW is a problem and a hint, not the parser's usage of `pcx <subcommand>`")
    func badReplayWindowFromTheEnvironment() throws {
        let r = try run(["run", "x.lua"], env: ["PCX_REPLAY_WINDOW": "-1"])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr == """
            pcx: PCX_REPLAY_WINDOW must not be negative, got '-1'
              hint: use e.g. 24h, 7d, 30m, or 0 to never replay

            """)
    }

    @Test("a misspelt pcx option gets a did-you-mean wherever it stands, and nothing runs")
    func misspeltOptionsGetADidYouMean() throws {
        let before = try run(["run", "--dryrun", "x.lua"])
        #expect(before.status == 2)
        #expect(before.stdout.isEmpty)
        #expect(before.stderr == "pcx: unknown option --dryrun (did you mean --dry-run?)\n  hint: `pcx run --help` lists the options\n")
        let beforeName = try run(["playbook", "run", "--dryrun", "balance"])
        #expect(beforeName.status == 2)
        #expect(beforeName.stderr == "pcx: unknown option --dryrun (did you mean --dry-run?)\n  hint: `pcx playbook run --help` lists the options\n")
        let afterName = try run(["playbook", "run", "balance", "--alow-purchase"])
        #expect(afterName.status == 2)
        #expect(afterName.stdout.isEmpty)
        #expect(afterName.stderr == """
            pcx: unknown option --alow-purchase (did you mean --allow-purchase?)
              hint: `pcx playbook show balance` lists the playbook's parameters, `pcx playbook run --help` pcx's own options

            """)
        let json = try run(["playbook", "run", "balance", "--json", "--dryrun"])
        #expect(json.status == 2)
        #expect(json.stderr == #"{"error":{"code":"invalid_argument","message":"unknown option --dryrun (did you mean --dry-run?)","hint":"`pcx playbook show balance` lists the playbook's parameters, `pcx playbook run --help` pcx's own options","exit_code":2}}"# + "\n")
    }

    @Test("an unknown verb is named as one, with the verb it is closest to")
    func unknownVerb() throws {
        let r = try run(["playbok", "list"])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr == "pcx: unknown verb 'playbok' (did you mean playbook?)\n  hint: `pcx --help` lists the verbs\n")
    }

    @Test("the parser's own messages read as pcx's: no 'Error:', no 'Usage:' block, no internal names")
    func parserMessagesInPcxWords() throws {
        let r = try run(["journal", "list", "--limit", "x"])
        #expect(r.status == 2)
        #expect(r.stderr == "pcx: the value 'x' is invalid for '--limit <limit>'\n  hint: `pcx journal list --help` lists the options\n")
        let missing = try run(["run"])
        #expect(missing.status == 2)
        #expect(missing.stderr == "pcx: missing expected argument '<script>'\n  hint: `pcx run --help` lists the options\n")
    }

    @Test("journal list --limit 0 is an input error (it never lists an entry it was not asked for)")
    func journalLimitZero() throws {
        let r = try run(["journal", "list", "--limit", "0"])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr == "pcx: --limit must be at least 1, got 0\n  hint: leave --limit out to see the newest 50 entries\n")
    }

    @Test("words after a playbook's parameters that belong to no option are named, all of them, and nothing runs")
    func strayWordsAfterAPlaybookAreNamed() throws {
        let r = try run(["playbook", "run", "balance", "foo", "bar"])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr == """
            pcx: unexpected arguments 'foo', 'bar': every value follows its option; quote a value with spaces (--name "two words")

            usage: pcx playbook run balance [options]
            Account balance and per-currency invoice summaries

            """)
    }
}

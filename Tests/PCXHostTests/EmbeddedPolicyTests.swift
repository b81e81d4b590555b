import Foundation
import Testing

/// The market list and the locale are policy, not the target: they hold for the embedded
/// sandbox as for a real Partner Center, and a bad value is an input error before the script.
@Suite("Policy variables with the embedded sandbox")
struct EmbeddedPolicyTests {
    static let script = #"print(table.concat(pc.policy.excluded_markets(), ","))"#

    @Test("PCX_EXCLUDED_MARKETS applies to the embedded sandbox; none is the empty list")
    func excludedMarketsApply() throws {
        let dir = CLIHarness.tempDir()
        _ = try CLIHarness.write(Self.script, to: "m.lua", in: dir)
        let custom = try CLIHarness.run(["run", "m.lua"], cwd: dir, env: ["PCX_EXCLUDED_MARKETS": "br, cn"])
        #expect(custom.status == 0, "\(custom.stderr)")
        #expect(custom.stdout == "BR,CN\n")
        let none = try CLIHarness.run(["run", "--sandbox", "m.lua"], cwd: dir, env: ["PCX_EXCLUDED_MARKETS": "none"])
        #expect(none.status == 0, "\(none.stderr)")
        #expect(none.stdout == "\n")
        let unset = try CLIHarness.run(["run", "m.lua"], cwd: dir)
        #expect(unset.stdout == "BR,CN,HK,IN,KR,RU,TW\n", "the documented default")
    }

    @Test("a bad PCX_EXCLUDED_MARKETS is an input error before the script runs, with the embedded sandbox too",
          arguments: [",", "USA", "B R"])
    func badListIsRefused(_ value: String) throws {
        let dir = CLIHarness.tempDir()
        _ = try CLIHarness.write(#"print("ran")"#, to: "m.lua", in: dir)
        let r = try CLIHarness.run(["run", "m.lua"], cwd: dir, env: ["PCX_EXCLUDED_MARKETS": value])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("PCX_EXCLUDED_MARKETS"), "\(r.stderr)")
        #expect(!r.stdout.contains("ran"))
    }
}

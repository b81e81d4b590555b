import Foundation
import Testing

@Suite("pcx run: exit statuses and bounded error output")
struct RuntimeBoundsCLITests {
    @Test("os.exit with a value that is not an exit status never makes pcx exit 0")
    func osExitNeverReportsFailureAsSuccess() async throws {
        try await withEndToEnd { e2e in
            // each of these used to exit 0: the shell sees a status modulo 256
            for expression in ["256", "512", "2^32", "-256", "3.7", "1e300", "0/0", "'3'", "math.huge"] {
                let r = try await e2e.lua("os.exit(\(expression))")
                #expect(r.status != 0, "os.exit(\(expression)) exited 0:\n\(r)")
                #expect(r.status == 1, "os.exit(\(expression)):\n\(r)")
            }
            // valid statuses are kept
            for (expression, status) in [("", 0), ("true", 0), ("false", 1), ("7", 7), ("255", 255)] {
                let r = try await e2e.lua("os.exit(\(expression))")
                #expect(r.status == Int32(status), "os.exit(\(expression)):\n\(r)")
            }
        }
    }

    @Test("a 120 MiB error string under --memory-limit 256 exits 1 with a short stderr")
    func hugeErrorIsCutOnItsWayOut() async throws {
        try await withEndToEnd { e2e in
            let r = try await e2e.lua("error(string.rep(\"x\", 120 << 20))", flags: ["--memory-limit", "256"])
            #expect(r.status == 1, "exit \(r.status), stderr \(r.stderr.utf8.count) bytes: \(r.stderr.prefix(300))")
            #expect(r.stderr.utf8.count < 100_000, "stderr is \(r.stderr.utf8.count) bytes")
            #expect(r.stderr.contains("bytes cut"), "\(r.stderr.suffix(300))")
        }
    }
}

import Foundation

/// A progress line for a wait that lasts: after `delay` (2 s) it is drawn on stderr and redrawn
/// every second with the time waited and the time left before the wait gives up; it is erased when
/// the wait ends. Drawn only where ``Session/progressEnabled`` says (a terminal, `--progress`).
/// The ticker sleeps between redraws: a wait costs no CPU for its line.
enum WaitProgress {
    /// Runs `body`, with a line saying `what` (e.g. "waiting for order 123 to complete") while it lasts.
    static func around<T: Sendable>(_ what: String, timeout: Duration, enabled: Bool, delay: Double = 2,
                                    _ body: () async throws -> T) async throws -> T {
        guard enabled else { return try await body() }
        let limit = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        let line = WaitLine(enabled: true)
        let started = ContinuousClock.now
        let ticker = Task {
            try await Task.sleep(for: .seconds(delay))
            while !Task.isCancelled {
                let waited = (ContinuousClock.now - started).components.seconds
                line.show(text(what, waited: Double(waited), timeout: limit))
                try await Task.sleep(for: .seconds(1))
            }
        }
        defer {
            ticker.cancel()
            line.clear()
        }
        return try await body()
    }

    /// "waiting for order 123 to complete: 14 s, gives up in 9 min 46 s (Ctrl-C stops waiting)".
    static func text(_ what: String, waited: Double, timeout: Double) -> String {
        let left = max(0, timeout - waited)
        return "\(what): \(duration(waited)), gives up in \(duration(left)) (Ctrl-C stops waiting)"
    }

    /// `14 s`, `2 min 5 s`, `1 h 3 min`.
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.down))
        if s < 60 { return "\(s) s" }
        if s < 3600 { return s % 60 == 0 ? "\(s / 60) min" : "\(s / 60) min \(s % 60) s" }
        return "\(s / 3600) h \(s % 3600 / 60) min"
    }
}

import Foundation

/// A small mutual-exclusion lock (NSLock) usable from any thread.
final class Lock: @unchecked Sendable {
    private let l = NSLock()
    init() {}
    /// Runs `body` while holding the lock.
    @inline(__always)
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        l.lock()
        defer { l.unlock() }
        return try body()
    }
}

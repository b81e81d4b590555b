import CLuaShim
import Foundation

/// Ctrl-C (SIGINT) delivered to a callback on a dedicated thread.
///
/// A plain signal handler writes a byte to a self-pipe and a thread reading the pipe calls the
/// callback, so Ctrl-C is seen whichever thread the kernel delivers it to (a dispatch signal
/// source only sees it when the thread that registered it is the one blocking the signal).
public enum InterruptSignal {
    private static let lock = Lock()
    nonisolated(unsafe) private static var installed = false

    /// Routes every later SIGINT to `handler` (called on the reader thread, one call per signal).
    /// Idempotent: only the first call installs. Returns false when the pipe or the handler
    /// cannot be set up (SIGINT then keeps its current disposition).
    @discardableResult
    public static func install(_ handler: @escaping @Sendable () -> Void) -> Bool {
        lock.withLock {
            if installed { return true }
            let fd = pcxl_sigint_pipe()
            guard fd >= 0 else { return false }
            let started = DetachedThread.start(name: "pcx-sigint") {
                var byte: UInt8 = 0
                while true {
                    let n = read(fd, &byte, 1)
                    if n == 1 { handler(); continue }
                    if n < 0 && errno == EINTR { continue }
                    return
                }
            }
            guard started != nil else { return false }
            installed = true
            return true
        }
    }
}

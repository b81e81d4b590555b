import CJSONScan
import Foundation

/// The entry points of pcx's verbs. The `pcx` executable only parses arguments and calls these;
/// each returns the process exit code (see `ExitCode`).
public enum PCXCommands {
    /// Large buffers (export batches, page bodies) are mapped from the system and given back
    /// when freed. glibc otherwise raises its mmap threshold at the first such free, and the
    /// 1 MB batches handed between threads then fragment the per-thread heaps: peak RSS grew with
    /// an export's length (54 MB at 100,000 lines, 64 MB at 1,000,000); with this it stays flat.
    /// `MALLOC_MMAP_THRESHOLD_` in the environment still wins.
    public static func tuneMemory() {
        if getenv("MALLOC_MMAP_THRESHOLD_") == nil { _ = pcx_set_mmap_threshold(128 * 1024) }
    }

    /// Takes over Ctrl-C for the whole process; call first thing in `main`.
    public static func installInterruptHandler() { InterruptHandler.shared.install() }
}

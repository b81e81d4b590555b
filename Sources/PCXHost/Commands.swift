import Foundation

/// The entry points of pcx's verbs. The `pcx` executable only parses arguments and calls these;
/// each returns the process exit code (see `ExitCode`).
public enum PCXCommands {
    /// Takes over Ctrl-C for the whole process; call first thing in `main`.
    public static func installInterruptHandler() { InterruptHandler.shared.install() }
}

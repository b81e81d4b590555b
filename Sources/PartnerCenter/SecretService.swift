import Foundation

/// The freedesktop Secret Service (GNOME Keyring, KeePassXC, KWallet's bridge) reached through
/// `secret-tool` (Debian's `libsecret-tools`) over the D-Bus session bus.
///
/// Secrets travel only through `secret-tool`'s standard input and output, never its arguments.
/// Items are found by the attributes `service=pcx` and `id=ITEM`. Every call has a deadline,
/// so a keyring that waits for a prompt nobody answers cannot hang pcx.
public struct SecretServiceKeyring: Sendable {
    /// The environment `secret-tool` runs with (it needs the session bus's address).
    public var environment: [String: String]

    /// A keyring reached with `environment` (default: the process's).
    public init(environment: [String: String] = processEnvironment()) {
        self.environment = environment
    }

    /// The attribute every pcx item carries.
    public static let service = "pcx"

    /// A keyring failure: what `secret-tool` or the bus said, never a secret.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Why no Secret Service can be used, or nil when one answers: no session bus, no
    /// `secret-tool`, or the service itself not there (asked with a search for a probe item).
    public func unavailableReason() -> String? {
        let address = environment["DBUS_SESSION_BUS_ADDRESS"] ?? ""
        let runtime = environment["XDG_RUNTIME_DIR"].map { ($0 as NSString).appendingPathComponent("bus") }
        if address.isEmpty && !(runtime.map { FileManager.default.fileExists(atPath: $0) } ?? false) {
            return "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"
        }
        guard tool != nil else { return "secret-tool is not installed (Debian: apt install libsecret-tools)" }
        do {
            _ = try run(["search", "service", Self.service, "id", "pcx-probe"], input: nil, timeout: 10)
            return nil
        } catch {
            return "the Secret Service did not answer: \(error)"
        }
    }

    /// Stores `secret` as the item `item`, labelled `label`. The item's attributes are exactly
    /// `service` and `id`, so storing again replaces it (a rotated token) instead of adding one.
    /// - Throws: ``Failure`` with `secret-tool`'s message (a locked keyring, no collection, a timeout).
    public func store(item: String, label: String, secret: String, timeout: Double = 60) throws {
        _ = try run(["store", "--label=\(label)", "service", Self.service, "id", item], input: Data(secret.utf8), timeout: timeout)
    }

    /// The secret of the item `item`, or nil when there is none.
    /// - Throws: ``Failure`` when the keyring cannot be asked (no bus, no service, a timeout).
    public func lookup(item: String, timeout: Double = 30) throws -> String? {
        do {
            let output = try run(["lookup", "service", Self.service, "id", item], input: nil, timeout: timeout)
            let text = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? nil : text
        } catch let failure as Failure where failure.description == "exit status 1" {
            return nil // secret-tool says nothing and exits 1 when no item matches
        }
    }

    /// Removes the item `item` (nothing when there is none).
    public func clear(item: String) throws {
        _ = try run(["clear", "service", Self.service, "id", item], input: nil, timeout: 30)
    }

    /// `secret-tool` on the `PATH` of ``environment``.
    var tool: String? {
        let path = environment["PATH"].flatMap { $0.isEmpty ? nil : $0 } ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { ($0 as NSString).appendingPathComponent("secret-tool") }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `secret-tool arguments` with `input` on its standard input; its standard output.
    /// - Throws: ``Failure``: its first line of standard error (or the exit status), or the deadline.
    private func run(_ arguments: [String], input: Data?, timeout: Double) throws -> Data {
        guard let tool else { throw Failure(description: "secret-tool is not installed (Debian: apt install libsecret-tools)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.environment = environment
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        do { try process.run() } catch { throw Failure(description: "secret-tool could not start: \(error.localizedDescription)") }
        let output = PipeReader(stdout), errors = PipeReader(stderr)
        if let input { stdin.fileHandleForWriting.write(input) }
        try? stdin.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw Failure(description: "secret-tool did not answer within \(Int(timeout)) s (a locked keyring waiting for a prompt?)")
        }
        process.waitUntilExit()
        let message = String(decoding: errors.data(), as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        guard process.terminationStatus == 0 else {
            let text = message.hasPrefix("secret-tool: ") ? String(message.dropFirst("secret-tool: ".count)) : message
            throw Failure(description: text.isEmpty ? "exit status \(process.terminationStatus)" : text)
        }
        return output.data()
    }
}

/// Reads a pipe to its end on a thread of its own (so a full pipe never blocks the child).
private final class PipeReader: @unchecked Sendable {
    private var collected = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ pipe: Pipe) {
        let handle = pipe.fileHandleForReading
        Thread { [self] in
            collected = handle.readDataToEndOfFile()
            done.signal()
        }.start()
    }

    /// Everything the pipe carried (waits for its end).
    func data() -> Data {
        done.wait()
        return collected
    }
}

/// An error raised by pcx itself (not by Partner Center): policy refusals, bad configuration,
/// bad arguments. Carries the same stable codes as `pc.Error` in Lua.
public struct HostError: Error, Sendable, CustomStringConvertible {
    /// Stable error categories shared with `pc.Error.code`.
    public enum Code: String, Sendable {
        case invalidArgument = "invalid_argument"
        case policyDenied = "policy_denied"
        case notFound = "not_found"
        case interrupted
        case scriptError = "script_error"
    }
    /// The category.
    public var code: Code
    /// What went wrong, in one sentence.
    public var message: String
    /// How to fix it.
    public var hint: String?

    /// Creates an error.
    public init(code: Code, message: String, hint: String? = nil) {
        self.code = code
        self.message = message
        self.hint = hint
    }

    public var description: String {
        "\(code.rawValue): \(message)" + (hint.map { "\n  hint: \($0)" } ?? "")
    }
}

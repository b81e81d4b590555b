/// An error that ended a Lua call: a syntax error, an uncaught runtime error, or an abort
/// (memory limit, timeout, interrupt, `os.exit`).
///
/// `message` is the text a person reads. When the script raised a table (e.g. a structured
/// `pc.Error` from a host function), `value` holds it with every field intact, so a CLI can print
/// `code`, `hint`, `request_id`... `location` is the script `file:line` where known and
/// `traceback` Lua's stack traceback at the point of the error.
public struct LuaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is. Stable snake_case raw values.
    public enum Kind: String, Sendable, Equatable {
        /// The chunk did not compile (or was bytecode, refused).
        case syntax
        /// An uncaught error raised while running.
        case runtime
        /// The allocator's byte limit was exceeded.
        case memoryLimit = "memory_limit"
        /// The wall-clock deadline passed.
        case timeout
        /// `LuaVM.interrupt()` was called (Ctrl-C).
        case interrupted
        /// The script called `os.exit(code)`; see ``LuaError/exitCode``.
        case exit
        /// A file could not be read, or another failure outside Lua.
        case io
        /// The VM was closed.
        case closed
    }

    /// The kind of failure.
    public var kind: Kind
    /// The human-readable message (for a table error: its `__tostring`, or its `message` field).
    public var message: String
    /// The raised value when it was not a plain string (e.g. a structured error table).
    public var value: LuaValue?
    /// `file:line` where the error was raised, when known.
    public var location: String?
    /// Lua's traceback ("stack traceback:\n\t...") when available.
    public var traceback: String?
    /// The process exit status `os.exit` asked for when `kind == .exit`: always a valid status
    /// from 0 to 255. `os.exit()` and `os.exit(true)` give 0, `os.exit(false)` 1, a whole number
    /// from 0 to 255 itself; anything else (out of range, a fraction, NaN, a string...) gives 1,
    /// never a status the shell would read modulo 256 as success, and sets ``warning``.
    public var exitCode: Int32?
    /// Something the host should tell the user even though the run ended as the script asked:
    /// for `os.exit` with a value that is not an exit status, which value it was and that 1 was
    /// used instead (`message` holds the same text). nil otherwise.
    public var warning: String?

    /// Creates an error.
    public init(kind: Kind, message: String, value: LuaValue? = nil, location: String? = nil,
                traceback: String? = nil, exitCode: Int32? = nil, warning: String? = nil) {
        self.kind = kind
        self.message = message
        self.value = value
        self.location = location
        self.traceback = traceback
        self.exitCode = exitCode
        self.warning = warning
    }

    /// The most bytes of an error's text (its message, its traceback, each string of a raised
    /// table) copied from Lua into a ``LuaError``: a script can raise a string as large as its
    /// memory limit, and the host must not copy (and print) all of it. Longer text is cut at a
    /// character boundary and ends with a note saying how many bytes were left out.
    public static let maxTextBytes = 64 << 10

    /// `count` bytes at `bytes` as text of at most ``maxTextBytes`` bytes (plus the note saying
    /// how many bytes were cut). Only the kept bytes are read.
    static func boundedText(_ bytes: UnsafeRawPointer, count: Int, limit: Int = maxTextBytes) -> String {
        guard count > limit else {
            return String(decoding: UnsafeRawBufferPointer(start: bytes, count: count), as: UTF8.self)
        }
        let u8 = bytes.assumingMemoryBound(to: UInt8.self)
        var keep = limit
        // back off over UTF-8 continuation bytes so no character is cut in half
        while keep > limit - 3, keep > 0, u8[keep] & 0xC0 == 0x80 { keep -= 1 }
        if u8[keep] & 0xC0 == 0x80 { keep = limit }   // not UTF-8 here anyway
        let text = String(decoding: UnsafeRawBufferPointer(start: bytes, count: keep), as: UTF8.self)
        return text + "… [\(count - keep) more bytes cut; \(count) in all]"
    }

    /// `text` bounded like ``boundedText(_:count:limit:)``.
    static func bounded(_ text: String, limit: Int = maxTextBytes) -> String {
        var copy = text
        return copy.withUTF8 { buf in
            guard let base = buf.baseAddress, buf.count > limit else { return text }
            return boundedText(UnsafeRawPointer(base), count: buf.count, limit: limit)
        }
    }

    /// `kind: message`.
    public var description: String { "\(kind.rawValue): \(message)" }

    /// Splits a Lua message of the form `chunk:line: text` into its location and text.
    static func splitLocation(_ message: String) -> (String?, String) {
        // find ":<digits>: " – the first such occurrence
        let chars = Array(message.utf8)
        var i = 0
        while i < chars.count {
            if chars[i] == UInt8(ascii: ":") {
                var j = i + 1
                while j < chars.count, chars[j] >= 48, chars[j] <= 57 { j += 1 }
                if j > i + 1, j + 1 < chars.count, chars[j] == UInt8(ascii: ":"), chars[j + 1] == UInt8(ascii: " ") {
                    let loc = String(decoding: chars[0..<j], as: UTF8.self)
                    if !loc.contains(" ") || loc.hasPrefix("[string") {
                        return (loc, String(decoding: chars[(j + 2)...], as: UTF8.self))
                    }
                    return (nil, message)
                }
            }
            i += 1
        }
        return (nil, message)
    }
}

/// A Swift error that knows how to appear in Lua: host functions that throw an error conforming
/// to this protocol raise `luaErrorValue` (typically a structured table with a named metatable
/// such as `pc.Error`); other errors are raised as their description string.
public protocol LuaRaisable: Error {
    /// The value raised in Lua for this error.
    var luaErrorValue: LuaValue { get }
}

/// A ready-made raisable error carrying any Lua value (string or table).
public struct LuaRaise: LuaRaisable, Sendable {
    /// The value raised in Lua.
    public var luaErrorValue: LuaValue
    /// Raises `value` (a string message or a structured table).
    public init(_ value: LuaValue) { luaErrorValue = value }
    /// Raises a string message.
    public init(message: String) { luaErrorValue = LuaValue(message) }
}

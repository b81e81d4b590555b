import Foundation

// MARK: - Wire enumerations

/// A Partner Center enumeration as it travels on the wire.
///
/// Decoding is tolerant, like the service and the official SDK: any casing, with or without
/// underscores, hyphens or spaces (`one_time`, `OneTime`, `onetime`, `ONE_TIME`) matches the
/// documented member; documented integer forms are accepted; anything else becomes the
/// type's `unknown` case carrying the original text (never a decoding error).
/// Encoding always emits the documented wire spelling (``wireValue``).
public protocol WireEnum: Codable, Hashable, Sendable, CustomStringConvertible {
    /// Every documented member, in declaration order.
    static var knownCases: [Self] { get }
    /// The integer forms the service or SDK accepts for members (empty when none are documented).
    static var integerForms: [Int: Self] { get }
    /// Additional accepted spellings (already normalized) mapped to members.
    static var aliases: [String: Self] { get }
    /// The documented wire spelling; for the unknown case, the text that arrived.
    var wireValue: String { get }
    /// Makes the `unknown` case carrying `raw`.
    init(unknownWireValue raw: String)
}

extension WireEnum {
    /// No integer forms by default.
    public static var integerForms: [Int: Self] { [:] }
    /// No aliases by default.
    public static var aliases: [String: Self] { [:] }

    /// Parses a wire, query or path spelling tolerantly (see ``WireEnum``); never fails.
    public init(wire text: String) {
        let key = wireNormalized(text)
        if let hit = Self.knownCases.first(where: { wireNormalized($0.wireValue) == key }) {
            self = hit
        } else if let hit = Self.aliases[key] {
            self = hit
        } else if let number = Int(text.trimmingCharacters(in: .whitespaces)), let hit = Self.integerForms[number] {
            self = hit
        } else {
            self.init(unknownWireValue: text)
        }
    }

    /// Parses like ``init(wire:)`` but returns nil for text that matches no documented member.
    public init?(knownWire text: String) {
        let value = Self(wire: text)
        guard Self.knownCases.contains(value) else { return nil }
        self = value
    }

    /// True when this value is one of the documented members.
    public var isKnown: Bool { Self.knownCases.contains(self) }

    /// The wire spelling.
    public var description: String { wireValue }

    /// Decodes a string (any casing) or a documented integer form.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self.init(wire: text)
        } else if let number = try? container.decode(Int.self) {
            self = Self.integerForms[number] ?? Self(unknownWireValue: String(number))
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected a string or integer enumeration value")
        }
    }

    /// Encodes the documented wire spelling.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wireValue)
    }
}

/// Lower-cases `text` and drops `_`, `-` and spaces: the key wire enums are compared by.
public func wireNormalized(_ text: String) -> String {
    String(String.UnicodeScalarView(text.lowercased().unicodeScalars.filter { $0 != "_" && $0 != "-" && $0 != " " }))
}

// MARK: - Free-form JSON

/// Any JSON value, for free-form fields (`dynamicAttributes`, `data`, `additionalInformation`).
///
/// Numbers are kept as exact `Decimal`s.
public enum JSONValue: Codable, Hashable, Sendable {
    /// A JSON string.
    case string(String)
    /// A JSON number, exact.
    case number(Decimal)
    /// A JSON boolean.
    case bool(Bool)
    /// A JSON array.
    case array([JSONValue])
    /// A JSON object.
    case object([String: JSONValue])
    /// JSON `null`.
    case null

    /// Decodes any JSON value.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Decimal.self) {
            self = .number(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else if let value = try? container.decode([String: JSONValue].self) {
            self = .object(value)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
        }
    }

    /// Encodes the value unchanged.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }

    /// The string, or the number/bool rendered as text; nil for other kinds.
    public var stringValue: String? {
        switch self {
        case .string(let value): return value
        case .number(let value): return "\(value)"
        case .bool(let value): return value ? "true" : "false"
        default: return nil
        }
    }
}

// MARK: - Dates

/// Partner Center date-time text: parsing every documented form and formatting the canonical one.
public enum WireDate {
    /// Parses `2019-01-16T00:45:41.6062996Z` (up to 7+ fractional digits), zone-less
    /// `2018-03-16T00:00:00` (read as UTC), offsets (`-08:00`, `+0530`) and bare dates
    /// (`2018-03-16`). Year 0001 (the service's "no value") gives nil, as does malformed text.
    public static func parse(_ text: String) -> Date? {
        var scan = DateScanner(bytes: Array(text.trimmingCharacters(in: .whitespaces).utf8))
        guard let year = scan.digits(4), scan.expect(45), let month = scan.digits(2), scan.expect(45), let day = scan.digits(2) else { return nil }
        guard (1...12).contains(month), (1...31).contains(day) else { return nil }
        if year <= 1 { return nil }
        var clock: (seconds: Int, fraction: Double, offset: Int) = (0, 0, 0)
        if !scan.atEnd {
            guard let time = scan.time() else { return nil }
            clock = time
        }
        guard scan.atEnd else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        return Date(timeIntervalSince1970: Double(days * 86400 + clock.seconds - clock.offset) + clock.fraction)
    }

    /// Reads the parts of an ISO-8601 date-time, byte by byte.
    private struct DateScanner {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index >= bytes.count }

        /// `count` decimal digits as a number, or nil.
        mutating func digits(_ count: Int) -> Int? {
            guard index + count <= bytes.count else { return nil }
            var value = 0
            for offset in 0..<count {
                let byte = bytes[index + offset]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            index += count
            return value
        }

        mutating func expect(_ char: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == char else { return false }
            index += 1
            return true
        }

        /// `Thh:mm[:ss[.fff]][Z|±hh[:mm]]`: seconds of the day, the fraction, the zone offset in seconds.
        mutating func time() -> (seconds: Int, fraction: Double, offset: Int)? {
            guard bytes[index] == 84 || bytes[index] == 116 || bytes[index] == 32 else { return nil }  // T, t, space
            index += 1
            guard let hour = digits(2), expect(58), let minute = digits(2) else { return nil }
            var second = 0, fraction = 0.0
            if expect(58) {
                guard let s = digits(2) else { return nil }
                second = s
                if expect(46) || expect(44) {
                    guard let f = fractionDigits() else { return nil }
                    fraction = f
                }
            }
            guard hour < 24, minute < 60, second < 61, let offset = zone() else { return nil }
            return (hour * 3600 + minute * 60 + second, fraction, offset)
        }

        /// The digits after the decimal point, as a fraction (at least one digit).
        mutating func fractionDigits() -> Double? {
            var fraction = 0.0, scale = 0.1, any = false
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
                any = true
            }
            return any ? fraction : nil
        }

        /// `Z`, `±hh[:mm]` or nothing: the offset from UTC in seconds.
        mutating func zone() -> Int? {
            guard index < bytes.count else { return 0 }
            let sign = bytes[index]
            if sign == 90 || sign == 122 {  // Z
                index += 1
                return 0
            }
            guard sign == 43 || sign == 45 else { return nil }  // + -
            index += 1
            guard let oh = digits(2) else { return nil }
            _ = expect(58)
            let om = digits(2) ?? 0
            return (oh * 3600 + om * 60) * (sign == 45 ? -1 : 1)
        }
    }

    /// Formats `date` in UTC as `yyyy-MM-ddTHH:mm:ss[.fffffff]Z` (fraction trimmed, omitted when zero).
    public static func format(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        var whole = Int(interval.rounded(.down))
        var ticks = Int(((interval - Double(whole)) * 10_000_000).rounded())
        if ticks >= 10_000_000 { whole += 1; ticks -= 10_000_000 }
        let days = Int((Double(whole) / 86400).rounded(.down))
        let secondsOfDay = whole - days * 86400
        let (year, month, day) = civilFromDays(days)
        var bytes = [UInt8](repeating: 48, count: 28)
        func put(_ value: Int, at offset: Int, width: Int) {
            var rest = value
            for index in stride(from: offset + width - 1, through: offset, by: -1) {
                bytes[index] = UInt8(48 + rest % 10)
                rest /= 10
            }
        }
        put(year, at: 0, width: 4); bytes[4] = 45
        put(month, at: 5, width: 2); bytes[7] = 45
        put(day, at: 8, width: 2); bytes[10] = 84
        put(secondsOfDay / 3600, at: 11, width: 2); bytes[13] = 58
        put(secondsOfDay / 60 % 60, at: 14, width: 2); bytes[16] = 58
        put(secondsOfDay % 60, at: 17, width: 2)
        var count = 19
        if ticks > 0 {
            bytes[19] = 46
            put(ticks, at: 20, width: 7)
            count = 27
            while bytes[count - 1] == 48 { count -= 1 }
        }
        bytes[count] = 90
        return String(decoding: bytes[0...count], as: UTF8.self)
    }

    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}

// MARK: - Exact decimals

/// Exact decimal parsing of JSON number text (never through `Double`).
public enum WireDecimal {
    /// Parses a JSON number or numeric string (`"16"`, `"1234.56"`, `"-1e-3"`) exactly; nil otherwise.
    public static func parse(_ text: String) -> Decimal? {
        var text = text
        if let fast = text.withUTF8({ parsePlain(UnsafeRawBufferPointer($0)) }) { return fast }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty,
              trimmed.unicodeScalars.allSatisfy({ "0123456789+-.eE".unicodeScalars.contains($0) }),
              trimmed.unicodeScalars.contains(where: { ("0"..."9").contains($0) })
        else { return nil }
        return Decimal(string: trimmed, locale: Locale(identifier: "en_US_POSIX"))
    }

    /// The common case without Foundation's parser: `-?digits[.digits]` with at most 19
    /// significant digits (money as Partner Center and Graph write it); nil for anything else,
    /// which ``parse(_:)`` then reads the general way.
    public static func parsePlain(_ bytes: UnsafeRawBufferPointer) -> Decimal? {
        guard let p = plainParts(bytes) else { return nil }
        return Decimal(sign: p.negative && p.mantissa != 0 ? .minus : .plus, exponent: -p.scale, significand: Decimal(p.mantissa))
    }

    /// `-?digits[.digits]` (at most 19 digits) as its parts: value = ±mantissa / 10^scale.
    public static func plainParts(_ bytes: UnsafeRawBufferPointer) -> (mantissa: UInt64, scale: Int, negative: Bool)? {
        var i = 0, mantissa: UInt64 = 0, digits = 0, fraction = 0, point = false
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { i = 1 }
        guard i < bytes.count else { return nil }
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: ".") {
                guard !point, digits > 0, i + 1 < bytes.count else { return nil }
                point = true
            } else {
                guard b >= 48, b <= 57, digits < 19 else { return nil }
                mantissa = mantissa * 10 + UInt64(b - 48)
                digits += 1
                if point { fraction += 1 }
            }
            i += 1
        }
        return (mantissa, fraction, negative)
    }
}

/// An exact running sum of decimals, in integer units while it can (the common case: money with a
/// few decimal places), in `Decimal` otherwise. Adding 1,000,000 amounts costs integer additions.
public struct ExactSum: Sendable, Equatable {
    private var units: Int128 = 0
    private var scale = 0
    private var general: Decimal?

    public init() {}

    /// Adds ±`mantissa` / 10^`scale`.
    public mutating func add(mantissa: UInt64, scale: Int, negative: Bool) {
        guard general == nil, scale <= 30, rescale(to: scale) else { return add(Decimal(sign: negative ? .minus : .plus, exponent: -scale, significand: Decimal(mantissa))) }
        var amount = Int128(mantissa)
        if scale < self.scale {
            let (scaled, over) = amount.multipliedReportingOverflow(by: Self.power(self.scale - scale))
            guard !over else { return add(Decimal(sign: negative ? .minus : .plus, exponent: -scale, significand: Decimal(mantissa))) }
            amount = scaled
        }
        let (sum, over) = negative ? units.subtractingReportingOverflow(amount) : units.addingReportingOverflow(amount)
        guard !over else { return add(Decimal(sign: negative ? .minus : .plus, exponent: -scale, significand: Decimal(mantissa))) }
        units = sum
    }

    /// Adds any decimal (the general, slower way from then on).
    public mutating func add(_ value: Decimal) {
        general = (general ?? integerValue) + value
    }

    /// The sum.
    public var value: Decimal { general ?? integerValue }

    private var integerValue: Decimal {
        let magnitude = Decimal(string: String(units.magnitude)) ?? 0
        return Decimal(sign: units < 0 ? .minus : .plus, exponent: -scale, significand: magnitude)
    }

    /// Brings the units to at least `target` decimal places; false on overflow.
    private mutating func rescale(to target: Int) -> Bool {
        guard target > scale else { return true }
        let (scaled, over) = units.multipliedReportingOverflow(by: Self.power(target - scale))
        guard !over else { return false }
        units = scaled
        scale = target
        return true
    }

    private static func power(_ n: Int) -> Int128 {
        var p: Int128 = 1
        for _ in 0..<n { p *= 10 }
        return p
    }
}

// MARK: - Tolerant scalar decoding used by every model's synthesized Codable conformance

extension KeyedDecodingContainer {
    private func present(_ key: K) -> Bool {
        guard contains(key) else { return false }
        return (try? decodeNil(forKey: key)) == false
    }

    /// Money and quantities: a JSON number (decoded exactly) or a numeric string; other kinds → nil.
    func decodeIfPresent(_ type: Decimal.Type, forKey key: K) throws -> Decimal? {
        guard present(key) else { return nil }
        if let value = try? decode(Decimal.self, forKey: key) { return value }
        if let text = try? decode(String.self, forKey: key) { return WireDecimal.parse(text) }
        return nil
    }

    /// Integers: a JSON number with an integral value or a numeric string; other kinds → nil.
    func decodeIfPresent(_ type: Int.Type, forKey key: K) throws -> Int? {
        guard present(key) else { return nil }
        if let value = try? decode(Int.self, forKey: key) { return value }
        let decimal: Decimal?
        if let value = try? decode(Decimal.self, forKey: key) {
            decimal = value
        } else if let text = try? decode(String.self, forKey: key) {
            decimal = WireDecimal.parse(text)
        } else {
            decimal = nil
        }
        guard let decimal else { return nil }
        var value = decimal
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 0, .plain)
        guard rounded == decimal, let result = Int(exactly: NSDecimalNumber(decimal: rounded).int64Value) else { return nil }
        return result
    }

    /// Booleans: `true`/`false`, or the strings `"true"`/`"false"` (any case), or 0/1.
    func decodeIfPresent(_ type: Bool.Type, forKey key: K) throws -> Bool? {
        guard present(key) else { return nil }
        if let value = try? decode(Bool.self, forKey: key) { return value }
        if let text = try? decode(String.self, forKey: key) {
            switch text.lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: return nil
            }
        }
        if let number = try? decode(Int.self, forKey: key) { return number != 0 }
        return nil
    }

    /// Strings: a string, or a number/bool rendered as text (e.g. `mpnId` sent as a number).
    func decodeIfPresent(_ type: String.Type, forKey key: K) throws -> String? {
        guard present(key) else { return nil }
        if let value = try? decode(String.self, forKey: key) { return value }
        if let value = try? decode(Decimal.self, forKey: key) { return "\(value)" }
        if let value = try? decode(Bool.self, forKey: key) { return value ? "true" : "false" }
        return nil
    }

    /// Dates: every documented form (see ``WireDate/parse(_:)``); year 0001 and malformed text → nil.
    func decodeIfPresent(_ type: Date.Type, forKey key: K) throws -> Date? {
        guard present(key) else { return nil }
        guard let text = try? decode(String.self, forKey: key) else { return nil }
        return WireDate.parse(text)
    }
}

extension KeyedEncodingContainer {
    /// Dates are emitted as ISO-8601 UTC text with a `Z`, whatever the encoder's date strategy.
    mutating func encodeIfPresent(_ value: Date?, forKey key: K) throws {
        guard let value else { return }
        try encode(WireDate.format(value), forKey: key)
    }

    /// Dates are emitted as ISO-8601 UTC text with a `Z`, whatever the encoder's date strategy.
    mutating func encode(_ value: Date, forKey key: K) throws {
        try encode(WireDate.format(value), forKey: key)
    }
}

import Foundation
import PartnerCenterModels
import Synchronization

// Fast writing of generated Graph lines (`--scale reconlines=N,usagelines=M`): each kind of line
// is encoded once, through the same row builders and `GraphLineStyle` as stored lines, with
// sentinels where per-line values go; serving a line then copies the template's byte fragments
// and writes only the varying values (ids, dates, amounts) straight into the output buffer. No
// encoder, formatter, `Decimal` or `String` is made per line.

/// Byte writers for the values spliced into templates.
enum LineBytes {
    /// `yyyy-MM-ddTHH:mm:ssZ` for whole seconds since 1970 (what `SandboxEngine.graphDate` writes).
    static func appendDate(_ seconds: Int, to bytes: inout [UInt8]) {
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let ofDay = seconds - days * 86400
        let (year, month, day) = civil(days)
        appendDigits(year, width: 4, to: &bytes)
        bytes.append(45)
        appendDigits(month, width: 2, to: &bytes)
        bytes.append(45)
        appendDigits(day, width: 2, to: &bytes)
        bytes.append(84)
        appendDigits(ofDay / 3600, width: 2, to: &bytes)
        bytes.append(58)
        appendDigits(ofDay / 60 % 60, width: 2, to: &bytes)
        bytes.append(58)
        appendDigits(ofDay % 60, width: 2, to: &bytes)
        bytes.append(90)
    }

    @inline(__always)
    static func appendDigits(_ value: Int, width: Int, to bytes: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            bytes.append(UInt8(48 + rest / divisor % 10))
            rest %= divisor
            divisor /= 10
        }
    }

    /// Year, month, day of a day number (days since 1970-01-01).
    static func civil(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The day number of a civil date.
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        return era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
    }

    /// A non-negative `value / 10^scale` as its shortest exact decimal (what `Decimal` prints:
    /// `0.05`, `1.5`, `3`).
    static func appendScaled(_ value: Int, scale: Int, to bytes: inout [UInt8]) {
        var unit = 1
        for _ in 0..<scale { unit *= 10 }
        appendInteger(value / unit, to: &bytes)
        var fraction = value % unit, digits = scale
        while digits > 0 && fraction % 10 == 0 { fraction /= 10; digits -= 1 }
        guard digits > 0 else { return }
        bytes.append(46)
        appendDigits(fraction, width: digits, to: &bytes)
    }

    static func appendInteger(_ value: Int, to bytes: inout [UInt8]) {
        var width = 1, limit = 10
        while value >= limit && width < 19 { width += 1; limit = limit &* 10 }
        appendDigits(value, width: width, to: &bytes)
    }

    @inline(__always)
    static func appendHex(_ value: UInt64, digits: Int, to bytes: inout [UInt8]) {
        var shift = 4 * (digits - 1)
        while shift >= 0 {
            bytes.append(IDs.hexDigits[Int((value >> UInt64(shift)) & 0xF)])
            shift -= 4
        }
    }

    /// `IDs.guid` written into bytes (same draws, same text).
    static func appendGuid(_ rng: inout SplitMix64, to bytes: inout [UInt8]) {
        let high = rng.next(), low = rng.next()
        appendHex(high >> 32, digits: 8, to: &bytes)
        bytes.append(45)
        appendHex(high >> 16 & 0xFFFF, digits: 4, to: &bytes)
        bytes.append(45)
        bytes.append(52)
        appendHex(high & 0xFFF, digits: 3, to: &bytes)
        bytes.append(45)
        bytes.append(97)
        appendHex(low >> 48 & 0xFFF, digits: 3, to: &bytes)
        bytes.append(45)
        appendHex(low & 0xFFFF_FFFF_FFFF, digits: 12, to: &bytes)
    }

    /// `IDs.orderId` written into bytes.
    static func appendOrderId(_ rng: inout SplitMix64, to bytes: inout [UInt8]) {
        for _ in 0..<32 { bytes.append(IDs.orderAlphabet[rng.next(below: IDs.orderAlphabet.count)]) }
        bytes.append(49)
    }

    /// A string's JSON escaping, without the quotes.
    static func escaped(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        GraphLineStyle.appendString(text, to: &bytes)
        return Array(bytes.dropFirst().dropLast())
    }
}

/// A line's JSON cut at its sentinels: literal fragments with numbered slots between them.
struct SplicedTemplate: Sendable {
    /// `fragments.count == slots.count + 1`.
    let fragments: [[UInt8]]
    let slots: [Int]

    /// Cuts `json` at every occurrence of a marker; slot `n` is `markers[n]`.
    init(json: [UInt8], markers: [[UInt8]]) {
        var fragments: [[UInt8]] = [], slots: [Int] = [], current: [UInt8] = []
        var index = 0
        while index < json.count {
            if let hit = markers.firstIndex(where: { json.count - index >= $0.count && json[index..<(index + $0.count)].elementsEqual($0) }) {
                fragments.append(current)
                slots.append(hit)
                current = []
                index += markers[hit].count
            } else {
                current.append(json[index])
                index += 1
            }
        }
        fragments.append(current)
        self.fragments = fragments
        self.slots = slots
    }

    /// Writes the template, asking `value` for each slot.
    @inline(__always)
    func write(to bytes: inout [UInt8], value: (Int, inout [UInt8]) -> Void) {
        bytes.append(contentsOf: fragments[0])
        for position in 0..<slots.count {
            value(slots[position], &bytes)
            bytes.append(contentsOf: fragments[position + 1])
        }
    }
}

/// Writes the lines of one source in one style (one per blob response; not shared).
protocol GraphLineWriter: AnyObject {
    func append(_ index: Int, to bytes: inout [UInt8])
}

/// The writer of lines held as rows of values.
final class RowLineWriter: GraphLineWriter {
    private let rows: [[String: JSONValue]]
    private let style: GraphLineStyle
    init(rows: [[String: JSONValue]], style: GraphLineStyle) {
        self.rows = rows
        self.style = style
    }
    func append(_ index: Int, to bytes: inout [UInt8]) { style.encode(rows[index], to: &bytes) }
}

/// Templates shared by every request, by style and line kind.
final class GraphTemplateCache: Sendable {
    private let storage = Mutex<[String: [Int: SplicedTemplate]]>([:])

    func snapshot(_ style: String) -> [Int: SplicedTemplate] { storage.withLock { $0[style] ?? [:] } }

    func store(_ style: String, _ kind: Int, _ template: SplicedTemplate) {
        storage.withLock { $0[style, default: [:]][kind] = template }
    }
}

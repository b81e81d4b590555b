#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The process environment as a dictionary, read from `environ` directly.
///
/// `ProcessInfo.processInfo.environment` does the same, but its first use sets up `ProcessInfo`
/// and builds the dictionary inside Foundation, whose generic code checks `String: Hashable` by
/// scanning every conformance record of the binary: some 0.4 ms of a 6 ms `pcx run`. Where a
/// name appears twice, the first wins, as `getenv` reads it.
public func processEnvironment() -> [String: String] {
    let start: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = environ // NULL after clearenv()
    guard var entry = start else { return [:] }
    var count = 0
    while entry[count] != nil { count += 1 }
    // sized once: no regrowth (whose shared generic code would check `String: Hashable` by scan)
    var result = [String: String](minimumCapacity: count)
    while let pointer = entry.pointee {
        let text = String(cString: pointer)
        if let equals = text.utf8.firstIndex(of: UInt8(ascii: "=")) {
            let name = String(text[..<equals])
            if result[name] == nil { result[name] = String(text[text.index(after: equals)...]) }
        }
        entry += 1
    }
    return result
}

import Foundation

/// A byte buffer for assembling large JSON bodies from already-encoded parts.
struct FastJSONWriter {
    var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    /// Appends UTF-8 text verbatim (must already be JSON).
    mutating func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }
}

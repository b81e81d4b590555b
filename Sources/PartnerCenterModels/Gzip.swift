import CZlib
import Foundation

/// Streaming gzip, as Graph reconciliation blobs are stored (addendum §3.7): the client inflates
/// each blob as its bytes arrive, the sandbox deflates the lines it generates. zlib from Debian's
/// `zlib1g-dev`.
public enum GzipError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes are not gzip, or are corrupt.
    case corrupt(String)
    /// The stream ended before the gzip trailer (a truncated blob).
    case truncated
    public var description: String {
        switch self {
        case .corrupt(let why): return "the gzip data is corrupt (\(why))"
        case .truncated: return "the gzip data ends before its trailer (the blob is truncated)"
        }
    }
}

/// Inflates a gzip stream chunk by chunk. Not thread-safe: one owner feeds it in order.
public final class GzipInflater {
    private var stream = z_stream()
    private var finished = false
    private var fed = false
    private var output = [UInt8](repeating: 0, count: 256 * 1024)

    public init() throws {
        let rc = pcx_inflate_init_gzip(&stream)
        guard rc == Z_OK else { throw GzipError.corrupt("inflateInit2 returned \(rc)") }
    }

    deinit { inflateEnd(&stream) }

    /// Whether the gzip trailer was read.
    public var isFinished: Bool { finished }

    /// Inflates `input`, handing each decompressed chunk to `sink` (the chunk is valid only during the call).
    public func feed(_ input: UnsafeRawBufferPointer, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !input.isEmpty else { return }
        fed = true
        guard !finished else { return }  // bytes after the trailer (a second member) are ignored
        stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
        stream.avail_in = uInt(input.count)
        repeat {
            let produced: Int = try output.withUnsafeMutableBytes { out in
                stream.next_out = out.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(out.count)
                let rc = CZlib.inflate(&stream, Z_NO_FLUSH)
                switch rc {
                case Z_STREAM_END: finished = true
                case Z_OK, Z_BUF_ERROR: break
                default:
                    let why = stream.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
                    throw GzipError.corrupt(why)
                }
                return out.count - Int(stream.avail_out)
            }
            if produced > 0 { try output.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) } }
            if finished { break }
            if produced == 0 && stream.avail_in == 0 { break }
        } while stream.avail_in > 0 || stream.avail_out == 0
        stream.next_in = nil
        stream.avail_in = 0
    }

    /// Inflates `data`.
    public func feed(_ data: Data, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try data.withUnsafeBytes { try feed($0, sink) }
    }

    /// Checks that the stream ended with its trailer.
    public func finish() throws {
        if !finished { throw fed ? GzipError.truncated : GzipError.corrupt("no data") }
    }

    /// Inflates a whole gzip document.
    public static func inflate(_ data: Data) throws -> Data {
        let inflater = try GzipInflater()
        var out = Data()
        try inflater.feed(data) { out.append(contentsOf: $0) }
        try inflater.finish()
        return out
    }
}

/// Deflates into gzip, chunk by chunk. Not thread-safe.
public final class GzipDeflater {
    private var stream = z_stream()
    private var output = [UInt8](repeating: 0, count: 128 * 1024)

    /// Level 1 (fast) by default: the sandbox generates large blobs on the fly.
    public init(level: Int32 = 1) throws {
        let rc = pcx_deflate_init_gzip(&stream, level)
        guard rc == Z_OK else { throw GzipError.corrupt("deflateInit2 returned \(rc)") }
    }

    deinit { deflateEnd(&stream) }

    /// Compresses `input`, handing compressed chunks to `sink`.
    public func feed(_ input: UnsafeRawBufferPointer, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try run(input, flush: Z_NO_FLUSH, sink)
    }

    /// Compresses `data`.
    public func feed(_ data: Data, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try data.withUnsafeBytes { try run($0, flush: Z_NO_FLUSH, sink) }
    }

    /// Writes the remaining bytes and the gzip trailer.
    public func finish(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try run(UnsafeRawBufferPointer(start: nil, count: 0), flush: Z_FINISH, sink)
    }

    private func run(_ input: UnsafeRawBufferPointer, flush: Int32, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
        stream.avail_in = uInt(input.count)
        var done = false
        repeat {
            let produced: Int = try output.withUnsafeMutableBytes { out in
                stream.next_out = out.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(out.count)
                let rc = CZlib.deflate(&stream, flush)
                if rc == Z_STREAM_END { done = true } else if rc != Z_OK && rc != Z_BUF_ERROR {
                    throw GzipError.corrupt("deflate returned \(rc)")
                }
                return out.count - Int(stream.avail_out)
            }
            if produced > 0 { try output.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) } }
            if flush == Z_FINISH { if done { break } else { continue } }
            if stream.avail_in == 0 && produced < output.count { break }
        } while true
        stream.next_in = nil
        stream.avail_in = 0
    }

    /// Compresses a whole document.
    public static func deflate(_ data: Data, level: Int32 = 6) throws -> Data {
        let deflater = try GzipDeflater(level: level)
        var out = Data()
        try deflater.feed(data) { out.append(contentsOf: $0) }
        try deflater.finish { out.append(contentsOf: $0) }
        return out
    }
}

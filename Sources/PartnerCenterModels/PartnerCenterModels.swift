import Foundation

/// JSON coding configured for Partner Center wire types.
///
/// The models decode correctly with a plain `JSONDecoder` too (dates, decimals and enums are
/// handled by the types themselves); these helpers add stable key ordering for output.
public enum PartnerCenterJSON {
    /// A decoder for Partner Center responses.
    public static func decoder() -> JSONDecoder { JSONDecoder() }
    /// An encoder producing compact JSON with sorted keys.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
    /// Encodes `value`.
    public static func encode<T: Encodable>(_ value: T) throws -> Data { try encoder().encode(value) }
    /// Decodes `T` from `data`.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T { try decoder().decode(type, from: data) }
}

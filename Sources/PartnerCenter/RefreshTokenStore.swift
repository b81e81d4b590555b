import Foundation

/// The file where an App+User refresh token is kept between runs (``ClientConfiguration/refreshTokenStore``).
///
/// The file (mode 0600, replaced atomically) holds either the refresh token itself, or, when
/// `pcx login` put the token in the Secret Service keyring, one line naming the keyring item:
/// `secret-service:ITEM` (no secret; `secret-tool lookup service pcx id ITEM` reads the token).
/// Either way the token provider reads the token from there and keeps the rotated one there.
public struct RefreshTokenStore: Sendable, Equatable {
    /// The file.
    public let path: String

    /// A store at `path`.
    public init(path: String) { self.path = path }

    /// What the file's line says when the token is in the keyring.
    public static let keyringPrefix = "secret-service:"

    /// What a store holds.
    public enum Content: Sendable, Equatable {
        /// No file, or an empty one.
        case empty
        /// The refresh token itself.
        case token(Secret)
        /// The id of the Secret Service item holding the token.
        case keyring(item: String)
    }

    /// The label of the keyring item (what a keyring manager such as Seahorse shows):
    /// `pcx refresh token (profile-lab)`, after the store file's name.
    public var keyringLabel: String { "pcx refresh token (\((path as NSString).lastPathComponent))" }

    /// What the file holds now.
    public var content: Content {
        // no file is the common case: asked first, so that no error is built for it (start-up)
        guard access(path, F_OK) == 0, let data = FileManager.default.contents(atPath: path) else { return .empty }
        let text = String(decoding: data, as: UTF8.self).trimmingWhitespace()
        if text.isEmpty { return .empty }
        if text.hasPrefix(Self.keyringPrefix) {
            let item = String(text.dropFirst(Self.keyringPrefix.count)).trimmingCharacters(in: .whitespaces)
            if !item.isEmpty && !item.contains(where: \.isWhitespace) { return .keyring(item: item) }
        }
        return .token(Secret(text))
    }

    /// Writes the token into the file (mode 0600, a temporary file and a rename).
    public func writeToken(_ token: String) throws {
        try TokenProvider.writeSecretFile(path: path, contents: token)
    }

    /// Writes the line naming the keyring item `item` into the file (mode 0600, atomically).
    public func writeKeyringReference(item: String) throws {
        try TokenProvider.writeSecretFile(path: path, contents: Self.keyringPrefix + item + "\n")
    }

    /// Why the file cannot be written, or nil: it is a directory, or its directory cannot be
    /// made or written. Checked before a sign-in, so nothing is asked of the user in vain.
    public var unwritableReason: String? {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { return "it is a directory" }
            if !FileManager.default.isWritableFile(atPath: (path as NSString).deletingLastPathComponent) {
                return "its directory is not writable"
            }
            return nil
        }
        var directory = (path as NSString).deletingLastPathComponent
        while !directory.isEmpty && !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            directory = (directory as NSString).deletingLastPathComponent
        }
        if directory.isEmpty {
            directory = FileManager.default.currentDirectoryPath
            isDirectory = true
        }
        if !isDirectory.boolValue { return "\(directory) is a file, not a directory" }
        return FileManager.default.isWritableFile(atPath: directory) ? nil : "\(directory) is not writable"
    }
}

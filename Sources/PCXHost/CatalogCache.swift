import Foundation
import GRDB
import PartnerCenter

/// A cache of catalog reads (products and SKUs) in the data directory, so a second purchase, or
/// the next run, makes only the calls a careful person would: availabilities (whose ids rotate),
/// inventory and everything that changes are always fetched.
///
/// Only operations the catalogue marks `cacheable` are cached. Entries live `PCX_CATALOG_TTL` seconds (default 86400; `0` disables the cache) and are keyed by
/// target and request. Only complete, single-page 200 responses are stored.
final class CatalogCache: Sendable {
    private let db: DatabaseQueue
    let ttl: TimeInterval

    /// Opens the cache, or returns nil when disabled or unavailable (the cache is an optimisation:
    /// failing to open it never fails a run).
    static func open(paths: PCXPaths, environment: [String: String]) -> CatalogCache? {
        let ttl = environment["PCX_CATALOG_TTL"].flatMap(TimeInterval.init) ?? 86400
        guard ttl > 0 else { return nil }
        do {
            try PCXPaths.ensureDirectory(paths.dataDirectory)
            var config = Configuration()
            config.busyMode = .timeout(5)
            let db = try DatabaseQueue(path: paths.dataDirectory.appendingPathComponent("cache.sqlite").path, configuration: config)
            try db.write { db in
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS catalog_cache (
                        key TEXT PRIMARY KEY NOT NULL, body BLOB NOT NULL, fetched_at DOUBLE NOT NULL)
                    """)
            }
            return CatalogCache(db: db, ttl: ttl)
        } catch {
            return nil
        }
    }

    private init(db: DatabaseQueue, ttl: TimeInterval) {
        self.db = db
        self.ttl = ttl
    }

    static func key(target: String, request: PartnerCenterRequest) -> String {
        let query = request.query.map { "\($0.name.lowercased())=\($0.value.lowercased())" }.sorted().joined(separator: "&")
        return "\(target)|\(request.path.lowercased())?\(query)"
    }

    /// A fresh cached body, if any.
    func get(_ key: String) -> Data? {
        let oldest = Date().timeIntervalSince1970 - ttl
        return try? db.read { db in
            try Data.fetchOne(db, sql: "SELECT body FROM catalog_cache WHERE key = ? AND fetched_at >= ?", arguments: [key, oldest])
        }
    }

    /// Stores a body.
    func put(_ key: String, _ body: Data) {
        _ = try? db.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO catalog_cache (key, body, fetched_at) VALUES (?, ?, ?)",
                           arguments: [key, body, Date().timeIntervalSince1970])
        }
    }
}

import Foundation
import GRDB
import PartnerCenterModels

/// A seeded partner tenant and its app/user credentials.
struct PartnerRecord: Sendable {
    let tenantId: String
    let domain: String
    let name: String
    let clientId: String
    let clientSecret: String
    let userId: String
    let mpnId: String
    let refreshToken: String
    let currency: String
}

/// JSON documents in TEXT columns.
enum Doc {
    static func encode<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try PartnerCenterJSON.encode(value), as: UTF8.self)
    }
    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try PartnerCenterJSON.decode(type, from: Data(text.utf8))
    }
}

/// Deterministic identifiers.
enum IDs {
    static let hexDigits = Array("0123456789abcdef".utf8)

    static func hex(_ value: UInt64, digits: Int) -> [UInt8] {
        (0..<digits).map { hexDigits[Int((value >> UInt64(4 * (digits - 1 - $0))) & 0xF)] }
    }

    static func guid(_ rng: inout SplitMix64) -> String {
        var chars = hex(rng.next(), digits: 16) + hex(rng.next(), digits: 16)
        chars[12] = UInt8(ascii: "4")
        chars[16] = UInt8(ascii: "a")
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (index, char) in chars.enumerated() {
            if index == 8 || index == 12 || index == 16 || index == 20 { out.append(UInt8(ascii: "-")) }
            out.append(char)
        }
        return String(decoding: out, as: UTF8.self)
    }
    static let orderAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func orderId(_ rng: inout SplitMix64) -> String {
        var bytes = [UInt8](repeating: UInt8(ascii: "1"), count: 33)
        for index in 0..<32 { bytes[index] = orderAlphabet[rng.next(below: orderAlphabet.count)] }
        return String(decoding: bytes, as: UTF8.self)
    }
    static func hex12(_ rng: inout SplitMix64) -> String { String(decoding: hex(rng.next(), digits: 12), as: UTF8.self) }
    static func secret(_ rng: inout SplitMix64, length: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789~._-")
        var text = ""
        for _ in 0..<length { text.append(alphabet[rng.next(below: alphabet.count)]) }
        return text
    }
}

/// The SQLite state (through GRDB): schema, seeding and id generation.
final class SandboxStore: Sendable {
    let db: DatabaseQueue
    let seed: UInt64

    static let schemaVersion = "1"

    init(storage: SandboxStorage, seed: UInt64) throws {
        var config = Configuration()
        config.label = "pcx-sandbox"
        config.busyMode = .timeout(10)
        switch storage {
        case .inMemory:
            db = try DatabaseQueue(configuration: config)
        case .file(let path):
            let url = URL(fileURLWithPath: path)
            try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            config.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
            db = try DatabaseQueue(path: path, configuration: config)
        }
        self.seed = seed
        try db.write { db in try Self.createSchema(db) }
    }

    static func createSchema(_ db: Database) throws {
        try db.execute(sql: """
        CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS partner(tenant_id TEXT PRIMARY KEY COLLATE NOCASE, seq INTEGER NOT NULL, domain TEXT NOT NULL COLLATE NOCASE,
            name TEXT NOT NULL, client_id TEXT NOT NULL COLLATE NOCASE, client_secret TEXT NOT NULL, user_id TEXT NOT NULL, mpn_id TEXT NOT NULL,
            refresh_token TEXT NOT NULL, currency TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS refresh_token(token_hash TEXT PRIMARY KEY, partner_id TEXT NOT NULL, client_id TEXT NOT NULL, user_id TEXT NOT NULL, expires_at REAL);
        CREATE TABLE IF NOT EXISTS customer(id TEXT PRIMARY KEY COLLATE NOCASE, partner_id TEXT NOT NULL COLLATE NOCASE, seq INTEGER NOT NULL,
            country TEXT NOT NULL, name TEXT NOT NULL, domain TEXT NOT NULL, doc TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS customer_partner ON customer(partner_id, seq);
        CREATE TABLE IF NOT EXISTS subscription(id TEXT PRIMARY KEY COLLATE NOCASE, customer_id TEXT NOT NULL COLLATE NOCASE, seq INTEGER NOT NULL,
            kind TEXT NOT NULL, status TEXT NOT NULL, registration TEXT NOT NULL, registered_at REAL, doc TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS subscription_customer ON subscription(customer_id, seq);
        CREATE INDEX IF NOT EXISTS subscription_registering ON subscription(registration, registered_at);
        CREATE TABLE IF NOT EXISTS azure_entitlement(id TEXT PRIMARY KEY COLLATE NOCASE, subscription_id TEXT NOT NULL COLLATE NOCASE,
            customer_id TEXT NOT NULL COLLATE NOCASE, seq INTEGER NOT NULL, status TEXT NOT NULL, doc TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS azure_entitlement_subscription ON azure_entitlement(subscription_id, seq);
        CREATE TABLE IF NOT EXISTS cart(id TEXT PRIMARY KEY COLLATE NOCASE, customer_id TEXT NOT NULL COLLATE NOCASE, created_at REAL NOT NULL,
            expires_at REAL NOT NULL, status TEXT NOT NULL, doc TEXT NOT NULL, checkout TEXT);
        CREATE TABLE IF NOT EXISTS orders(id TEXT PRIMARY KEY COLLATE NOCASE, customer_id TEXT NOT NULL COLLATE NOCASE, cart_id TEXT,
            created_at REAL NOT NULL, visible_at REAL NOT NULL, completes_at REAL NOT NULL, status TEXT NOT NULL, billing_cycle TEXT NOT NULL,
            doc TEXT NOT NULL, pricing TEXT NOT NULL, total TEXT NOT NULL, country TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS orders_customer ON orders(customer_id, created_at);
        CREATE INDEX IF NOT EXISTS orders_pending ON orders(status, completes_at);
        CREATE TABLE IF NOT EXISTS entitlement(seq INTEGER PRIMARY KEY AUTOINCREMENT, customer_id TEXT NOT NULL COLLATE NOCASE, order_id TEXT NOT NULL,
            entitlement_type TEXT NOT NULL, doc TEXT NOT NULL, expiry REAL);
        CREATE INDEX IF NOT EXISTS entitlement_customer ON entitlement(customer_id, seq);
        CREATE TABLE IF NOT EXISTS reservation(resource_id TEXT PRIMARY KEY COLLATE NOCASE, customer_id TEXT NOT NULL COLLATE NOCASE,
            group_id TEXT NOT NULL COLLATE NOCASE, line_id TEXT NOT NULL COLLATE NOCASE, doc TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS invoice(id TEXT PRIMARY KEY COLLATE NOCASE, partner_id TEXT NOT NULL COLLATE NOCASE, invoice_type TEXT NOT NULL,
            currency TEXT NOT NULL, invoice_date REAL NOT NULL, total TEXT NOT NULL, paid TEXT NOT NULL, generated_lines INTEGER NOT NULL DEFAULT 0,
            period_key TEXT, doc TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS invoice_partner ON invoice(partner_id, invoice_date);
        CREATE TABLE IF NOT EXISTS monthly_charge(order_id TEXT PRIMARY KEY COLLATE NOCASE, partner_id TEXT NOT NULL COLLATE NOCASE,
            months_charged INTEGER NOT NULL, total_months INTEGER NOT NULL, start_at REAL NOT NULL, next_at REAL NOT NULL, term_unit TEXT NOT NULL,
            line TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS monthly_charge_next ON monthly_charge(next_at);
        CREATE TABLE IF NOT EXISTS invoice_line(invoice_id TEXT NOT NULL COLLATE NOCASE, provider TEXT NOT NULL, line_type TEXT NOT NULL,
            seq INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY(invoice_id, provider, line_type, seq));
        CREATE TABLE IF NOT EXISTS replay(partner_id TEXT NOT NULL COLLATE NOCASE, request_id TEXT NOT NULL COLLATE NOCASE, method TEXT NOT NULL,
            path TEXT NOT NULL COLLATE NOCASE, status INTEGER NOT NULL, headers TEXT NOT NULL, body BLOB NOT NULL,
            PRIMARY KEY(partner_id, request_id, method, path));
        CREATE TABLE IF NOT EXISTS graph_operation(id TEXT PRIMARY KEY COLLATE NOCASE, partner_id TEXT NOT NULL COLLATE NOCASE,
            export TEXT NOT NULL, request TEXT NOT NULL, created_at REAL NOT NULL, failure_code TEXT, failure_message TEXT,
            lost INTEGER NOT NULL DEFAULT 0, manifest_id TEXT COLLATE NOCASE, manifest TEXT, line_count INTEGER, finished_at REAL);
        CREATE INDEX IF NOT EXISTS graph_operation_manifest ON graph_operation(manifest_id);
        """)
    }

    // MARK: meta and ids

    static func meta(_ db: Database, _ key: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key])
    }

    static func setMeta(_ db: Database, _ key: String, _ value: String) throws {
        try db.execute(sql: "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", arguments: [key, value])
    }

    /// A deterministic generator for the next runtime id (same seed + same operations = same ids).
    static func nextRandom(_ db: Database, seed: UInt64) throws -> SplitMix64 {
        let counter = UInt64(try meta(db, "id_counter").flatMap { UInt64($0) } ?? 0) + 1
        try setMeta(db, "id_counter", String(counter))
        var rng = SplitMix64(seed: seed &* 0x2545_F491_4F6C_DD1D ^ counter)
        _ = rng.next()
        return rng
    }

    // MARK: partners

    func partners() throws -> [PartnerRecord] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM partner ORDER BY seq").map(Self.partner)
        }
    }

    static func partner(_ row: Row) -> PartnerRecord {
        PartnerRecord(tenantId: row["tenant_id"], domain: row["domain"], name: row["name"], clientId: row["client_id"],
                      clientSecret: row["client_secret"], userId: row["user_id"], mpnId: row["mpn_id"],
                      refreshToken: row["refresh_token"], currency: row["currency"])
    }
}

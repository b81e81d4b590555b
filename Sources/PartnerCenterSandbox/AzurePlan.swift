import Foundation
import GRDB
import PartnerCenterModels

// Azure plans (addendum §1, §5.1): the Azure subscriptions under each seeded plan
// (`AzureEntitlement`s) and the operation that lists them.

extension Seeder {
    /// The `meta` key set once every Azure plan has its Azure entitlements.
    static let azureEntitlementsMetaKey = "azure_entitlements"

    /// Gives every Azure plan subscription that has no Azure entitlement one active Azure
    /// subscription ("Microsoft Azure"), whose id is a GUID derived from `seed` and the plan's id
    /// (the same plan gets the same id whenever it is filled). Returns how many were added.
    @discardableResult
    static func fillAzureEntitlements(_ db: Database, seed: UInt64) throws -> Int {
        let plans = try Row.fetchAll(db, sql: """
            SELECT s.id, s.customer_id FROM subscription s
            WHERE s.kind = 'plan' AND NOT EXISTS (SELECT 1 FROM azure_entitlement e WHERE e.subscription_id = s.id)
            ORDER BY s.customer_id, s.seq
            """)
        let insert = try db.cachedStatement(sql: "INSERT INTO azure_entitlement(id, subscription_id, customer_id, seq, status, doc) VALUES(?,?,?,?,?,?)")
        for plan in plans {
            let planId: String = plan["id"], customerId: String = plan["customer_id"]
            var rng = SplitMix64(seed: seed ^ fnv1a(planId.lowercased()))
            _ = rng.next()
            var entitlement = AzureEntitlement(id: IDs.guid(&rng))
            entitlement.friendlyName = "Microsoft Azure"
            entitlement.status = .active
            entitlement.subscriptionId = planId
            try insert.execute(arguments: [entitlement.id, planId, customerId, 0, entitlement.status?.wireValue ?? "active", try Doc.encode(entitlement)])
        }
        try SandboxStore.setMeta(db, azureEntitlementsMetaKey, "1")
        return plans.count
    }

    /// A database seeded by a version without Azure entitlements (the embedded sandbox reuses
    /// `sandbox.sqlite` without reseeding) gets them once, from the seed its data was made with.
    /// The table itself is created by ``SandboxStore/createSchema(_:)``. Returns how many were added.
    static func upgradeAzureEntitlements(_ db: Database) throws -> Int {
        guard try isSeeded(db), try SandboxStore.meta(db, azureEntitlementsMetaKey) == nil else { return 0 }
        let seed = try SandboxStore.meta(db, "seeded").flatMap(UInt64.init) ?? 1
        return try fillAzureEntitlements(db, seed: seed)
    }

    /// 64-bit FNV-1a of `text`'s UTF-8 bytes (stable across runs, unlike `Hasher`).
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}

extension SandboxEngine {
    /// `GET /customers/{id}/subscriptions/{id}/azureEntitlements`: the Azure subscriptions under an
    /// Azure plan, one page, no `links` (as documented). A subscription that is not an Azure plan
    /// (MS-AZR-0145P, licence-based) answers 400 / 800002; an unknown one 404 / 20003.
    func listAzureEntitlements(_ request: RequestInfo) async throws -> SandboxResponse {
        let cid = request.param("customer_id"), sid = request.param("subscription_id")
        let row = try await subscriptionRow(cid, sid)
        guard row.kind == "plan" else {
            throw SandboxError.badInput("subscription \(sid) is not an Azure plan (offer \(row.model.offerId ?? "?")); only an Azure plan has Azure entitlements (the Azure subscriptions under it).")
        }
        let docs = try await store.db.read { db in
            try String.fetchAll(db, sql: "SELECT doc FROM azure_entitlement WHERE subscription_id = ? AND customer_id = ? ORDER BY seq, id",
                                arguments: [row.model.id, cid])
        }
        var collection = ResourceCollection(items: try docs.map { try Doc.decode(AzureEntitlement.self, $0) })
        collection.links = nil
        return .json(collection)
    }
}

extension SandboxStore {
    /// Opens the database file at `path` on its own connection and runs `sql`. Tests use it to
    /// turn a seeded file into what an earlier sandbox version left behind (a table dropped).
    static func execute(_ sql: String, inDatabaseAt path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: sql) }
    }
}

import Foundation
import PartnerCenterModels

/// The operations the sandbox serves: every Partner Center entry of `OperationCatalog`, each
/// with one handler registered under the entry's name (the name fault specs and the request log
/// use, e.g. `carts.checkout`). Routing follows the catalogue's path templates.
public enum SandboxRoutes {
    typealias Handler = @Sendable (SandboxEngine, RequestInfo) async throws -> SandboxResponse

    /// One handler per declared operation name.
    static let handlers: [String: Handler] = [
        "customers.list": { try await $0.listCustomers($1) },
        "customers.get": { try await $0.getCustomer($1) },
        "customers.company_profile": { try await $0.getProfile($1, company: true) },
        "customers.billing_profile": { try await $0.getProfile($1, company: false) },
        "subscriptions.list": { try await $0.listSubscriptions($1) },
        "subscriptions.get": { try await $0.getSubscription($1) },
        "subscriptions.register": { try await $0.registerSubscription($1) },
        "subscriptions.registration_status": { try await $0.registrationStatus($1) },
        "subscriptions.azure_entitlements": { try await $0.listAzureEntitlements($1) },
        "offers.list": { try await $0.listOffers($1) },
        "offers.get": { try await $0.getOffer($1) },
        "products.list": { try await $0.listProducts($1) },
        "products.get": { try await $0.getProduct($1) },
        "skus.list": { try await $0.listSkus($1) },
        "skus.get": { try await $0.getSku($1) },
        "inventory.check": { try await $0.checkInventory($1) },
        "availabilities.list": { try await $0.listAvailabilities($1) },
        "availabilities.get": { try await $0.getAvailability($1) },
        "customer_products.list": { try await $0.listProducts($1) },
        "customer_products.get": { try await $0.getProduct($1) },
        "customer_skus.list": { try await $0.listSkus($1) },
        "customer_skus.get": { try await $0.getSku($1) },
        "customer_availabilities.list": { try await $0.listAvailabilities($1) },
        "customer_availabilities.get": { try await $0.getAvailability($1) },
        "carts.create": { try await $0.createCart($1) },
        "carts.get": { try await $0.getCart($1) },
        "carts.update": { try await $0.updateCart($1) },
        "carts.checkout": { try await $0.checkout($1) },
        "orders.create": { try await $0.createOrder($1) },
        "orders.list": { try await $0.listOrders($1) },
        "orders.get": { try await $0.getOrder($1) },
        "orders.provisioning_status": { try await $0.provisioningStatus($1) },
        "entitlements.list": { try await $0.listEntitlements($1) },
        "entitlements.reservation_details": { try await $0.reservationDetails($1) },
        "invoices.balance": { try await $0.invoiceSummary($1) },
        "invoices.summaries": { try await $0.invoiceSummaries($1) },
        "invoices.list": { try await $0.listInvoices($1) },
        "invoices.get": { try await $0.getInvoice($1) },
        "invoices.statement": { try await $0.invoiceStatement($1) },
        "invoices.line_items": { try await $0.invoiceLineItems($1) },
        "invoices.unbilled_line_items": { try await $0.unbilledLineItems($1) },
        "invoices.estimate_links": { try await $0.estimateLinks($1) },
        // Microsoft Graph reconciliation v2 (addendum §3), served under /v1.0 and /beta
        "graph_billing.export_billed_reconciliation": { try await $0.graphExport($1, GraphBilling.export(.reconciliation, .billed)) },
        "graph_billing.export_unbilled_reconciliation": { try await $0.graphExport($1, GraphBilling.export(.reconciliation, .unbilled)) },
        "graph_billing.export_billed_usage": { try await $0.graphExport($1, GraphBilling.export(.usage, .billed)) },
        "graph_billing.export_unbilled_usage": { try await $0.graphExport($1, GraphBilling.export(.usage, .unbilled)) },
        "graph_billing.operation": { try await $0.graphOperation($1) },
        "graph_billing.manifest": { try await $0.graphManifest($1) },
    ]

    /// The route name of blob downloads (`GET {rootDirectory}/{name}?{sas}`), for fault specs and
    /// the request log; not a catalogue operation (Azure Storage, not Graph).
    public static let blobRoute = "graph_billing.blob"

    /// The names of the operations that have a handler (sorted), for fault specs and tests.
    public static let names: [String] = handlers.keys.sorted()

    /// The canonical spelling of a route name (case-insensitive; the handlers' names and
    /// ``blobRoute``), or nil when unknown.
    public static func canonicalName(_ name: String) -> String? {
        (names + [blobRoute]).first { $0.caseInsensitiveCompare(name) == .orderedSame }
    }

    /// Matches path segments (already without `/v1`) to a declared operation the sandbox serves;
    /// returns it and its path parameters by Lua name (the most literal template wins, see
    /// `OperationCatalog.match`).
    static func match(method: String, segments: [String]) -> (APIOperation, [String: String])? {
        guard let (operation, parameters) = OperationCatalog.match(method: method, segments: segments),
              handlers[operation.name] != nil else { return nil }
        return (operation, parameters)
    }

    /// The methods declared on a path (for 405 answers).
    static func allowedMethods(segments: [String]) -> [String] {
        OperationCatalog.methods(segments: segments)
    }
}

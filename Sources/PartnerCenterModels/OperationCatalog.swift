import Foundation

/// Every Partner Center operation pcx knows, declared once (see ``APIOperation``).
///
/// The client sends any entry (`PartnerCenterRequest(operation:arguments:)`), `PCXHost` binds
/// `pc.<group>.<verb>` for each entry, the sandbox registers one handler per entry name, and the
/// purchase gate guards every entry whose ``APIOperation/effect`` is not `read`. Sources: the section
/// of `partner-center-api.md` named in each summary.
public enum OperationCatalog {
    private typealias Q = APIOperation.Parameter

    private static let catalogQuery: [Q] = [
        .query("country", "country", .country, required: true), .query("target_segment", "targetSegment"),
        .query("reservation_scope", "reservationScope"),
    ]
    private static let customerCatalogQuery: [Q] = [
        .query("target_segment", "targetSegment"), .query("reservation_scope", "reservationScope"),
    ]

    /// The declarations, in documentation order.
    public static let all: [APIOperation] = customers + catalog + purchases + billing + graphBilling

    private static let customers: [APIOperation] = [
        APIOperation("customers.list", "GET", "/v1/customers", query: [.query("size", "size", .integer)],
                  response: .collection("Customer"), paging: .continuationToken, iterator: "each",
                  summary: "The partner's customers (§3.0)"),
        APIOperation("customers.get", "GET", "/v1/customers/{customer_id}", response: .object("Customer"),
                  throttle: .customerResource, summary: "One customer with its company and billing profile (§3.1)"),
        APIOperation("customers.company_profile", "GET", "/v1/customers/{customer_id}/profiles/company",
                  response: .object("CustomerCompanyProfile"), appUserOnly: true,
                  summary: "A customer's company profile (§3.2)"),
        APIOperation("customers.billing_profile", "GET", "/v1/customers/{customer_id}/profiles/billing",
                  response: .object("CustomerBillingProfile"), appUserOnly: true,
                  summary: "A customer's billing profile (§8.1)"),
        APIOperation("subscriptions.list", "GET", "/v1/customers/{customer_id}/subscriptions",
                  response: .collection("Subscription"), throttle: .subscriptionResource, summary: "A customer's subscriptions (§3.3)"),
        APIOperation("subscriptions.get", "GET", "/v1/customers/{customer_id}/subscriptions/{subscription_id}",
                  response: .object("Subscription"), throttle: .subscriptionResource, summary: "One subscription (§3.3)"),
        APIOperation("subscriptions.register", "POST", "/v1/customers/{customer_id}/subscriptions/{subscription_id}/registrations",
                  response: .empty, effect: .change, marketRule: true, throttle: .subscriptionResource,
                  summary: "Registers an Azure subscription for reservation purchases (§4.1)"),
        APIOperation("subscriptions.registration_status", "GET",
                  "/v1/customers/{customer_id}/subscriptions/{subscription_id}/registrationstatus",
                  response: .object("SubscriptionRegistrationStatus"), throttle: .subscriptionResource,
                  summary: "A subscription's registration status (§4.2)"),
        APIOperation("subscriptions.azure_entitlements", "GET",
                  "/v1/customers/{customer_id}/subscriptions/{subscription_id}/azureEntitlements",
                  response: .collection("AzureEntitlement"), throttle: .subscriptionResource,
                  summary: "The Azure subscriptions under an Azure plan; App-only or App+User (addendum §1.3.1)"),
    ]

    private static let catalog: [APIOperation] = [
        APIOperation("offers.list", "GET", "/v1/offers",
                  query: [.query("country", "country", .country, required: true, positional: true)],
                  response: .collection("Offer"), summary: "The legacy offers of a market, MS-AZR-0145P among them (purchase guide, addendum §1.1)"),
        APIOperation("offers.get", "GET", "/v1/offers/{offer_id}",
                  query: [.query("country", "country", .country, required: true)],
                  response: .object("Offer"), summary: "One legacy offer, e.g. MS-AZR-0145P (the subscription's offer link)"),
        APIOperation("products.list", "GET", "/v1/products",
                  query: [.query("country", "country", .country, required: true), .query("target_view", "targetView", required: true),
                          .query("target_segment", "targetSegment"), .query("reservation_scope", "reservationScope")],
                  response: .collection("Product"), cacheable: true, summary: "Products of a market and target view (§4.3)"),
        APIOperation("products.get", "GET", "/v1/products/{product_id}",
                  query: [.query("country", "country", .country, required: true), .query("reservation_scope", "reservationScope")],
                  response: .object("Product"), cacheable: true, summary: "One product (§4.4)"),
        APIOperation("skus.list", "GET", "/v1/products/{product_id}/skus", query: catalogQuery,
                  response: .collection("Sku"), cacheable: true, summary: "A product's SKUs (§4.5)"),
        APIOperation("skus.get", "GET", "/v1/products/{product_id}/skus/{sku_id}",
                  query: [.query("country", "country", .country, required: true), .query("reservation_scope", "reservationScope")],
                  response: .object("Sku"), cacheable: true, summary: "One SKU (§4.6)"),
        APIOperation("inventory.check", "POST", "/v1/extensions/product/checkInventory",
                  query: [.query("country", "country", .country, required: true, positional: true)],
                  body: .init("request", model: "InventoryCheckRequest", nonEmpty: "targetItems"), response: .array("InventoryItem"),
                  summary: "Checks inventory for SKUs that require it; returns a bare array (§4.7)"),
        APIOperation("availabilities.list", "GET", "/v1/products/{product_id}/skus/{sku_id}/availabilities", query: catalogQuery,
                  response: .collection("Availability"), summary: "A SKU's availabilities (§4.8)"),
        APIOperation("availabilities.get", "GET", "/v1/products/{product_id}/skus/{sku_id}/availabilities/{availability_id}",
                  query: [.query("country", "country", .country, required: true)],
                  response: .object("Availability"), summary: "One availability (§4.9)"),
        APIOperation("customer_products.list", "GET", "/v1/customers/{customer_id}/products",
                  query: [.query("target_view", "targetView", required: true)] + customerCatalogQuery,
                  response: .collection("Product"), summary: "Products in the customer's market (§4.10)"),
        APIOperation("customer_products.get", "GET", "/v1/customers/{customer_id}/products/{product_id}",
                  query: [.query("reservation_scope", "reservationScope")],
                  response: .object("Product"), summary: "One product in the customer's market (§4.10)"),
        APIOperation("customer_skus.list", "GET", "/v1/customers/{customer_id}/products/{product_id}/skus",
                  query: customerCatalogQuery, response: .collection("Sku"), summary: "A product's SKUs in the customer's market (§4.10)"),
        APIOperation("customer_skus.get", "GET", "/v1/customers/{customer_id}/products/{product_id}/skus/{sku_id}",
                  query: [.query("reservation_scope", "reservationScope")],
                  response: .object("Sku"), summary: "One SKU in the customer's market (§4.10)"),
        APIOperation("customer_availabilities.list", "GET",
                  "/v1/customers/{customer_id}/products/{product_id}/skus/{sku_id}/availabilities",
                  query: customerCatalogQuery, response: .collection("Availability"),
                  summary: "A SKU's availabilities in the customer's market (§4.10)"),
        APIOperation("customer_availabilities.get", "GET",
                  "/v1/customers/{customer_id}/products/{product_id}/skus/{sku_id}/availabilities/{availability_id}",
                  response: .object("Availability"), summary: "One availability in the customer's market (§4.10)"),
    ]

    private static let purchases: [APIOperation] = [
        APIOperation("carts.create", "POST", "/v1/customers/{customer_id}/carts", body: .init("cart", model: "Cart", nonEmpty: "lineItems"),
                  response: .object("Cart"), effect: .change, marketRule: true, throttle: .cartListed, quote: true,
                  summary: "Creates a cart: Partner Center's price quote; it spends nothing (§5.1)"),
        APIOperation("carts.get", "GET", "/v1/customers/{customer_id}/carts/{cart_id}", response: .object("Cart"),
                  summary: "One cart (§5.2)"),
        APIOperation("carts.update", "PUT", "/v1/customers/{customer_id}/carts/{cart_id}", body: .init("cart", model: "Cart", nonEmpty: "lineItems"),
                  response: .object("Cart"), effect: .change, marketRule: true, throttle: .cartListed, quote: true,
                  summary: "Replaces a cart's line items (§5.3)"),
        APIOperation("carts.checkout", "POST", "/v1/customers/{customer_id}/carts/{cart_id}/checkout",
                  response: .object("CartCheckoutResult"), effect: .purchase, marketRule: true, throttle: .cartListed,
                  summary: "Checks a cart out: buys it (§5.4)"),
        APIOperation("orders.create", "POST", "/v1/customers/{customer_id}/orders", body: .init("order", model: "Order", nonEmpty: "lineItems"),
                  response: .object("Order"), effect: .change, throttle: .orderResource,
                  summary: "Orders a legacy offer (MS-AZR-0145P: a usage-billed Azure subscription, nothing charged up front) (addendum §1.1)"),
        APIOperation("orders.list", "GET", "/v1/customers/{customer_id}/orders",
                  query: [.query("billing_type", "billingType"), .query("include_price", "include_price", .boolean)],
                  response: .collection("Order"), throttle: .orderResource, iterator: "each",
                  summary: "A customer's orders; billing_type = \"onetime\" for reservations (§6.2, §6.3)"),
        APIOperation("orders.get", "GET", "/v1/customers/{customer_id}/orders/{order_id}",
                  query: [.query("include_price", "include_price", .boolean)],
                  response: .object("Order"), throttle: .orderResource, summary: "One order (§6.1)"),
        APIOperation("orders.provisioning_status", "GET", "/v1/customers/{customer_id}/orders/{order_id}/provisioningstatus",
                  response: .collection("OrderLineItemProvisioningStatus"), appUserOnly: true, throttle: .orderResource,
                  summary: "An order's per-line provisioning status (§6.4)"),
        APIOperation("entitlements.list", "GET", "/v1/customers/{customer_id}/entitlements",
                  query: [.query("entitlement_type", "entitlementType"), .query("show_expiry", "showExpiry", .boolean)],
                  response: .collection("Entitlement"), appUserOnly: true,
                  summary: "A customer's entitlements; entitlement_type = \"reservedInstance\" for reservations (§6.5)"),
        APIOperation("entitlements.reservation_details", "GET",
                  "/v1/customers/{customer_id}/artifacts/{artifact_type}/groups/{group_id}/lineitems/{line_item_id}/resource/{resource_id}",
                  response: .object("ReservedInstanceArtifactDetails"), appUserOnly: true,
                  summary: "The reservation behind a reservedinstance artifact's link (§6.6)"),
    ]

    private static let billing: [APIOperation] = [
        APIOperation("invoices.balance", "GET", "/v1/invoices/summary", response: .object("InvoiceSummary"),
                  summary: "The account balance (§7.1)"),
        APIOperation("invoices.summaries", "GET", "/v1/invoices/summaries", response: .collection("InvoiceSummary"),
                  appUserOnly: true, summary: "One invoice summary per currency (§7.2)"),
        APIOperation("invoices.list", "GET", "/v1/invoices",
                  query: [.query("size", "size", .integer), .query("offset", "offset", .integer)],
                  response: .collection("Invoice"), paging: .offset, iterator: "each", summary: "Invoices (§7.3)"),
        APIOperation("invoices.get", "GET", "/v1/invoices/{invoice_id}", response: .object("Invoice"), appUserOnly: true,
                  summary: "One invoice (§7.4)"),
        APIOperation("invoices.statement", "GET", "/v1/invoices/{invoice_id}/documents/statement",
                  response: .document("application/pdf"), appUserOnly: true,
                  summary: "The invoice's statement PDF, written to a file (§7.5)"),
        APIOperation("invoices.line_items", "GET", "/v1/invoices/{invoice_id}/lineitems",
                  alternatePaths: ["/v1/invoices/{invoice_id}/lineitems/{provider}/{invoice_line_item_type}"],
                  query: [.query("provider", "provider", default: "onetime"),
                          .query("invoice_line_item_type", "invoicelineitemtype", default: "billinglineitems"),
                          .query("currency_code", "currencycode"), .query("period", "period"),
                          .query("size", "size", .integer), .query("offset", "offset", .integer)],
                  response: .collection("InvoiceLineItem"), paging: .seek, iterator: "each_line_item", lazyItems: true,
                  summary: "An invoice's line items: onetime pages by seek, office/azure by offset (§7.6–§7.8)"),
        APIOperation("invoices.unbilled_line_items", "GET", "/v1/invoices/unbilled/lineitems",
                  query: [.query("provider", "provider", default: "onetime"),
                          .query("invoice_line_item_type", "invoicelineitemtype", default: "billinglineitems"),
                          .query("currency_code", "currencycode", required: true),
                          .query("period", "period", default: "current"), .query("size", "size", .integer)],
                  response: .collection("InvoiceLineItem"), paging: .seek, iterator: "each_unbilled_line_item", lazyItems: true,
                  summary: "Unbilled one-time and usage line items of the current or previous period (§7.9, §7.10)"),
        APIOperation("invoices.estimate_links", "GET", "/v1/invoices/estimates/links",
                  query: [.query("currency_code", "currencycode", required: true, positional: true)],
                  response: .collection("EstimateLink"), summary: "Where unbilled charges can be read (§7.11)"),
    ]

    /// Reconciliation v2 on Microsoft Graph (addendum §3). Paths are after the version segment
    /// (`/v1.0`, `/beta`), which the Graph endpoint carries. The exports read (a POST that starts a
    /// report); ``GraphBilling`` declares the flow and the lines.
    private static let graphBilling: [APIOperation] = [
        APIOperation("graph_billing.export_billed_reconciliation", "POST", "/reports/partners/billing/reconciliation/billed/export",
                  host: .graph, body: .init("request", model: "GraphBilling.ExportRequest"), response: .empty,
                  summary: "Starts a billed invoice reconciliation export (addendum §3.4)"),
        APIOperation("graph_billing.export_unbilled_reconciliation", "POST", "/reports/partners/billing/reconciliation/unbilled/export",
                  host: .graph, body: .init("request", model: "GraphBilling.ExportRequest"), response: .empty,
                  summary: "Starts an unbilled invoice reconciliation export (addendum §3.4)"),
        APIOperation("graph_billing.export_billed_usage", "POST", "/reports/partners/billing/usage/billed/export",
                  host: .graph, body: .init("request", model: "GraphBilling.ExportRequest"), response: .empty,
                  summary: "Starts a billed daily-rated usage export (addendum §3.4)"),
        APIOperation("graph_billing.export_unbilled_usage", "POST", "/reports/partners/billing/usage/unbilled/export",
                  host: .graph, body: .init("request", model: "GraphBilling.ExportRequest"), response: .empty,
                  summary: "Starts an unbilled daily-rated usage export (addendum §3.4)"),
        APIOperation("graph_billing.operation", "GET", "/reports/partners/billing/operations/{operation_id}",
                  host: .graph, response: .object("GraphBilling.Operation"),
                  summary: "An export's status: running, succeeded (with its manifest) or failed (addendum §3.5)"),
        APIOperation("graph_billing.manifest", "GET", "/reports/partners/billing/manifests/{manifest_id}",
                  host: .graph, response: .object("GraphBilling.Manifest"),
                  summary: "An export's manifest: root directory, SAS token and blobs (addendum §3.6)"),
    ]

    private static let byName: [String: APIOperation] = Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })

    /// The declaration named `name` (`carts.checkout`), or nil.
    public static func named(_ name: String) -> APIOperation? { byName[name] }

    /// The declaration named `name`; a name that is not declared is a programming error.
    public static subscript(_ name: String) -> APIOperation {
        guard let op = byName[name] else { preconditionFailure("operation '\(name)' is not declared in OperationCatalog") }
        return op
    }

    /// Matches a request path (its segments, percent-decoded, without the `/v1` prefix) to a
    /// declaration: literal segments compare case-insensitively, `{placeholders}` capture. When
    /// several templates match, the most literal one wins (`/invoices/unbilled/lineitems` is
    /// `invoices.unbilled_line_items`, not `invoices.line_items` of an invoice named "unbilled").
    /// Returns the operation and the captured parameters by Lua name.
    public static func match(method: String, segments: [String], host: APIOperation.Host = .partnerCenter)
        -> (operation: APIOperation, parameters: [String: String])? {
        var best: (operation: APIOperation, parameters: [String: String], literals: Int)?
        for op in all where op.host == host && op.method == method.uppercased() {
            for template in [op.path] + op.alternatePaths {
                guard let captured = capture(template: template, segments: segments) else { continue }
                let literals = segments.count - captured.count
                if best == nil || literals > best!.literals { best = (op, captured, literals) }
            }
        }
        return best.map { ($0.operation, $0.parameters) }
    }

    /// The methods declared on a path (for `405 Method Not Allowed` answers).
    public static func methods(segments: [String], host: APIOperation.Host = .partnerCenter) -> [String] {
        var out: [String] = []
        for op in all where op.host == host && !out.contains(op.method) {
            if ([op.path] + op.alternatePaths).contains(where: { capture(template: $0, segments: segments) != nil }) {
                out.append(op.method)
            }
        }
        return out
    }

    static func capture(template: String, segments: [String]) -> [String: String]? {
        var pattern = template.split(separator: "/").map(String.init)
        if pattern.first?.lowercased() == "v1" { pattern.removeFirst() }
        guard pattern.count == segments.count else { return nil }
        var captured: [String: String] = [:]
        for (p, s) in zip(pattern, segments) {
            if p.hasPrefix("{") && p.hasSuffix("}") {
                captured[String(p.dropFirst().dropLast())] = s
            } else if p.caseInsensitiveCompare(s) != .orderedSame {
                return nil
            }
        }
        return captured
    }
}

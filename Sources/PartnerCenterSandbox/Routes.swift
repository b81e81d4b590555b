import Foundation

/// The operations the sandbox serves, by name (the names fault specs and the request log use).
public enum SandboxRoutes {
    struct Route: Sendable {
        let name: String
        let method: String
        let pattern: [String]   // literal segments, or ":name" parameters
        let appUserOnly: Bool
        /// Routes that change state (their successful answers are mutations).
        let writes: Bool
    }

    static let table: [Route] = [
        Route(name: "listCustomers", method: "GET", pattern: ["customers"], appUserOnly: false, writes: false),
        Route(name: "getCustomer", method: "GET", pattern: ["customers", ":cid"], appUserOnly: false, writes: false),
        Route(name: "getCompanyProfile", method: "GET", pattern: ["customers", ":cid", "profiles", "company"], appUserOnly: true, writes: false),
        Route(name: "getBillingProfile", method: "GET", pattern: ["customers", ":cid", "profiles", "billing"], appUserOnly: true, writes: false),
        Route(name: "listSubscriptions", method: "GET", pattern: ["customers", ":cid", "subscriptions"], appUserOnly: false, writes: false),
        Route(name: "getSubscription", method: "GET", pattern: ["customers", ":cid", "subscriptions", ":sid"], appUserOnly: false, writes: false),
        Route(name: "registerSubscription", method: "POST", pattern: ["customers", ":cid", "subscriptions", ":sid", "registrations"], appUserOnly: false, writes: true),
        Route(name: "getRegistrationStatus", method: "GET", pattern: ["customers", ":cid", "subscriptions", ":sid", "registrationstatus"], appUserOnly: false, writes: false),
        Route(name: "listProducts", method: "GET", pattern: ["products"], appUserOnly: false, writes: false),
        Route(name: "getProduct", method: "GET", pattern: ["products", ":pid"], appUserOnly: false, writes: false),
        Route(name: "listSkus", method: "GET", pattern: ["products", ":pid", "skus"], appUserOnly: false, writes: false),
        Route(name: "getSku", method: "GET", pattern: ["products", ":pid", "skus", ":sku"], appUserOnly: false, writes: false),
        Route(name: "listAvailabilities", method: "GET", pattern: ["products", ":pid", "skus", ":sku", "availabilities"], appUserOnly: false, writes: false),
        Route(name: "getAvailability", method: "GET", pattern: ["products", ":pid", "skus", ":sku", "availabilities", ":aid"], appUserOnly: false, writes: false),
        Route(name: "listCustomerProducts", method: "GET", pattern: ["customers", ":cid", "products"], appUserOnly: false, writes: false),
        Route(name: "getCustomerProduct", method: "GET", pattern: ["customers", ":cid", "products", ":pid"], appUserOnly: false, writes: false),
        Route(name: "listCustomerSkus", method: "GET", pattern: ["customers", ":cid", "products", ":pid", "skus"], appUserOnly: false, writes: false),
        Route(name: "getCustomerSku", method: "GET", pattern: ["customers", ":cid", "products", ":pid", "skus", ":sku"], appUserOnly: false, writes: false),
        Route(name: "listCustomerAvailabilities", method: "GET", pattern: ["customers", ":cid", "products", ":pid", "skus", ":sku", "availabilities"], appUserOnly: false, writes: false),
        Route(name: "getCustomerAvailability", method: "GET", pattern: ["customers", ":cid", "products", ":pid", "skus", ":sku", "availabilities", ":aid"], appUserOnly: false, writes: false),
        Route(name: "checkInventory", method: "POST", pattern: ["extensions", "product", "checkinventory"], appUserOnly: false, writes: false),
        Route(name: "createCart", method: "POST", pattern: ["customers", ":cid", "carts"], appUserOnly: false, writes: true),
        Route(name: "getCart", method: "GET", pattern: ["customers", ":cid", "carts", ":cart"], appUserOnly: false, writes: false),
        Route(name: "updateCart", method: "PUT", pattern: ["customers", ":cid", "carts", ":cart"], appUserOnly: false, writes: true),
        Route(name: "checkout", method: "POST", pattern: ["customers", ":cid", "carts", ":cart", "checkout"], appUserOnly: false, writes: true),
        Route(name: "listOrders", method: "GET", pattern: ["customers", ":cid", "orders"], appUserOnly: false, writes: false),
        Route(name: "getOrder", method: "GET", pattern: ["customers", ":cid", "orders", ":oid"], appUserOnly: false, writes: false),
        Route(name: "getProvisioningStatus", method: "GET", pattern: ["customers", ":cid", "orders", ":oid", "provisioningstatus"], appUserOnly: true, writes: false),
        Route(name: "listEntitlements", method: "GET", pattern: ["customers", ":cid", "entitlements"], appUserOnly: true, writes: false),
        Route(name: "getReservationDetails", method: "GET", pattern: ["customers", ":cid", "artifacts", ":atype", "groups", ":group", "lineitems", ":line", "resource", ":rid"], appUserOnly: true, writes: false),
        Route(name: "getInvoiceSummary", method: "GET", pattern: ["invoices", "summary"], appUserOnly: false, writes: false),
        Route(name: "listInvoiceSummaries", method: "GET", pattern: ["invoices", "summaries"], appUserOnly: true, writes: false),
        Route(name: "listInvoices", method: "GET", pattern: ["invoices"], appUserOnly: false, writes: false),
        Route(name: "listUnbilledLineItems", method: "GET", pattern: ["invoices", "unbilled", "lineitems"], appUserOnly: false, writes: false),
        Route(name: "getEstimateLinks", method: "GET", pattern: ["invoices", "estimates", "links"], appUserOnly: false, writes: false),
        Route(name: "getInvoice", method: "GET", pattern: ["invoices", ":iid"], appUserOnly: true, writes: false),
        Route(name: "getInvoiceStatement", method: "GET", pattern: ["invoices", ":iid", "documents", "statement"], appUserOnly: true, writes: false),
        Route(name: "listInvoiceLineItems", method: "GET", pattern: ["invoices", ":iid", "lineitems"], appUserOnly: false, writes: false),
        Route(name: "listInvoiceLineItems", method: "GET", pattern: ["invoices", ":iid", "lineitems", ":provider", ":type"], appUserOnly: false, writes: false),
    ]

    /// Every route name, for fault specs.
    public static let names: [String] = {
        var seen = Set<String>()
        return table.map(\.name).filter { seen.insert($0).inserted }
    }()

    /// The canonical spelling of a route name (case-insensitive), or nil when unknown.
    public static func canonicalName(_ name: String) -> String? {
        names.first { $0.caseInsensitiveCompare(name) == .orderedSame }
    }

    /// Matches path segments (already without `/v1`); returns the route and its parameters,
    /// or the methods allowed on the path when only the method differs.
    static func match(method: String, segments: [String]) -> (Route, [String: String])? {
        for route in table where route.method == method && route.pattern.count == segments.count {
            var params: [String: String] = [:]
            var ok = true
            for (pattern, segment) in zip(route.pattern, segments) {
                if pattern.hasPrefix(":") {
                    params[String(pattern.dropFirst())] = segment
                } else if pattern.caseInsensitiveCompare(segment) != .orderedSame {
                    ok = false
                    break
                }
            }
            if ok { return (route, params) }
        }
        return nil
    }

    static func allowedMethods(segments: [String]) -> [String] {
        ["GET", "POST", "PUT", "PATCH", "DELETE"].filter { match(method: $0, segments: segments) != nil }
    }
}

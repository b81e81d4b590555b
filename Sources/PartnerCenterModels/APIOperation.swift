import Foundation

/// One Partner Center operation, declared once: everything the client needs to send it, the Lua
/// binding needs to expose it, the sandbox needs to route it, and the purchase gate needs to
/// guard it. The declarations are in ``OperationCatalog/all``; nothing else lists operations.
///
/// The catalogue lives in `PartnerCenterModels` (the wire contract), not in the client, because
/// the sandbox must follow it too and may share nothing but the models.
public struct APIOperation: Sendable, Hashable, CustomStringConvertible {
    /// The API an operation belongs to.
    public enum Host: String, Sendable, Hashable {
        /// `https://api.partnercenter.microsoft.com` (paths under `/v1`).
        case partnerCenter
        /// `https://graph.microsoft.com`.
        case graph
    }

    /// How a collection's pages are reached.
    public enum Paging: String, Sendable, Hashable {
        /// A single document (or a collection returned in one page).
        case none
        /// `links.next` carries an `MS-ContinuationToken` header (customers).
        case continuationToken
        /// Seek paging: `links.next` with `seekOperation=Next` and a continuation token
        /// (one-time invoice line items; `office`/`azure` providers page by offset).
        case seek
        /// `size` and `offset` in `links.next` (invoices).
        case offset
    }

    /// What the response is.
    public enum Response: Sendable, Hashable {
        /// One JSON object of the named model.
        case object(String)
        /// A collection envelope (`items`, `links`) of the named model.
        case collection(String)
        /// A bare JSON array of the named model (inventory check).
        case array(String)
        /// No body (`202 Accepted`, `Location` header).
        case empty
        /// A binary document streamed to a file (the statement PDF), with its media type.
        case document(String)

        /// The model's name, if the response has one.
        public var model: String? {
            switch self {
            case .object(let m), .collection(let m), .array(let m): return m
            case .empty, .document: return nil
            }
        }

        /// True for collection envelopes (`list` follows every page).
        public var isCollection: Bool { if case .collection = self { return true } else { return false } }
    }

    /// What an operation does to Partner Center's state.
    public enum Effect: String, Sendable, Hashable {
        /// Reads only (GETs, and the inventory check, a POST that changes nothing).
        case read
        /// Changes state but spends nothing (carts, registration). Passes the gate.
        case change
        /// Spends money (checkout; later orders, refunds, exchanges). Passes the gate, one
        /// confirmation per journal entry.
        case purchase
    }

    /// A documented throttling rule for the operation's route (one row of ``table``).
    public struct Throttle: Sendable, Hashable {
        /// How Partner Center partitions the limit.
        public enum Partition: String, Sendable, Hashable {
            /// Per partner tenant.
            case partner
            /// Per partner tenant and customer tenant.
            case partnerAndCustomer
        }
        /// The resource whose limit it is (`customer`, `order`, ...): every operation of one
        /// group draws on the same bucket of each partition.
        public var group: String
        /// The partition.
        public var partition: Partition
        /// Requests per minute, when documented (nil: throttled dynamically, no figure published).
        public var perMinute: Int?
        /// Where the rule is documented.
        public var source: String
    }

    /// The declared operation's name in Lua and everywhere else (`carts.checkout`).
    public let name: String
    /// The API host.
    public let host: Host
    /// The HTTP method.
    public let method: String
    /// The path template (`/v1/customers/{customer_id}/carts/{cart_id}/checkout`); placeholders
    /// name path parameters by their Lua names.
    public let path: String
    /// Other spellings of the path the service accepts (the sandbox routes them too; the client
    /// sends ``path``). Placeholders may name query parameters, which the path then carries.
    public let alternatePaths: [String]
    /// Every parameter, path and query.
    public let parameters: [Parameter]
    /// The request body, if the operation takes one.
    public let body: Body?
    /// The response.
    public let response: Response
    /// How the collection pages.
    public let paging: Paging
    /// Read, change or purchase.
    public let effect: Effect
    /// Whether sending it twice is harmless (reads; the inventory check). Changes are retried
    /// only with a pinned `MS-RequestId`.
    public let idempotent: Bool
    /// The market rule applies before it is sent (cart changes, registration, purchases).
    public let marketRule: Bool
    /// Needs an App+User token; app-only tokens get 403 / 900329.
    public let appUserOnly: Bool
    /// The documented throttling rule, if any.
    public let throttle: Throttle?
    /// Responses may be kept in the catalog cache (products and SKUs).
    public let cacheable: Bool
    /// A change that is Partner Center's price quote and spends nothing (carts): a dry run may
    /// send it when the user asks for quotes (`--quote`).
    public let quote: Bool
    /// The Lua name of the lazy iterator over a paged collection (`each`, `each_line_item`).
    public let iterator: String?
    /// The collection's items reach scripts as records (`json.record`), decoded field by field
    /// as a script reads them: for large items of which scripts read a few fields (line items).
    public let lazyItems: Bool
    /// One line for documentation and errors.
    public let summary: String

    /// The Lua group (`carts` of `carts.checkout`).
    public var group: String { String(name.split(separator: ".").first ?? "") }
    /// The Lua function name in its group (`checkout` of `carts.checkout`).
    public var verb: String { String(name.split(separator: ".").dropFirst().joined(separator: ".")) }
    /// Changes state at Partner Center (a change or a purchase): only the gate sends it.
    public var changesState: Bool { effect != .read }
    /// Spends money.
    public var movesMoney: Bool { effect == .purchase }
    /// The path parameters, in template order.
    public var pathParameters: [Parameter] { parameters.filter { $0.location == .path } }
    /// The parameters a Lua caller passes positionally, in order (path parameters, then any
    /// query parameter declared positional).
    public var positionalParameters: [Parameter] { parameters.filter(\.positional) }
    /// `POST /v1/customers/{customer_id}/carts`.
    public var description: String { "\(method) \(path)" }

    /// Creates a declaration (see ``OperationCatalog``).
    public init(
        _ name: String, _ method: String, _ path: String, host: Host = .partnerCenter, alternatePaths: [String] = [],
        query: [Parameter] = [], body: Body? = nil, response: Response, paging: Paging = .none, effect: Effect = .read,
        idempotent: Bool? = nil, marketRule: Bool = false, appUserOnly: Bool = false, throttle: Throttle? = nil,
        cacheable: Bool = false, quote: Bool = false, iterator: String? = nil, lazyItems: Bool = false,
        summary: String
    ) {
        self.name = name
        self.host = host
        self.method = method
        self.path = path
        self.alternatePaths = alternatePaths
        self.parameters = Self.placeholders(in: path).map { Parameter(pathParameter: $0) } + query
        self.body = body
        self.response = response
        self.paging = paging
        self.effect = effect
        self.idempotent = idempotent ?? (effect == .read)
        self.marketRule = marketRule
        self.appUserOnly = appUserOnly
        self.throttle = throttle
        self.cacheable = cacheable
        self.quote = quote
        self.iterator = iterator
        self.lazyItems = lazyItems
        self.summary = summary
    }

    /// The `{placeholder}` names of a path template, in order.
    public static func placeholders(in template: String) -> [String] {
        template.split(separator: "/").compactMap { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? String(segment.dropFirst().dropLast()) : nil
        }
    }

    /// The parameter named `luaName`, if declared.
    public func parameter(_ luaName: String) -> Parameter? { parameters.first { $0.lua == luaName } }

    /// A link to this operation as Partner Center writes links in bodies and headers (`links.self`,
    /// `Location`): the path template filled with `values` (by Lua name, percent-encoded), without
    /// the `/v1` prefix, then `query` (wire names, in order).
    /// `OperationCatalog["orders.get"].link(["customer_id": c, "order_id": o])` → `/customers/c/orders/o`.
    public func link(_ values: [String: String], query: [(String, String)] = []) -> String {
        var segments = path.split(separator: "/").map(String.init)
        if segments.first?.lowercased() == "v1" { segments.removeFirst() }
        let filled = segments.map { segment -> String in
            guard segment.hasPrefix("{"), segment.hasSuffix("}") else { return segment }
            let value = values[String(segment.dropFirst().dropLast())] ?? ""
            return value.addingPercentEncoding(withAllowedCharacters: Self.segmentCharacters) ?? value
        }
        var text = "/" + filled.joined(separator: "/")
        if !query.isEmpty {
            text += "?" + query.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: Self.queryCharacters) ?? $0.1)" }
                .joined(separator: "&")
        }
        return text
    }

    /// The path a request for this operation is sent to (`/v1/...`), filled with `values`.
    /// Graph operations are sent under the Graph endpoint's version segment (`/v1.0`), which the
    /// endpoint carries, so their path is the link itself.
    public func requestPath(_ values: [String: String]) -> String { host == .graph ? link(values) : "/v1" + link(values) }

    private static let segmentCharacters: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "-._~:@!$'()*,;=")
        return set
    }()

    private static let queryCharacters: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "-._~:@!$'()*,;/?")
        return set
    }()
}

extension APIOperation {
    /// One parameter: its Lua name, its wire name, where it goes and what it holds.
    public struct Parameter: Sendable, Hashable {
        /// Where the parameter travels.
        public enum Location: String, Sendable, Hashable { case path, query }
        /// What the parameter holds.
        public enum Kind: String, Sendable, Hashable {
            /// An identifier: a non-empty string without spaces, `/`, `?`, `#` or `%`.
            case id
            /// Any string.
            case string
            /// A whole number.
            case integer
            /// `true` or `false` (sent as `true`/`false`).
            case boolean
            /// An ISO 3166-1 alpha-2 country code (`US`).
            case country
        }
        /// The Lua (snake_case) name.
        public let lua: String
        /// The wire name (the query parameter as Partner Center spells it; the placeholder for a path).
        public let wire: String
        /// Path or query.
        public let location: Location
        /// What it holds.
        public let kind: Kind
        /// Must be given (path parameters always are).
        public let required: Bool
        /// The value sent when the caller gives none.
        public let defaultValue: String?
        /// Passed positionally in Lua (path parameters always are).
        public let positional: Bool

        init(pathParameter name: String) {
            self.init(lua: name, wire: name, location: .path, kind: .id, required: true, defaultValue: nil, positional: true)
        }

        init(lua: String, wire: String, location: Location, kind: Kind, required: Bool, defaultValue: String?, positional: Bool) {
            self.lua = lua
            self.wire = wire
            self.location = location
            self.kind = kind
            self.required = required
            self.defaultValue = defaultValue
            self.positional = positional
        }

        /// A query parameter.
        public static func query(
            _ lua: String, _ wire: String, _ kind: Kind = .string, required: Bool = false, default defaultValue: String? = nil,
            positional: Bool = false
        ) -> Parameter {
            Parameter(lua: lua, wire: wire, location: .query, kind: kind, required: required, defaultValue: defaultValue,
                      positional: positional)
        }
    }

    /// A JSON request body.
    public struct Body: Sendable, Hashable {
        /// The Lua name of the body argument (`cart`, `request`).
        public let lua: String
        /// The model's name (`Cart`).
        public let model: String
        /// A member that must be a non-empty array (`lineItems` of a cart), checked before sending.
        public let nonEmpty: String?
        /// Creates a body declaration.
        public init(_ lua: String, model: String, nonEmpty: String? = nil) {
            self.lua = lua
            self.model = model
            self.nonEmpty = nonEmpty
        }
    }
}

extension APIOperation.Throttle {
    /// Partner Center's throttling rules, as pcx follows them: the one table (the operations in
    /// `OperationCatalog` name their row). Routes without a row run unthrottled on the client,
    /// which adapts only when Partner Center answers 429. The client keeps one token bucket per
    /// row with a figure and per partition (partner tenant, or partner + customer tenant); the
    /// sandbox enforces the same buckets.
    public static let table: [APIOperation.Throttle] = [customerResource, subscriptionResource, orderResource, cartListed]

    static let section = "partner-center-api.md §1.10 (learn.microsoft.com partner-center/developer/api-throttling-guidance, customer-resources, subscription-resources, order-resources)"
    /// `GET /customers/{id}`: Customer resource, 500 requests per minute per tenant identifier.
    static let customerResource = APIOperation.Throttle(
        group: "customer", partition: .partnerAndCustomer, perMinute: 500,
        source: "\(section): Customer resource, 500 requests per minute per tenant identifier")
    /// Subscriptions, their registration and Azure entitlements: Subscription resource, 500 per minute.
    static let subscriptionResource = APIOperation.Throttle(
        group: "subscription", partition: .partnerAndCustomer, perMinute: 500,
        source: "\(section): Subscription resource, 500 requests per minute per tenant identifier")
    /// Orders and their provisioning status: Order resource, 500 per minute.
    static let orderResource = APIOperation.Throttle(
        group: "order", partition: .partnerAndCustomer, perMinute: 500,
        source: "\(section): Order resource, 500 requests per minute per tenant identifier")
    /// Carts and checkout: listed among the throttled APIs, limit dynamic, no figure published.
    static let cartListed = APIOperation.Throttle(
        group: "cart", partition: .partnerAndCustomer, perMinute: nil,
        source: "\(section): carts and checkout are listed among the APIs with enforced throttling; the limit is dynamic and no figure is published")
}

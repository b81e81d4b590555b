import Foundation

/// The one error type the Partner Center client throws.
///
/// Every failure — an HTTP error from Partner Center, a refused purchase, a network failure, a
/// timeout, a cancelled task, a bad argument — arrives as a `PartnerCenterError` with a stable
/// ``Category`` that scripts and the CLI can switch on. The value never contains an access
/// token, a refresh token or a client secret: every text that could carry one passes through
/// the client's ``SecretRedactor`` before it is stored here.
public struct PartnerCenterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The stable, closed set of error kinds (snake_case on the wire and in Lua).
    public enum Category: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// The request was malformed or a business rule rejected it (HTTP 400, 405, 406, 412, 417, bad input).
        case invalidArgument = "invalid_argument"
        /// No valid credentials, or Partner Center rejected the token (HTTP 401, token endpoint failures).
        case unauthenticated
        /// The caller may not do this (HTTP 403).
        case forbidden
        /// The resource does not exist (HTTP 404).
        case notFound = "not_found"
        /// The request conflicts with the resource's state (HTTP 409).
        case conflict
        /// Partner Center throttled the caller and the client gave up (HTTP 429, retry budget spent).
        case throttled
        /// Partner Center failed (HTTP 5xx) and retries did not help.
        case serverError = "server_error"
        /// The connection failed or dropped.
        case network
        /// A connect, request or overall deadline passed.
        case timeout
        /// The calling task was cancelled.
        case cancelled
        /// pcx's policy refused the operation before anything was sent: the market rule, a cap,
        /// the purchase gate, a dry run's limits, an idempotency key of another purchase.
        case policyDenied = "policy_denied"
        /// A purchase was placed, but the order is above a cap (the cart changed after pcx
        /// checked it): the order stands and must be reviewed.
        case boughtAboveCap = "bought_above_cap"
        /// The run was interrupted (Ctrl-C).
        case interrupted
        /// The script used more than its memory limit.
        case memoryLimit = "memory_limit"
        /// The script itself failed (a Lua error, or a failure pcx cannot classify).
        case scriptError = "script_error"

        /// The snake_case name.
        public var description: String { rawValue }
    }

    /// The kind of failure.
    public var category: Category
    /// The HTTP status, when a response arrived.
    public var status: Int?
    /// Partner Center's own error code (`ApiFault.code`, or a cart line's `errorCode`), as text.
    public var pcCode: String?
    /// A human-readable description of what went wrong (redacted).
    public var message: String
    /// The `MS-RequestId` of the logical call (the idempotency key), when one was sent.
    public var requestId: String?
    /// The `MS-CorrelationId` of the call, when one was sent.
    public var correlationId: String?
    /// The HTTP method of the failed call (`GET`, `POST`…), when a call was attempted.
    public var method: String?
    /// The request path (without host or query), e.g. `/v1/customers/…/carts`.
    public var path: String?
    /// What the caller can do about it, for the codes a partner meets on the RI purchase path.
    public var hint: String?
    /// The delay Partner Center asked for (`Retry-After`), in seconds, when it sent one.
    public var retryAfterSeconds: Double?
    /// True when the call failed before any attempt left this machine (bad request, market
    /// policy, no token, cancelled while waiting): Partner Center cannot have acted on it. False
    /// means it may have: a timeout or a dropped connection leaves the outcome unknown.
    public var notSent: Bool = false
    /// True when an attempt of this call may have been applied by Partner Center although the
    /// call failed: a connection dropped or a request timed out after it was sent, or a 5xx
    /// answered it, and then a retry failed (possibly with a definitive-looking 4xx that only
    /// describes the retry). Such a call's outcome is unknown.
    public var outcomeUnknown: Bool = false

    /// Creates an error; `hint` defaults to the remediation known for `status`/`pcCode`.
    public init(
        category: Category, message: String, status: Int? = nil, pcCode: String? = nil,
        requestId: String? = nil, correlationId: String? = nil, method: String? = nil,
        path: String? = nil, hint: String? = nil, retryAfterSeconds: Double? = nil
    ) {
        self.category = category
        self.message = message
        self.status = status
        self.pcCode = pcCode
        self.requestId = requestId
        self.correlationId = correlationId
        self.method = method
        self.path = path
        self.hint = hint ?? PartnerCenterError.remediation(category: category, status: status, pcCode: pcCode)
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// One line a person can act on, then the context and the hint:
    /// `throttled: … (POST /v1/customers/…/carts, request 6b1e…, HTTP 429)` + `hint: …`.
    public var description: String {
        var context: [String] = []
        if let method, let path { context.append("\(method) \(path)") }
        if let requestId { context.append("request \(requestId)") }
        if let correlationId { context.append("correlation \(correlationId)") }
        if let status { context.append("HTTP \(status)") }
        if let pcCode { context.append("code \(pcCode)") }
        var text = "\(category.rawValue): \(message)"
        if !context.isEmpty { text += " (" + context.joined(separator: ", ") + ")" }
        if let hint { text += "\n  hint: \(hint)" }
        return text
    }

    /// Whether the call this error ends may have been applied at Partner Center: anything but a
    /// definitive answer about the call itself. A timeout, a dropped connection, 5xx, 408, 429,
    /// any 409 (800064 being processed, 800060 order in progress), 400/800065 (already
    /// submitted), and any error after an attempt whose outcome is unknown (``outcomeUnknown``).
    /// False when nothing was sent (``notSent``).
    public var mayHaveBeenApplied: Bool {
        if notSent { return false }
        if outcomeUnknown { return true }
        if ["800064", "800065", "800060"].contains(pcCode ?? "") { return true }
        guard let status else { return category != .policyDenied && category != .invalidArgument }
        return !(400..<500).contains(status) || status == 408 || status == 409 || status == 429
    }

    /// The process exit status an uncaught error of this category maps to: 3 for a policy
    /// refusal, 4 for a purchase above a cap, 130 for an interrupt, 1 otherwise.
    public var exitStatus: Int32 {
        switch category {
        case .policyDenied: return 3
        case .boughtAboveCap: return 4
        case .interrupted, .cancelled: return 130
        default: return 1
        }
    }

    /// Maps an HTTP status to the category the client reports for it.
    public static func category(forStatus status: Int) -> Category {
        switch status {
        case 401: return .unauthenticated
        case 403: return .forbidden
        case 404, 410: return .notFound
        case 408, 504: return .timeout
        case 409: return .conflict
        case 429: return .throttled
        case 400..<500: return .invalidArgument
        default: return .serverError
        }
    }

    /// The remediation hint for a Partner Center error code or status, if one is known.
    public static func remediation(category: Category, status: Int?, pcCode: String?) -> String? {
        if let pcCode, let hint = codeHints[pcCode] { return hint }
        switch category {
        case .unauthenticated:
            return "check PCX_TENANT_ID, PCX_CLIENT_ID and PCX_CLIENT_SECRET (or the profile), and renew the refresh token if it expired or was revoked"
        case .forbidden:
            return "this operation may need an App+User token (refresh token) or a relationship with the customer"
        case .throttled:
            return "lower the concurrency or the rate limit, or raise the retry budget, and try again later"
        case .timeout:
            return "raise the request or overall timeout, or retry later; a POST is safe to retry with the same MS-RequestId"
        case .network:
            return "check connectivity to the endpoint; a POST is safe to retry with the same MS-RequestId"
        case .serverError:
            return "Partner Center failed; retry later with the same MS-RequestId"
        default:
            return nil
        }
    }

    /// Remediation for the codes a partner meets on the reserved-instance path.
    public static let codeHints: [String: String] = [
        "10011": "register the Azure subscription for reservation purchases (pc.subscriptions.register) and wait until it is Registered",
        "800030": "register the Azure subscription for reservation purchases (pc.subscriptions.register) and wait until it is Registered",
        "10003": "inventory is not available for this SKU, region and subscription; check inventory and pick another region or SKU",
        "800010": "inventory is not available for this catalog item; check inventory and pick another region or SKU",
        "400019": "the availability (catalogItemId) went stale; list the SKU's availabilities again and rebuild the cart with the new catalogItemId",
        "800089": "the service refused the purchase for this customer or market; check the customer's country against where Reserved VM Instances are sold",
        "800009": "a cart line carries an error; fix or remove that line (see its error code) and check out again",
        "800008": "the cart does not exist or expired (carts live 7 days); create a new cart",
        "800064": "another request is checking out this cart; wait and check out again with the same MS-RequestId",
        "800065": "the cart was already checked out; look up the order instead of buying again",
        "800060": "an order is in progress; check the order list in a few minutes before retrying",
        "10008": "the Azure subscription is not enabled for reserved instances; use an active MS-AZR-0145P subscription or Azure plan",
        "800013": "the Azure subscription is not enabled for reserved instances; use an active MS-AZR-0145P subscription or Azure plan",
        "10001": "the catalogItemId is not valid; take it from a fresh availability (productId:skuId:availabilityId)",
        "10009": "the integration sandbox's purchase limit was reached (2 VM instances per customer, allow-listed SKUs only)",
        "10010": "a cart line is invalid; its message names the field: quantity within the SKU's minimumQuantity..maximumQuantity, termDuration matching the SKU (P1Y or P3Y), billingCycle one_time, provisioningContext subscriptionId, scope and duration",
        "900312": "the provisioning context's scope must be Single or Shared",
        "900313": "single scope under an Azure plan needs provisioningContext entitlementId: an active Azure subscription under the plan (pc.subscriptions.azure_entitlements lists them)",
        "900314": "the Azure subscription given as entitlementId is not active; pick an active one (pc.subscriptions.azure_entitlements) or reactivate it",
        "900315": "this catalog item cannot be bought with this subscription: for an Azure plan take availabilities listed with reservationScope=AzurePlan, for MS-AZR-0145P without it; an entitlementId must be under the customer's own plan",
        "900317": "shared scope under an Azure plan needs provisioningContext subscriptionId: the Azure plan's id",
        "900318": "the Azure plan was not found or has no active Azure subscription; check the plan id (pc.subscriptions.list) and its Azure subscriptions (pc.subscriptions.azure_entitlements)",
        "800011": "the subscription is not an Azure subscription; give an MS-AZR-0145P subscription or an Azure plan",
        "800012": "the Azure subscription is not active; reactivate it or use an active one",
        "800021": "the subscription id is not valid for this customer; list the customer's subscriptions (pc.subscriptions.list)",
        "900329": "this operation needs an App+User token (Azure savings plans too): configure a refresh token (PCX_REFRESH_TOKEN)",
        "900321": "Partner Center does not change Azure savings plans: manage scope, renewal and refunds in the Azure portal",
        "900322": "savings plans cannot be bought in Microsoft's integration sandbox tenant; buy in a production tenant",
        "900323": "a savings plan inherits the Azure plan's partner of record: leave the partner of record (participants) out of the cart line",
        "10000": "the currency is not the customer's market currency; a savings plan's purchaseCommitment.currency must be the availability's defaultCurrency",
        "10013": "the billing plan is not supported: monthly billing is for Azure-plan SKUs that list it in supportedBillingCycles; use one_time otherwise (the Azure plan itself is billed monthly)",
        "10006": "Partner Center could not process the line; its message says why (an Azure plan cannot be bought for a customer that has MS-AZR-0145P or already has a plan)",
        "800001": "no partner token reached Partner Center: check the credentials and the token endpoint (PCX_AUTHORITY)",
        "400030": "the requested targetSegment is not allowed for this partner",
        "400036": "the requested targetView is not allowed for this partner",
        "800043": "no access to prices; call without include_price or use an account with pricing access",
        "20002": "the partner has no relationship with this customer",
        "800070": "the offer is not available in this country/region",
    ]
}

import Foundation
import Logging
import PartnerCenter
import PartnerCenterModels
import PartnerCenterSandbox
import Testing

@Suite("Client against the sandbox: operations", .serialized)
struct OperationTests {
    @Test("every read operation returns the sandbox's data, typed and raw")
    func readOperations() async throws {
        try await withSandbox { harness, client in
            // Customers, seek-paged, and one by id.
            var customers: [Customer] = []
            for try await customer in client.customers(pageSize: 3) { customers.append(customer) }
            #expect(customers.count > 3)
            let first = try await client.customer(id: customers[0].id)
            #expect(first.id.lowercased() == customers[0].id.lowercased())
            let raw = try await client.send(.getCustomer(customerId: customers[0].id))
            #expect(raw.status == 200)
            #expect(raw.text.contains("\"companyProfile\""))

            // Subscriptions and registration status.
            let subscriptions = try await client.subscriptions(customerId: first.id)
            #expect(!subscriptions.isEmpty)
            let subscription = try await client.decoded(Subscription.self, OperationCatalog["subscriptions.get"],
                                                        ["customer_id": .string(first.id), "subscription_id": .string(subscriptions[0].id)])
            #expect(subscription.id.lowercased() == subscriptions[0].id.lowercased())
            let status = try await client.registrationStatus(customerId: first.id, subscriptionId: subscription.id)
            #expect(status.status != nil)

            // Catalog.
            let products = try await client.products(country: "US", targetView: "AzureReservationsVM")
            #expect(!products.isEmpty)
            let product = try await client.product(id: products[0].id, country: "US")
            #expect(product.id == products[0].id)
            let skus = try await client.skus(productId: product.id, country: "US")
            #expect(!skus.isEmpty)
            let sku = try await client.sku(productId: product.id, skuId: skus[0].id, country: "US")
            #expect(sku.id == skus[0].id)
            let availabilities = try await client.availabilities(productId: product.id, skuId: sku.id, country: "US")
            #expect(!availabilities.isEmpty)
            let availability = try await client.availability(
                productId: product.id, skuId: sku.id, availabilityId: availabilities[0].id, country: "US")
            #expect(availability.catalogItemId == "\(product.id):\(sku.id):\(availability.id)")
            let inventory = try await client.checkInventory(country: "US", request: InventoryCheckRequest(
                targetItems: [InventoryItem(productId: product.id)],
                inventoryContext: ["customerId": first.id, "azureSubscriptionId": subscription.id,
                                   "armRegionName": sku.dynamicAttributes?["armRegionName"]?.stringValue ?? "eastus"]))
            #expect(inventory.allSatisfy { $0.productId == product.id })

            // Orders and entitlements (whatever the seed holds; shapes must decode).
            _ = try await client.orders(customerId: first.id)
            _ = try await client.orders(customerId: first.id, billingType: "onetime")
            _ = try await client.entitlements(customerId: first.id, entitlementType: "reservedInstance")

            // Billing.
            let balance = try await client.accountBalance()
            #expect(balance.currencyCode != nil)
            let summaries = try await client.invoiceSummaries()
            #expect(!summaries.isEmpty)
            var invoices: [Invoice] = []
            for try await invoice in client.invoices(pageSize: 1) { invoices.append(invoice) }
            #expect(!invoices.isEmpty)
            let invoice = try await client.invoice(id: invoices[0].id)
            #expect(invoice.id == invoices[0].id)
            _ = harness
        }
    }

    @Test("a reserved instance is bought end to end: register, wait, cart, update, checkout, order, entitlement, invoice")
    func purchaseFlow() async throws {
        try await withSandbox { harness, client in
            let customers = try await Discovery.customersByCountry(client)
            let customer = try #require(customers.first { $0.country == "US" } ?? customers.first {
                $0.country.map { !MarketPolicy.defaultExcludedMarkets.contains($0) } ?? false })
            let country = try #require(customer.country)
            let subscriptionId = try await Discovery.registeredSubscription(client, customerId: customer.id) {
                harness.advance(seconds: 3600)
            }
            let line = try await Discovery.purchasableLine(client, customerId: customer.id, subscriptionId: subscriptionId, country: country)

            var cart = try await client.createCart(customerId: customer.id, cart: Cart(lineItems: [line]))
            let cartId = try #require(cart.id)
            #expect(cart.status == .active)
            #expect(cart.lineItems?.first?.error == nil, "line error: \(String(describing: cart.lineItems?.first?.error))")
            cart.lineItems?[0].quantity = 2
            let updated = try await client.updateCart(customerId: customer.id, cart: cart)
            #expect(updated.lineItems?.first?.quantity == 2)
            let fetched = try await client.cart(customerId: customer.id, cartId: cartId)
            #expect(fetched.id == cartId)

            let result = try await client.checkout(customerId: customer.id, cartId: cartId, requestId: UUID().uuidString)
            #expect(result.orders?.count == 1)
            let order = try #require(result.orders?.first)
            let again = try await client.order(customerId: customer.id, orderId: order.id, includePrice: true)
            #expect(again.id == order.id)
            harness.advance(seconds: 3600)
            let provisioning = try await client.all(OrderLineItemProvisioningStatus.self, OperationCatalog["orders.provisioning_status"],
                                                    ["customer_id": .string(customer.id), "order_id": .string(order.id)])
            #expect(!provisioning.isEmpty)
            let orders = try await client.orders(customerId: customer.id, billingType: "onetime")
            #expect(orders.contains { $0.id == order.id })

            let entitlements = try await client.entitlements(customerId: customer.id, entitlementType: "reservedInstance")
            let artifact = try #require(entitlements.flatMap { $0.entitledArtifacts ?? [] }.first { $0.link != nil })
            let details = try await client.reservationDetails(for: artifact)
            #expect(!details.allReservations.isEmpty)

            // The purchase is billed as a one-time charge (unbilled until the invoice closes).
            var billed = false
            for try await item in client.unbilledLineItems(currencyCode: order.currencyCode ?? "USD", pageSize: 500) {
                if case .oneTime(let line) = item, line.orderId == order.id { billed = true }
            }
            if !billed {
                for try await invoice in client.invoices() {
                    guard invoice.invoiceDetails?.contains(where: { $0.billingProvider == .oneTime }) == true else { continue }
                    for try await item in client.invoiceLineItems(invoiceId: invoice.id, pageSize: 2000) {
                        if case .oneTime(let line) = item, line.orderId == order.id { billed = true }
                    }
                }
            }
            #expect(billed, "the order \(order.id) appears as a one-time charge")
        }
    }

    @Test("invoice pages are walked completely for offset and seek paging, and the statement PDF streams to a file")
    func pagingAndDownload() async throws {
        try await withSandbox { harness, client in
            // Offset paging: invoices one per page equal the unpaged list.
            let single = try await client.send(.listInvoices())
            let all = try single.decode(ResourceCollection<Invoice>.self)
            var paged: [String] = []
            var pages = 0
            for try await page in client.pages(of: .listInvoices(size: 1)) {
                pages += 1
                paged += try page.decode(ResourceCollection<Invoice>.self).items.map(\.id)
            }
            #expect(pages >= all.items.count)
            #expect(Set(paged) == Set(all.items.map(\.id)))

            // Seek paging: one-time line items of an invoice that has them, 2 per page.
            var walked = false
            for invoice in all.items {
                let details = invoice.invoiceDetails ?? []
                guard details.contains(where: { $0.billingProvider == .oneTime }) else { continue }
                let request = PartnerCenterRequest.invoiceLineItems(
                    invoiceId: invoice.id, provider: "onetime", invoiceLineItemType: "billinglineitems", size: 2000)
                let whole = try await client.send(request).decode(ResourceCollection<InvoiceLineItem>.self)
                guard whole.items.count > 2 else { continue }
                var seekPages: [RawResponse] = []
                var items: [InvoiceLineItem] = []
                for try await item in client.invoiceLineItems(invoiceId: invoice.id, pageSize: 2) { items.append(item) }
                for try await page in client.pages(of: .invoiceLineItems(
                    invoiceId: invoice.id, provider: "onetime", invoiceLineItemType: "billinglineitems", size: 2)) {
                    seekPages.append(page)
                }
                #expect(items.count == whole.items.count)
                #expect(seekPages.count == (whole.items.count + 1) / 2)
                #expect(seekPages.dropFirst().allSatisfy { $0.request.continuationToken != nil })
                walked = true
                break
            }
            #expect(walked, "the seed has a one-time invoice with more than two line items")

            // Offset paging of legacy (azure/office) line items, 1 per page.
            var offsetWalked = false
            for invoice in all.items {
                guard let detail = (invoice.invoiceDetails ?? []).first(where: { $0.billingProvider == .azure || $0.billingProvider == .office }) else {
                    continue
                }
                let provider = detail.billingProvider == .azure ? "azure" : "office"
                let type = detail.invoiceLineItemType == .usageLineItems ? "usagelineitems" : "billinglineitems"
                let whole = try await client.send(.invoiceLineItems(
                    invoiceId: invoice.id, provider: provider, invoiceLineItemType: type, size: 1000)).decode(ResourceCollection<InvoiceLineItem>.self)
                guard whole.items.count > 1 else { continue }
                var pagesSeen = 0
                var count = 0
                for try await page in client.pages(of: .invoiceLineItems(
                    invoiceId: invoice.id, provider: provider, invoiceLineItemType: type, size: 1)) {
                    pagesSeen += 1
                    count += try page.decode(ResourceCollection<InvoiceLineItem>.self).items.count
                    #expect(page.request.continuationToken == nil)
                }
                #expect(count == whole.items.count)
                #expect(pagesSeen == whole.items.count)
                offsetWalked = true
                break
            }
            #expect(offsetWalked, "the seed has a legacy invoice with more than one line item")

            // Unbilled line items (seek) reached through the estimate links.
            let estimates = try await client.estimateLinks(currencyCode: "USD")
            #expect(!estimates.isEmpty)
            let link = try #require(estimates.compactMap(\.link?.uri).first { $0.contains("unbilled") })
            var unbilledPages = 0
            for try await page in client.pages(of: try .link(uri: link)) {
                unbilledPages += 1
                _ = try page.decode(ResourceCollection<InvoiceLineItem>.self)
            }
            #expect(unbilledPages >= 1)
            var unbilled = 0
            let unbilledOp = OperationCatalog["invoices.unbilled_line_items"]
            for try await _ in client.items(of: try PartnerCenterRequest(unbilledOp, ["currency_code": "USD", "size": 1]), as: InvoiceLineItem.self) { unbilled += 1 }
            let wholeUnbilled = try await client.send(unbilledOp, ["invoice_line_item_type": "billinglineitems", "currency_code": "USD",
                                                                   "period": "current", "size": 2000])
                .decode(ResourceCollection<InvoiceLineItem>.self)
            #expect(unbilled == wholeUnbilled.items.count)

            // PDF statement streamed to disk.
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pcx-pdf-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = directory.appendingPathComponent("statement.pdf").path
            let download = try await client.downloadInvoiceStatement(invoiceId: all.items[0].id, to: path)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(download.bytes == bytes.count)
            #expect(bytes.starts(with: Data("%PDF".utf8)))
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["statement.pdf"])
            _ = harness
        }
    }

    @Test("customers are walked through every seek page")
    func customerSeekPaging() async throws {
        try await withSandbox { _, client in
            let big = try await client.send(.listCustomers(size: 500)).decode(ResourceCollection<Customer>.self)
            var pages = 0
            var ids: [String] = []
            for try await page in client.pages(of: .listCustomers(size: 2)) {
                pages += 1
                ids += try page.decode(ResourceCollection<Customer>.self).items.map(\.id)
            }
            #expect(ids.count == big.items.count)
            #expect(Set(ids) == Set(big.items.map(\.id)))
            #expect(pages == (big.items.count + 1) / 2)
        }
    }

    @Test("an error carries the category, Partner Center's code, the request id and a hint")
    func errorsCarryContext() async throws {
        try await withSandbox { harness, client in
            do {
                _ = try await client.product(id: "NOPE00000000", country: "US")
                Issue.record("an unknown product was found")
            } catch let error as PartnerCenterError {
                #expect(error.category == .notFound)
                #expect(error.status == 404)
                #expect(error.pcCode == "400013")
                #expect(error.requestId != nil)
                #expect(error.method == "GET")
                #expect(error.path == "/v1/products/NOPE00000000")
                #expect(harness.log.contains { $0.requestId == error.requestId && $0.status == 404 })
            }
        }
    }
}

@Suite("Client against the sandbox: faults, auth and policy", .serialized)
struct ResilienceTests {
    /// A registered US customer's cart with one purchasable line, checked out (MS-RequestId pinned)
    /// under `faults`: the result, the checkout requests the sandbox saw, the pinned id, and the
    /// customer's order count before and after.
    static func checkOut(under faults: String, _ harness: Harness, _ client: PartnerCenterClient) async throws
        -> (result: CartCheckoutResult, checkouts: [SandboxRequestLogEntry], pinned: String, before: Int, after: Int) {
        let customers = try await Discovery.customersByCountry(client)
        let customer = try #require(customers.first { $0.country == "US" })
        let subscriptionId = try await Discovery.registeredSubscription(client, customerId: customer.id) {
            harness.advance(seconds: 3600)
        }
        let line = try await Discovery.purchasableLine(client, customerId: customer.id, subscriptionId: subscriptionId, country: "US")
        let cart = try await client.createCart(customerId: customer.id, cart: Cart(lineItems: [line]))
        let cartId = try #require(cart.id)
        let before = try await client.orders(customerId: customer.id).count

        try harness.faults(faults)
        let pinned = UUID().uuidString.lowercased()
        let result = try await client.checkout(customerId: customer.id, cartId: cartId, requestId: pinned)
        let checkouts = harness.log.filter { $0.method == "POST" && $0.path.lowercased().hasSuffix("/checkout") }
        harness.advance(seconds: 3600)
        let after = try await client.orders(customerId: customer.id).count
        return (result, checkouts, pinned, before, after)
    }

    @Test("checkout retried after a dropped connection places exactly one order")
    func checkoutDroppedAfterCommit() async throws {
        try await withSandbox { harness, client in
            let run = try await Self.checkOut(under: "carts.checkout=drop-after", harness, client)
            #expect(run.result.orders?.count == 1)
            #expect(run.checkouts.count == 2, "one dropped attempt and one retry")
            #expect(run.checkouts.allSatisfy { $0.requestId == run.pinned }, "the retry carries the same MS-RequestId")
            #expect(run.after == run.before + 1, "exactly one order")
        }
    }

    @Test("a checkout Partner Center reports as busy (409/800064) is retried with its MS-RequestId: one order")
    func checkoutBusyIsRetried() async throws {
        try await withSandbox { harness, client in
            let run = try await Self.checkOut(under: "carts.checkout=busy,busy", harness, client)
            #expect(run.result.orders?.count == 1)
            #expect(run.checkouts.map(\.status) == [409, 409, 201])
            #expect(run.checkouts.allSatisfy { $0.requestId == run.pinned })
            #expect(run.after == run.before + 1)
        }
    }

    @Test("a change without a pinned MS-RequestId is refused before anything is sent; a raw change is refused as undeclared")
    func unpinnedChangeRefused() async throws {
        try await withSandbox { harness, client in
            let customers = try await Discovery.customersByCountry(client)
            let customer = try #require(customers.first { $0.country == "US" })
            let body = try PartnerCenterJSON.encode(Cart(lineItems: [CartLineItem(id: 0, catalogItemId: "X:Y:Z", quantity: 1, billingCycle: .oneTime)]))
            let before = harness.log.count
            do {
                _ = try await client.send(OperationCatalog["carts.create"], ["customer_id": .string(customer.id), "cart": .json(body)])
                Issue.record("an unpinned change was sent")
            } catch let error as PartnerCenterError {
                #expect(error.category == .invalidArgument)
                #expect(error.notSent)
                #expect(error.message.contains("pinned MS-RequestId"), "\(error.message)")
            }
            do {
                _ = try await client.send(PartnerCenterRequest(method: "POST", path: "/v1/customers/\(customer.id)/carts", body: body, requestId: "pinned"))
                Issue.record("a raw change was sent")
            } catch let error as PartnerCenterError {
                #expect(error.notSent)
                #expect(error.message.contains("not a declared Partner Center operation"), "\(error.message)")
            }
            #expect(harness.log.dropFirst(before).filter { $0.method == "POST" }.isEmpty)
        }
    }

    @Test("a pinned change whose first attempt dropped after commit and whose retry got a 4xx reports an unknown outcome, not a failure")
    func uncertainThenDefinitive() async throws {
        for (rule, status) in [("carts.create=drop-after,400", 400), ("carts.create=drop-after,404", 404),
                               ("carts.create=drop-after,expired-token,expired-token", 401)] {
            try await withSandbox { harness, client in
                let customers = try await Discovery.customersByCountry(client)
                let customer = try #require(customers.first { $0.country == "US" })
                let body = try PartnerCenterJSON.encode(Cart(lineItems: [CartLineItem(id: 0, catalogItemId: "X:Y:Z", quantity: 1, billingCycle: .oneTime)]))
                try harness.faults(rule)
                do {
                    _ = try await client.send(OperationCatalog["carts.create"], ["customer_id": .string(customer.id), "cart": .json(body)],
                                              requestId: UUID().uuidString)
                    Issue.record("\(rule): succeeded")
                } catch let error as PartnerCenterError {
                    #expect(error.status == status, "\(rule)")
                    #expect(error.outcomeUnknown, "\(rule)")
                    #expect(error.mayHaveBeenApplied, "\(rule)")
                    #expect(!(error.hint ?? "").contains("PCX_TENANT_ID"), "\(rule): \(error.hint ?? "")")
                    #expect(error.hint?.contains("may have been applied") == true, "\(rule): \(error.hint ?? "")")
                }
            }
        }
    }

    @Test("a 429 with Retry-After is honoured before the retry")
    func retryAfterHonoured() async throws {
        try await withSandbox { harness, client in
            try harness.faults("products.list=429")
            let products = try await client.products(country: "US", targetView: "AzureReservationsVM")
            #expect(!products.isEmpty)
            let throttled = harness.log.filter { $0.status == 429 }
            #expect(throttled.count == 1)
            #expect(client.metrics.throttled == 1)
            #expect(client.metrics.retries == 1)
            let waited = harness.sleeps.recorded.map { $0 }
            #expect(waited.contains { $0 >= .seconds(1) }, "waited at least Retry-After: \(waited)")
        }
    }

    @Test("5xx on a GET is retried with the same MS-RequestId")
    func serverErrorRetried() async throws {
        try await withSandbox { harness, client in
            let customerId = try #require(try await Discovery.customersByCountry(client).first?.id)
            try harness.faults("customers.get=503,500")
            let before = harness.log.count
            let response = try await client.send(.getCustomer(customerId: customerId))
            #expect(response.attempts == 3)
            let attempts = harness.log.dropFirst(before).filter { $0.route == "customers.get" }
            #expect(attempts.map(\.status) == [503, 500, 200])
            #expect(Set(attempts.map(\.requestId)).count == 1)
            #expect(attempts.first?.requestId == response.requestId)
        }
    }

    @Test("a run whose retry budget is spent fails with a clear throttled error")
    func budgetExhausted() async throws {
        try await withSandbox({ _ in }, client: { $0.retry.retryBudget = 2 }) { harness, client in
            try harness.faults("products.list=5*429")
            do {
                _ = try await client.products(country: "US", targetView: "AzureReservationsVM")
                Issue.record("succeeded despite the spent budget")
            } catch let error as PartnerCenterError {
                #expect(error.category == .throttled)
                #expect(error.status == 429)
                #expect(error.message.contains("retry budget is spent"), "\(error.message)")
                #expect(error.hint?.contains("retry budget") == true)
            }
            #expect(client.retryBudgetRemaining == 0)
        }
    }

    @Test("a token expiring mid-run is renewed transparently")
    func tokenRenewal() async throws {
        try await withSandbox { harness, client in
            _ = try await client.accountBalance()
            #expect(client.metrics.tokenRequests == 1)
            // The sandbox's clock passes the token's expiry; the client's cache does not know.
            harness.advance(seconds: 2 * 3600)
            _ = try await client.accountBalance()
            // And a token the server refuses as expired mid-run.
            try harness.faults("invoices.balance=expired-token")
            _ = try await client.accountBalance()
            #expect(client.metrics.tokenRequests == 3)
            #expect(client.metrics.failures == 0)
        }
    }

    @Test("app-only credentials work on the v1 and v2 token endpoints")
    func appOnlyTokens() async throws {
        let harness = try await Harness.start()
        defer { Task { await harness.stop() } }
        for version in [TokenEndpointVersion.v1, .v2] {
            let client = try harness.client(appOnly: true) { $0.tokenEndpointVersion = version }
            let products = try await client.products(country: "US", targetView: "AzureReservationsVM")
            #expect(!products.isEmpty)
            try await client.shutdown()
        }
    }

    @Test("a rotated refresh token is persisted with mode 0600 and used next time")
    func refreshRotation() async throws {
        let harness = try await Harness.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pcx-rt-\(UUID().uuidString)")
        defer {
            try? FileManager.default.removeItem(at: directory)
        }
        let store = directory.appendingPathComponent("refresh-token").path
        let client = try harness.client { $0.refreshTokenStore = store }
        _ = try await client.accountBalance()
        let attributes = try FileManager.default.attributesOfItem(atPath: store)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let stored = try String(contentsOfFile: store, encoding: .utf8)
        #expect(stored != harness.sandbox.credentials.refreshToken)
        #expect(await client.currentRefreshToken()?.reveal() == stored)
        try await client.shutdown()
        // A new client starts from the stored (rotated) token.
        let second = try harness.client { $0.refreshTokenStore = store }
        _ = try await second.accountBalance()
        try await second.shutdown()
        await harness.stop()
    }

    @Test("a wrong client secret fails as unauthenticated without revealing the secret")
    func wrongSecret() async throws {
        let harness = try await Harness.start()
        let client = try harness.client(appOnly: true) { $0.clientSecret = Secret("wrong-secret-value-123") }
        do {
            _ = try await client.accountBalance()
            Issue.record("a wrong secret was accepted")
        } catch let error as PartnerCenterError {
            #expect(error.category == .unauthenticated)
            #expect(!error.description.contains("wrong-secret-value-123"))
            #expect(!error.description.contains(harness.sandbox.credentials.clientSecret))
        }
        try await client.shutdown()
        await harness.stop()
    }

    @Test("the market policy refuses every excluded market with no mutating request sent")
    func marketPolicy() async throws {
        try await withSandbox { harness, client in
            let customers = try await Discovery.customersByCountry(client)
            let excluded = customers.filter { $0.country.map(MarketPolicy.defaultExcludedMarkets.contains) ?? false }
            #expect(Set(excluded.compactMap(\.country)) == MarketPolicy.defaultExcludedMarkets, "the seed covers every excluded market")
            let body = try PartnerCenterJSON.encode(Cart(lineItems: [CartLineItem(id: 0, catalogItemId: "A:B:C", quantity: 1, billingCycle: .oneTime)]))
            let before = harness.log.count
            for customer in excluded {
                let attempts: [PartnerCenterRequest] = [
                    .createCart(customerId: customer.id, body: body, requestId: "pinned-1"),
                    .updateCart(customerId: customer.id, cartId: "any", body: body, requestId: "pinned-2"),
                    .checkoutCart(customerId: customer.id, cartId: "any", requestId: "pinned-3"),
                    .registerSubscription(customerId: customer.id, subscriptionId: "any", requestId: "pinned-4"),
                ]
                for request in attempts {
                    do {
                        _ = try await client.send(request)
                        Issue.record("\(request) was sent for \(customer.country ?? "?")")
                    } catch let error as PartnerCenterError {
                        #expect(error.category == .policyDenied)
                        #expect(error.message.lowercased().contains(customer.id.lowercased()))
                        #expect(error.message.contains(customer.country!))
                        #expect(error.message.contains("reserved-instance-markets"))
                    }
                }
                do {
                    _ = try await client.createCart(customerId: customer.id, cart: Cart(lineItems: [
                        CartLineItem(id: 0, catalogItemId: "A:B:C", quantity: 1, billingCycle: .oneTime),
                    ]))
                    Issue.record("typed createCart was sent")
                } catch let error as PartnerCenterError {
                    #expect(error.category == .policyDenied)
                }
            }
            let sent = harness.log.dropFirst(before)
            #expect(!sent.contains { $0.mutated }, "no mutating request reached the sandbox")
            #expect(!sent.contains { $0.method != "GET" })
            #expect(client.metrics.policyRefusals == excluded.count * 5)
        }
    }

    @Test("a customer in an allowed market can create a cart, and a custom excluded list is honoured")
    func marketPolicyConfiguration() async throws {
        try await withSandbox({ _ in }, client: { $0.marketPolicy = MarketPolicy(excludedMarkets: ["US"]) }) { harness, client in
            let customers = try await Discovery.customersByCountry(client)
            let american = try #require(customers.first { $0.country == "US" })
            await #expect(throws: PartnerCenterError.self) {
                _ = try await client.createCart(customerId: american.id, cart: Cart(lineItems: [
                    CartLineItem(id: 0, catalogItemId: "A:B:C", quantity: 1, billingCycle: .oneTime),
                ]))
            }
            let brazilian = try #require(customers.first { $0.country == "BR" })
            // BR is allowed under this configuration: the request reaches the sandbox (whatever it answers).
            let before = harness.log.count
            _ = try? await client.createCart(customerId: brazilian.id, cart: Cart(lineItems: [
                CartLineItem(id: 0, catalogItemId: "A:B:C", quantity: 1, billingCycle: .oneTime),
            ]))
            #expect(harness.log.dropFirst(before).contains { $0.method == "POST" })
        }
    }

    @Test("cancelling the calling task cancels the request in flight")
    func cancellation() async throws {
        let events = EventRecorder()
        try await withSandbox({ _ in }, client: { $0.onEvent = events.handler }) { harness, client in
            try harness.faults("invoices.balance=delay=5s")
            let task = Task { try await client.accountBalance() }
            // Wait (without a time bound on correctness) until the attempt is on the wire.
            while !events.events.contains(where: { if case .sending(let op, _, _, _, _) = $0 { return op == "invoices.balance" } else { return false } }) {
                await Task.yield()
            }
            task.cancel()
            do {
                _ = try await task.value
                Issue.record("the cancelled call completed")
            } catch let error as PartnerCenterError {
                #expect(error.category == .cancelled)
            }
        }
    }

    @Test("concurrent calls under the rate limiter all succeed, each with its own MS-RequestId")
    func concurrentCallsDistinctIds() async throws {
        try await withSandbox({ _ in }, client: {
            $0.rateLimits = RateLimitPolicy(partnerRate: 1000, partnerBurst: 10, customerRate: 1000, customerBurst: 10, concurrency: 4)
        }) { harness, client in
            let before = harness.log.count
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<20 {
                    group.addTask { _ = try await client.send(.listProducts(country: "US", targetView: "AzureReservationsVM")) }
                }
                try await group.waitForAll()
            }
            let sent = harness.log.dropFirst(before).filter { $0.route == "products.list" }
            #expect(sent.count == 20)
            #expect(Set(sent.map(\.requestId)).count == 20)
            #expect(client.metrics.requestsSent >= 20)
        }
    }
}

@Suite("Client against the sandbox: registration and throttling", .serialized)
struct RegistrationAndThrottlingTests {
    @Test("registering a subscription returns its status link and waitUntilRegistered returns once the sandbox registers it")
    func registration() async throws {
        try await withSandbox({ $0.registrationDelay = 1800 }) { harness, client in
            var target: (customer: String, subscription: String)?
            search: for (customerId, country) in try await Discovery.customersByCountry(client) where country == "US" {
                for subscription in try await client.subscriptions(customerId: customerId) {
                    let status = try await client.registrationStatus(customerId: customerId, subscriptionId: subscription.id)
                    let azure = subscription.offerId?.uppercased() == "MS-AZR-0145P"
                        || (subscription.offerName ?? subscription.friendlyName ?? "").localizedCaseInsensitiveContains("azure")
                    if status.status == .notRegistered && azure { target = (customerId, subscription.id); break search }
                }
            }
            let (customerId, subscriptionId) = try #require(target, "the seed has an unregistered US subscription")
            let location = try await client.registerSubscription(customerId: customerId, subscriptionId: subscriptionId)
            #expect(location.lowercased().hasSuffix("/subscriptions/\(subscriptionId.lowercased())/registrationstatus"))
            let pending = try await client.registrationStatus(customerId: customerId, subscriptionId: subscriptionId)
            #expect(pending.status != .registered)
            // Not registered yet and the deadline passes: a timeout naming the state.
            do {
                _ = try await client.waitUntilRegistered(
                    customerId: customerId, subscriptionId: subscriptionId, timeout: .milliseconds(20), initialDelay: .milliseconds(1))
                Issue.record("registered before the sandbox's delay passed")
            } catch let error as PartnerCenterError {
                #expect(error.category == .timeout)
                #expect(error.message.contains(subscriptionId))
            }
            harness.advance(seconds: 3600)
            let done = try await client.waitUntilRegistered(customerId: customerId, subscriptionId: subscriptionId, timeout: .seconds(60))
            #expect(try done.decode(SubscriptionRegistrationStatus.self).status == .registered)
        }
    }

    @Test("a client faster than the service's limit tightens on 429 and every call still succeeds")
    func aimdAgainstSandbox() async throws {
        try await withSandbox({
            $0.rateLimits = RateLimits(partner: RateLimit(requests: 5, per: 1), customer: nil)
        }, client: {
            $0.sleeper = { try await Task.sleep(for: $0) }
            $0.rateLimits = RateLimitPolicy(partnerRate: 100, partnerBurst: 20, customerRate: nil, concurrency: 8)
            $0.retry = RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(50), maxDelay: .seconds(1), retryBudget: 200)
        }) { harness, client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<20 {
                    group.addTask { _ = try await client.send(.listProducts(country: "US", targetView: "AzureReservationsVM")) }
                }
                try await group.waitForAll()
            }
            #expect(client.metrics.failures == 0)
            #expect(client.metrics.throttled >= 1)
            #expect(try #require(client.rateLimiter.currentPartnerRate) < 100)
            #expect(harness.log.filter { $0.route == "products.list" && $0.status == 200 }.count == 20)
        }
    }
}

/// Captures every log line (message and metadata) at trace level.
struct CapturingLogHandler: LogHandler {
    let lines: LockedBox<[String]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let rendered = "\(event.message) \(metadata.merging(event.metadata ?? [:]) { $1 })"
        lines.mutate { $0.append(rendered) }
    }
}

@Suite("Client against the sandbox: secrets", .serialized)
struct SecretHygieneTests {
    @Test("no client secret, refresh token or access token appears in any log line or error")
    func noSecretsInLogs() async throws {
        let lines = LockedBox<[String]>([])
        let events = EventRecorder()
        let harness = try await Harness.start()
        let client = try harness.client {
            $0.logger = Logger(label: "test") { _ in CapturingLogHandler(lines: lines) }
            $0.onEvent = events.handler
        }
        try harness.faults("invoices.balance=expired-token;products.list=503")
        _ = try await client.accountBalance()
        _ = try await client.products(country: "US", targetView: "AzureReservationsVM")
        let failures = LockedBox<[String]>([])
        do { _ = try await client.product(id: "NOPE00000000", country: "US") } catch { failures.mutate { $0.append("\(error)") } }
        let bad = try harness.client(appOnly: true) {
            $0.clientSecret = Secret("another-wrong-secret-42")
            $0.logger = Logger(label: "test") { _ in CapturingLogHandler(lines: lines) }
        }
        do { _ = try await bad.accountBalance() } catch { failures.mutate { $0.append("\(error)") } }
        let rotated = await client.currentRefreshToken()?.reveal()
        let secrets = [harness.sandbox.credentials.clientSecret, harness.sandbox.credentials.refreshToken, "another-wrong-secret-42", rotated ?? "-"]
        let everything = lines.value + failures.value + events.events.map { "\($0)" }
        #expect(!lines.value.isEmpty)
        for secret in secrets {
            #expect(!everything.contains { $0.contains(secret) }, "a secret leaked")
        }
        #expect(!everything.contains { $0.contains("eyJ") }, "a JWT leaked")
        #expect(!everything.contains { $0.lowercased().contains("bearer ") })
        try await client.shutdown()
        try await bad.shutdown()
        await harness.stop()
    }
}

@Suite("Client against the sandbox: cart line errors", .serialized)
struct CartLineErrorTests {
    @Test("cart line errors arrive in a 201 and turn into errors with Partner Center's code and a hint")
    func lineErrors() async throws {
        try await withSandbox { harness, client in
            let customers = try await Discovery.customersByCountry(client)
            let customer = try #require(customers.first { $0.country == "US" })
            let subscriptionId = try await Discovery.registeredSubscription(client, customerId: customer.id) {
                harness.advance(seconds: 3600)
            }
            var good = try await Discovery.purchasableLine(client, customerId: customer.id, subscriptionId: subscriptionId, country: "US")
            good.id = 1
            var bad = CartLineItem(id: 0, catalogItemId: "NOPE:NOPE:NOPE", quantity: 1, billingCycle: .oneTime)
            bad.termDuration = "P1Y"
            bad.provisioningContext = ["subscriptionId": subscriptionId, "scope": "shared"]
            let cart = try await client.createCart(customerId: customer.id, cart: Cart(lineItems: [bad, good]))
            let errors = cart.lineErrors(customerId: customer.id)
            #expect(errors.count == 1)
            let error = try #require(errors.first)
            #expect(error.category == .invalidArgument)
            #expect(error.pcCode == "10001")
            #expect(error.hint?.contains("catalogItemId") == true)
            #expect(error.message.contains("line 0"))
        }
    }
}

@Suite("Client against the sandbox: raw API", .serialized)
struct RawAPITests {
    @Test("every read builder is answered 2xx with Partner Center's JSON, and a cursor walks pages across calls")
    func everyBuilderRaw() async throws {
        try await withSandbox { harness, client in
            let customers = try await Discovery.customersByCountry(client)
            // a customer with an Azure plan: the plan answers every subscription read, azure_entitlements included
            var plans: [(customer: String, plan: String)] = []
            for candidate in customers {
                for sub in try await client.subscriptions(customerId: candidate.id) where sub.offerId?.hasPrefix("DZH318Z0BPS6:") == true {
                    plans.append((candidate.id, sub.id))
                }
            }
            let (customer, subscription) = try #require(plans.first)
            let product = try #require(try await client.products(country: "US", targetView: "AzureReservationsVM").first).id
            let sku = try #require(try await client.skus(productId: product, country: "US").first).id
            let availability = try #require(try await client.availabilities(productId: product, skuId: sku, country: "US").first).id
            var invoices: [Invoice] = []
            for try await invoice in client.invoices() { invoices.append(invoice) }
            let invoice = try #require(invoices.first).id
            // every declared read the seed can answer without a purchase first, built from the catalogue
            let ids: OperationArguments = [
                "customer_id": .string(customer), "subscription_id": .string(subscription), "product_id": .string(product),
                "sku_id": .string(sku), "availability_id": .string(availability), "invoice_id": .string(invoice),
                "country": "US", "target_view": "AzureReservationsVM", "currency_code": "USD",
            ]
            var sent = 0
            for op in OperationCatalog.all where op.effect == .read && op.response.model != nil {
                let needed = op.parameters.filter { $0.required && $0.defaultValue == nil }.map(\.lua) + (op.body.map { [$0.lua] } ?? [])
                guard needed.allSatisfy({ ids[$0] != nil }) else { continue }
                let request = try PartnerCenterRequest(op, ids.filter { needed.contains($0.key) })
                let response = try await client.send(request)
                #expect((200..<300).contains(response.status), "\(request)")
                #expect(response.body.first == UInt8(ascii: "{") || response.body.first == UInt8(ascii: "["), "\(request)")
                #expect(harness.log.contains { $0.requestId == response.requestId }, "\(request) reached the sandbox with its MS-RequestId")
                sent += 1
            }
            #expect(sent >= 20, "most reads are answerable from the seed (\(sent))")
            // A cursor keeps its place between calls and prefetches.
            let cursor = client.cursor(for: .listCustomers(size: 2))
            var pages = 0
            while let page = try await cursor.next() {
                pages += 1
                #expect(page.status == 200)
            }
            #expect(pages == (customers.count + 1) / 2)
            #expect(await cursor.isFinished)
            #expect(try await cursor.next() == nil)
        }
    }
}

@Suite("Client against the sandbox: configuration", .serialized)
struct ConfigurationIntegrationTests {
    @Test("the PCX_* block the sandbox prints configures a working client, through the environment or a profile file")
    func environmentBlock() async throws {
        let harness = try await Harness.start()
        let block = Dictionary(uniqueKeysWithValues: harness.sandbox.credentials.environment(endpoint: harness.sandbox.endpoint))
        let fromEnvironment = try PartnerCenterClient(configuration: try ClientConfiguration.fromEnvironment(block))
        #expect(try await !fromEnvironment.products(country: "US", targetView: "AzureReservationsVM").isEmpty)
        try await fromEnvironment.shutdown()

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pcx-cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("pcx"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var text = "[profile.sandbox]\n"
        for (key, value) in block.sorted(by: { $0.key < $1.key }) {
            text += "\(key.dropFirst(4).lowercased()) = \"\(value)\"\n"
        }
        text += "token_version = \"v2\"\nrefresh_token_store = \"\(directory.path)/rt\"\n"
        try text.write(to: directory.appendingPathComponent("pcx/profiles.toml"), atomically: true, encoding: .utf8)
        let configuration = try ClientConfiguration.load(profile: "sandbox", environment: ["XDG_CONFIG_HOME": directory.path])
        let fromProfile = try PartnerCenterClient(configuration: configuration)
        #expect(try await fromProfile.accountBalance().currencyCode != nil)
        try await fromProfile.shutdown()
        await harness.stop()
    }
}

@Suite("Client against the sandbox: token cache", .serialized)
struct TokenCacheTests {
    @Test("a cached token is renewed before it expires, so Partner Center never sees an expired one")
    func renewedBeforeExpiry() async throws {
        try await withSandbox({ $0.tokenLifetime = 6 }) { harness, client in
            _ = try await client.accountBalance()
            _ = try await client.accountBalance()
            #expect(client.metrics.tokenRequests == 1, "the token is cached")
            // Half the lifetime is the renewal margin here; wait past it (a wait, not a timing assertion).
            try await Task.sleep(for: .milliseconds(3300))
            _ = try await client.accountBalance()
            #expect(client.metrics.tokenRequests == 2, "renewed ahead of expiry")
            #expect(!harness.log.contains { $0.status == 401 })
        }
    }
}

import Foundation
import Testing
@testable import PartnerCenterModels

private func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
    try JSONDecoder().decode(type, from: Data(json.utf8))
}

@Suite("Tolerant decoding of odd input")
struct ToleranceTests {
    @Test("enums decode any casing, underscores and integer forms; unknown text is kept")
    func enums() throws {
        for text in ["one_time", "OneTime", "onetime", "ONE_TIME", "oneTime"] {
            #expect(BillingCycleType(wire: text) == .oneTime)
        }
        #expect(try decode([BillingCycleType].self, "[4, 1, 0]") == [.oneTime, .monthly, .unknown("unknown")])
        #expect(BillingCycleType(wire: "fortnightly") == .unknown("fortnightly"))
        #expect(BillingProvider(wire: "onetime") == .oneTime)
        #expect(InvoiceLineItemType(wire: "BillingLineItems") == .billingLineItems)
        #expect(RegistrationState(wire: "notregistered") == .notRegistered)
        #expect(OrderStatus(wire: "Pending Review") == .pendingReview)
        #expect(EntitlementType(wire: "reservedInstance") == .reservedInstance)
        #expect(BillingCycleType(knownWire: "weird") == nil)
    }

    @Test("enums encode their documented wire spelling")
    func enumEncoding() throws {
        let data = try PartnerCenterJSON.encode([BillingCycleType.oneTime, .monthly])
        #expect(String(decoding: data, as: UTF8.self) == #"["one_time","monthly"]"#)
        let status = try PartnerCenterJSON.encode(SubscriptionRegistrationStatus(subscriptionId: "x", status: .notRegistered))
        #expect(String(decoding: status, as: UTF8.self).contains(#""status":"NotRegistered""#))
    }

    @Test("money decodes exactly, from numbers and from numeric strings")
    func money() throws {
        let lines = try decode([OneTimeInvoiceLineItem].self, """
        [{"unitPrice": 0.1, "subtotal": 0.2, "totalForCustomer": 0.3},
         {"unitPrice": "16", "quantity": "25", "pcToBCExchangeRate": "1"},
         {"unitPrice": 1234567.891234567, "subtotal": 12345678901234.567, "totalForCustomer": 0.30000000000000004},
         {"unitPrice": 1e-7, "subtotal": -42.50}]
        """)
        #expect(lines[0].unitPrice! + lines[0].subtotal! == lines[0].totalForCustomer!)
        #expect(lines[1].unitPrice == 16)
        #expect(lines[1].quantity == 25)
        #expect(lines[1].pcToBCExchangeRate == 1)
        #expect(lines[2].unitPrice == Decimal(string: "1234567.891234567"))
        #expect(lines[2].subtotal == Decimal(string: "12345678901234.567"))
        #expect(lines[2].totalForCustomer == Decimal(string: "0.30000000000000004"))
        #expect("\(lines[2].subtotal!)" == "12345678901234.567")
        #expect(lines[3].unitPrice == Decimal(string: "0.0000001"))
        #expect(lines[3].subtotal == Decimal(string: "-42.5"))
    }

    @Test("money encodes exactly")
    func moneyEncoding() throws {
        var pricing = Pricing()
        pricing.price = Decimal(string: "12345678901234.567")
        pricing.extendedPrice = Decimal(string: "0.1")! + Decimal(string: "0.2")!
        let text = String(decoding: try PartnerCenterJSON.encode(pricing), as: UTF8.self)
        #expect(text == #"{"extendedPrice":0.3,"price":12345678901234.567}"#)
    }

    @Test("numbers as strings, strings as numbers, and wrong kinds become nil instead of failing")
    func lenientScalars() throws {
        let sku = try decode(Sku.self, #"{"id": "0001", "minimumQuantity": "1", "maximumQuantity": 5.0, "isTrial": "false", "title": 42}"#)
        #expect(sku.minimumQuantity == 1)
        #expect(sku.maximumQuantity == 5)
        #expect(sku.isTrial == false)
        #expect(sku.title == "42")
        let odd = try decode(Sku.self, #"{"id": "0002", "minimumQuantity": "lots", "isTrial": [], "maximumQuantity": 1.5}"#)
        #expect(odd.minimumQuantity == nil)
        #expect(odd.isTrial == nil)
        #expect(odd.maximumQuantity == nil)
        let line = try decode(CartLineItem.self, #"{"id": "3", "quantity": null}"#)
        #expect(line.id == 3)
        #expect(line.quantity == nil)
    }

    @Test("dates parse Z with up to 7 fractional digits, no zone, offsets; year 0001 is nil")
    func dates() throws {
        let base = try #require(WireDate.parse("2019-01-16T00:45:41Z"))
        #expect(base.timeIntervalSince1970 == 1_547_599_541)
        let fine = try #require(WireDate.parse("2019-01-16T00:45:41.6062996Z"))
        #expect(abs(fine.timeIntervalSince(base) - 0.6062996) < 1e-6)
        #expect(WireDate.parse("2019-01-16T00:45:41") == base)
        #expect(WireDate.parse("2018-03-06T17:37:05.253-08:00") == WireDate.parse("2018-03-07T01:37:05.253Z"))
        #expect(WireDate.parse("2018-03-06T17:37:05+0530") == WireDate.parse("2018-03-06T12:07:05Z"))
        #expect(WireDate.parse("0001-01-01T00:00:00") == nil)
        #expect(WireDate.parse("9999-12-10T00:00:00Z") != nil)
        #expect(WireDate.parse("yesterday") == nil)
        #expect(WireDate.parse("2019-13-01T00:00:00Z") == nil)
        let cart = try decode(Cart.self, #"{"creationTimestamp": "2023-07-11T21:16:11.55149Z", "expirationTimestamp": "0001-01-01T00:00:00", "lastModifiedTimestamp": "garbage"}"#)
        #expect(cart.creationTimestamp != nil)
        #expect(cart.expirationTimestamp == nil)
        #expect(cart.lastModifiedTimestamp == nil)
    }

    @Test("dates encode as UTC with Z and trimmed fraction")
    func dateEncoding() throws {
        #expect(WireDate.format(Date(timeIntervalSince1970: 1_547_599_541)) == "2019-01-16T00:45:41Z")
        #expect(WireDate.format(Date(timeIntervalSince1970: 1_547_599_541.5)) == "2019-01-16T00:45:41.5Z")
        var order = Order(id: "o")
        order.creationDate = Date(timeIntervalSince1970: 0)
        let text = String(decoding: try PartnerCenterJSON.encode(order), as: UTF8.self)
        #expect(text.contains(#""creationDate":"1970-01-01T00:00:00Z""#))
    }

    @Test("api fault code decodes from number or string and encodes as a number")
    func faultCode() throws {
        #expect(try decode(ApiFault.self, #"{"code": "60012", "description": "x"}"#).numericCode == 60012)
        #expect(try decode(ApiFault.self, #"{"code": 60012}"#).code == "60012")
        let text = String(decoding: try PartnerCenterJSON.encode(ApiFault(code: 800008, description: "d")), as: UTF8.self)
        #expect(text == #"{"code":800008,"description":"d","source":"PartnerFD"}"#)
        let withData = String(decoding: try PartnerCenterJSON.encode(ApiFault(code: 1, description: "d", data: [])), as: UTF8.self)
        #expect(withData.contains(#""data":[]"#))
    }

    @Test("links skip non-link members and collections tolerate missing items")
    func linksAndCollections() throws {
        let links = try decode(Links.self, #"{"self": {"uri": "/a", "method": "GET", "headers": []}, "odd": 5}"#)
        #expect(links.selfLink?.uri == "/a")
        #expect(links["odd"] == nil)
        let empty = try decode(ResourceCollection<Product>.self, #"{"totalCount": 0}"#)
        #expect(empty.items.isEmpty)
    }

    @Test("unknown invoice line kinds keep their JSON")
    func unknownLineKind() throws {
        let items = try decode([InvoiceLineItem].self, #"[{"billingProvider": "future", "x": 1}, {"attributes": {"objectType": "LicenseBasedLineItem"}, "amount": "3.5"}]"#)
        guard case .other = items[0] else { Issue.record("expected other"); return }
        guard case .licenseBased(let line) = items[1] else { Issue.record("expected license"); return }
        #expect(line.amount == Decimal(string: "3.5"))
    }

    @Test("every model round-trips through its own encoding")
    func roundTrip() throws {
        let cart = try JSONDecoder().decode(Cart.self, from: fixture("cart-created"))
        let again = try JSONDecoder().decode(Cart.self, from: PartnerCenterJSON.encode(cart))
        #expect(again.lineItems == cart.lineItems)
        #expect(again.status == cart.status)
        let result = try JSONDecoder().decode(CartCheckoutResult.self, from: fixture("checkout-result"))
        let result2 = try JSONDecoder().decode(CartCheckoutResult.self, from: PartnerCenterJSON.encode(result))
        #expect(result2.orders?.first?.id == result.orders?.first?.id)
        #expect(result2.orders?.first?.billingCycle == .oneTime)
    }

    @Test("money text parses exactly, the fast plain path agreeing with the general one")
    func decimals() {
        let general = { (text: String) in Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) }
        for text in ["0", "16", "-3", "951.20", "1234.5678", "-0.01", "0.000001", "9999999999999999999", "-0", "00.5"] {
            let plain = text.utf8.withContiguousStorageIfAvailable { WireDecimal.parsePlain(UnsafeRawBufferPointer($0)) } ?? nil
            #expect(plain == general(text), "\(text)")
            #expect(WireDecimal.parse(text) == general(text), "\(text)")
        }
        // Not plain: the general parser reads them (or nothing does).
        for text in ["1e3", "+5", ".5", "5.", "1.2.3", "", "-", "12345678901234567890", " 7 ", "abc", "1,5"] {
            #expect(text.utf8.withContiguousStorageIfAvailable { WireDecimal.parsePlain(UnsafeRawBufferPointer($0)) } ?? nil == nil, "\(text)")
        }
        #expect(WireDecimal.parse("1e3") == 1000)
        #expect(WireDecimal.parse(" 7 ") == 7)
        #expect(WireDecimal.parse("12345678901234567890") == Decimal(string: "12345678901234567890"))
        #expect(WireDecimal.parse("abc") == nil)
        #expect(WireDecimal.parse("0.1")! + WireDecimal.parse("0.2")! == WireDecimal.parse("0.3")!)
    }

    @Test("an exact sum adds in integer units and agrees with Decimal, across scales, signs and overflow")
    func exactSum() {
        var sum = ExactSum()
        var reference = Decimal(0)
        let amounts = ["951.20", "-0.005", "12", "0.1", "0.2", "-951.20", "3.14159", "99999999999999999.99"]
        for _ in 0..<1000 {
            for text in amounts {
                let parts = text.utf8.withContiguousStorageIfAvailable { WireDecimal.plainParts(UnsafeRawBufferPointer($0)) }!!
                sum.add(mantissa: parts.mantissa, scale: parts.scale, negative: parts.negative)
                reference += Decimal(string: text)!
            }
        }
        #expect(sum.value == reference)
        var mixed = ExactSum()
        mixed.add(mantissa: 5, scale: 1, negative: false)
        mixed.add(Decimal(string: "1e-3")!)
        mixed.add(mantissa: 25, scale: 2, negative: true)
        #expect(mixed.value == Decimal(string: "0.251")!)
        var huge = ExactSum()
        for _ in 0..<3 { huge.add(mantissa: UInt64.max, scale: 30, negative: false) }
        huge.add(mantissa: 9_999_999_999_999_999_999, scale: 0, negative: false)
        let expected = Decimal(string: "9999999999999999999")! + 3 * Decimal(sign: .plus, exponent: -30, significand: Decimal(UInt64.max))
        #expect(huge.value == expected, "overflow of the integer units falls back to Decimal, exactly")
    }
}

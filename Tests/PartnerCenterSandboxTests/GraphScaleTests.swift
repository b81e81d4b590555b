import Foundation
import PartnerCenterModels
@testable import PartnerCenterSandbox
import Testing

@Suite("Microsoft Graph reconciliation v2: generated lines come from templates, byte for byte the rows they stand for")
struct GraphScaleTests {
    static let styles: [(GraphSandboxOptions.KeyCase, Bool, String)] = [(.camel, false, "RIOderId"), (.pascal, true, ""), (.camel, true, "PCTest")]
    static let indices = Array(0..<120) + [86_399, 86_400, 86_401, 172_799, 500_000, 999_999]

    @Test("scale reconciliation lines: the template writer writes what GraphRows.recon of the v1 line encodes to, in every style")
    func reconTemplates() async throws {
        try await withSandbox({ $0.scale = try! SandboxScale.parse("reconlines=1000000") }) { h in
            let generator = try #require(h.sandbox.engine.scaleGenerators[SandboxBilling.graphScaleInvoiceId])
            for (keys, basic, prefix) in Self.styles {
                let style = GraphLineStyle(keyCase: keys, basic: basic, dataSet: .reconciliation)
                let writer = ScaleReconLines(generator: generator, count: 1_000_000, prefix: prefix).writer(style: style)
                var mismatches = 0
                for index in Self.indices {
                    var fast: [UInt8] = [], slow: [UInt8] = []
                    writer.append(index, to: &fast)
                    style.encode(GraphRows.recon(generator.line(at: index), unbilled: false, prefix: prefix), to: &slow)
                    if fast != slow {
                        mismatches += 1
                        if mismatches < 3 { Issue.record("line \(index) \(keys) basic=\(basic):\n\(String(decoding: fast, as: UTF8.self))\n\(String(decoding: slow, as: UTF8.self))") }
                    }
                }
                #expect(mismatches == 0)
            }
        }
    }

    @Test("scale usage lines: the template writer writes what UsageRows.payg encodes to, in every style")
    func usageTemplates() async throws {
        try await withSandbox { h in
            let engine = h.sandbox.engine
            let partner = engine.partners[0]
            let facts = try await engine.usageFacts(partner: partner)
            let subscriptions = facts.subscriptions
            try #require(subscriptions.count > 2)
            let from = try #require(WireDate.parse("2025-03-01T00:00:00Z"))
            let frame = UsageFrame(partner: partner, from: from, through: from.addingTimeInterval(30 * 86400), currency: "USD", invoiceNumber: "G100000002")
            let lines = ScaleUsageLines(count: 1_000_000, subscriptions: subscriptions, frame: frame)
            for (keys, basic, _) in Self.styles {
                let style = GraphLineStyle(keyCase: keys, basic: basic, dataSet: .usage)
                let writer = lines.writer(style: style)
                var mismatches = 0
                for index in Self.indices {
                    let subscription = subscriptions[index % subscriptions.count]
                    let day = from.addingTimeInterval(Double((index / subscriptions.count) % 31) * 86400)
                    let row = UsageRows.payg(UsageRows.baseRow(subscription, frame: frame, day: day), subscription: subscription, meter: index % 2, dayIndex: index)
                    var fast: [UInt8] = [], slow: [UInt8] = []
                    writer.append(index, to: &fast)
                    style.encode(row, to: &slow)
                    if fast != slow {
                        mismatches += 1
                        if mismatches < 3 { Issue.record("line \(index):\n\(String(decoding: fast, as: UTF8.self))\n\(String(decoding: slow, as: UTF8.self))") }
                    }
                }
                #expect(mismatches == 0)
            }
        }
    }

    @Test("byte writers: dates, exact decimals, ids as the slow paths write them")
    func byteWriters() {
        for seconds in [0, 59, 86_399, 951_782_400, 1_709_251_199, 1_746_057_600, 4_102_444_800 - 1] {
            var bytes: [UInt8] = []
            LineBytes.appendDate(seconds, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == SandboxEngine.graphDate(Date(timeIntervalSince1970: Double(seconds)), fraction: false))
        }
        for (value, scale) in [(0, 2), (5, 2), (100, 2), (2000, 2), (1234, 2), (368_000, 6), (184, 6), (174_000, 5), (87, 5)] {
            var bytes: [UInt8] = []
            LineBytes.appendScaled(value, scale: scale, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == "\(Decimal(value) / pow(Decimal(10), scale))")
        }
        for seed in [UInt64(0), 1, 0xDEAD_BEEF, .max] {
            var a = SplitMix64(seed: seed), b = SplitMix64(seed: seed)
            var bytes: [UInt8] = []
            LineBytes.appendOrderId(&a, to: &bytes)
            LineBytes.appendGuid(&a, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == IDs.orderId(&b) + IDs.guid(&b))
        }
    }
}

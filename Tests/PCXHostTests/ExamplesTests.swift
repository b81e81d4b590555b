import Foundation
import Testing

/// One example: where it is written and its Lua text.
struct DocExample: Codable, Sendable {
    var name: String
    var module: String?
    var code: String
    var spec: Bool
}

enum DocExamples {
    /// Every `--- example:` block of `stdlib/meta/*.lua`, named `file.lua: function name`.
    static func stubs() throws -> [DocExample] {
        let dir = packageRoot.appendingPathComponent("stdlib/meta")
        var out: [DocExample] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: dir.path).filter({ $0.hasSuffix(".lua") }).sorted() {
            let lines = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8).components(separatedBy: "\n")
            let module = String(file.dropLast(4))
            var i = 0
            while i < lines.count {
                defer { i += 1 }
                guard lines[i].trimmingCharacters(in: .whitespaces) == "--- example:", i + 1 < lines.count, lines[i + 1].hasPrefix("---```lua") else { continue }
                var body: [String] = []
                var j = i + 2
                while j < lines.count, !lines[j].hasPrefix("---```") {
                    body.append(String(lines[j].dropFirst(3)))
                    j += 1
                }
                let function = lines[j...].first { $0.hasPrefix("function ") }.map { String($0.dropFirst(9).prefix { $0 != "(" }) } ?? "?"
                out.append(DocExample(name: "stdlib/meta/\(file): \(function)", module: module == "pc" ? nil : module,
                                      code: body.joined(separator: "\n"), spec: module == "spec"))
                i = j
            }
        }
        return out
    }

    /// Every ```lua block of the README, except the walkthroughs marked `<!-- readme-example: NAME -->`
    /// (each has its own test).
    static func readme() throws -> [DocExample] {
        let lines = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8).components(separatedBy: "\n")
        var out: [DocExample] = []
        var i = 0
        while i < lines.count {
            defer { i += 1 }
            guard lines[i] == "```lua" else { continue }
            let marked = i > 0 && lines[i - 1].hasPrefix("<!-- readme-example:")
            var j = i + 1
            while j < lines.count, lines[j] != "```" { j += 1 }
            let code = lines[(i + 1)..<j].joined(separator: "\n")
            if !marked {
                out.append(DocExample(name: "README.md:\(i + 2)", module: nil, code: code, spec: code.contains("describe(")))
            }
            i = j
        }
        return out
    }

    /// Runs the examples in one `pcx run`: the context (a plan customer billed in USD, its plan,
    /// a catalog item, a cart, a bought reservation, an invoice) first, then each example in its
    /// own environment, its `print` captured. A failure is an error, or a printed `nil` the
    /// example does not mention (a field read from the wrong place).
    static let runner = #"""
    local json, ri, azure = require "json", require "reservations", require "azure"
    local examples = json.decode(assert(io.open(arg[1])):read("a"))

    local ctx = {}
    for _, c in ipairs(pc.customers.list()) do
      local country = ri.customer_country(pc.customers.get(c.id))
      local found = azure.find(c.id)
      if found and not found.legacy and ({ US = 1, MX = 1, ZA = 1, SG = 1, NZ = 1 })[country] then
        ctx.customer_id, ctx.plan_id, ctx.subscription_id = c.id, found.planId, found.planId
        break
      end
    end
    assert(ctx.customer_id, "no Azure-plan customer billed in USD")
    ctx.plan = ri.plan { customer = ctx.customer_id, subscription = ctx.plan_id, sku = "Standard_D2s_v3", region = "westeurope" }
    ctx.product_id, ctx.sku_id, ctx.availability_id = ctx.plan.product.id, ctx.plan.sku.id, ctx.plan.availability.id
    ctx.catalog_item_id = ctx.plan.catalog_item_id
    ctx.cart = pc.carts.create(ctx.customer_id, { lineItems = { ri.cart_line(ctx.plan) } })
    ctx.cart_id = ctx.cart.id
    local bought = ri.purchase(ri.plan { customer = ctx.customer_id, subscription = ctx.plan_id, sku = "Standard_D2s_v3", region = "eastus" })
    ctx.order, ctx.order_id, ctx.entitlement = bought.order, bought.order.id, bought.entitlement
    ctx.reservation_order_id = bought.entitlement.entitledArtifacts[1].resourceId
    for inv in pc.invoices.each() do
      if inv.id:sub(1, 1) == "G" then ctx.invoice_id = inv.id break end
    end
    assert(ctx.invoice_id, "no one-time invoice")

    local modules = { "args", "azure", "csv", "date", "inspect", "json", "log", "money", "playbook", "progress", "reservations", "spec" }
    local failures, ran = {}, 0
    for _, ex in ipairs(examples) do
      ran = ran + 1
      local out = {}
      local env = setmetatable({}, { __index = function(_, k) if ctx[k] ~= nil then return ctx[k] end return _G[k] end })
      env.print = function(...)
        local parts = table.pack(...)
        for i = 1, parts.n do parts[i] = tostring(parts[i]) end
        out[#out + 1] = table.concat(parts, "\t")
      end
      if ex.module then env[ex.module] = require(ex.module) end
      if ex.module == "playbook" then env.playbook = playbook end
      if ex.spec then require("spec").install(env) end
      local fn, err = load(ex.code, "=" .. ex.name, "t", env)
      local ok, result = false, err
      if fn then ok, result = pcall(fn) end
      -- a playbook an example returns is run too, with the context's customer and subscription
      local pb = require "playbook"
      if ok and pb.is(result) then
        local argv = {}
        for _, p in ipairs(pb.describe(result).params) do
          if ctx[p.name .. "_id"] then argv[#argv + 1] = "--" .. p.name; argv[#argv + 1] = ctx[p.name .. "_id"] end
        end
        ok, result = pcall(pb.run, result, argv)
      end
      local text = table.concat(out, "\n")
      if not ok then
        failures[#failures + 1] = { name = ex.name, error = pc.errors.is(result) and pc.errors.format(result) or tostring(result), output = text }
      elseif (text:find("%f[%w]nil%f[%W]") or text == "nil") and not ex.code:find("nil", 1, true) then
        failures[#failures + 1] = { name = ex.name, error = "printed nil (a field read from the wrong place?)", output = text }
      end
    end
    print(json.encode({ ran = ran, failures = failures }))
    """#
}

@Suite("Every example in the README and the stubs runs as written", .serialized)
struct ExamplesTests {
    @Test("the stubs' and the README's Lua examples run against the sandbox without an error or a stray nil")
    func everyExampleRuns() async throws {
        let examples = try DocExamples.stubs() + DocExamples.readme()
        #expect(examples.count >= 150, "found only \(examples.count) examples")
        #expect(examples.contains { $0.name.contains("pc.entitlements.reservation_details") })
        try await withEndToEnd { e2e in
            let file = e2e.directory.appendingPathComponent("examples.json")
            try JSONEncoder().encode(examples).write(to: file)
            try FileManager.default.createDirectory(at: e2e.directory.appendingPathComponent("out"), withIntermediateDirectories: true)
            let r = try await e2e.lua(DocExamples.runner, arguments: [file.path],
                                      flags: ["--allow-purchase", "--allow-write", e2e.directory.path])
            #expect(r.status == 0, "\(r)")
            let last = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
            let result = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any], "\(r)")
            #expect(result["ran"] as? Int == examples.count)
            let failures = result["failures"] as? [[String: Any]] ?? []
            let report = failures.map { "\($0["name"] ?? "?"): \($0["error"] ?? "")\n    output: \($0["output"] ?? "")" }.joined(separator: "\n")
            #expect(failures.isEmpty, "\(failures.count) examples fail:\n\(report)")
        }
    }
}

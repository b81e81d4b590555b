-- Specs for the tracing helpers of stdlib/reservations.lua (addendum §4.2): purchase-channel
-- prefixes on reconciliation lines and the reservation behind a daily-usage line.
local ri = require "reservations"

local G = "55eebd03-c6e7-4593-8ba8-0bb7c0b25e02"

describe("reservation_order", function()
  it("reads every documented prefix and a bare GUID", function()
    local cases = {
      { "RIOderId" .. G, "partner_center" }, { "RIOrderId" .. G, "partner_center" }, { "RIOderId:" .. G, "partner_center" },
      { "PCTest" .. G, "test" }, { G, "azure" }, { "RIOderId" .. G:upper(), "partner_center" }, { "Weird-" .. G, "other:Weird" },
    }
    for _, c in ipairs(cases) do
      local guid, channel = ri.reservation_order(c[1])
      expect(guid).to_be(G)
      expect(channel).to_be(c[2])
    end
  end)
  it("gives nil without a GUID", function()
    expect(ri.reservation_order("")).to_be_nil()
    expect(ri.reservation_order(nil)).to_be_nil()
    expect(ri.reservation_order("RIOderId")).to_be_nil()
  end)
end)

describe("usage_reservation", function()
  it("decodes additionalInfo JSON text with any key casing", function()
    local r = ri.usage_reservation { additionalInfo = '{"reservationorderid":"' .. G:upper() .. '","ReservationId":"11111111-2222-3333-4444-555555555555"}' }
    expect(r.order).to_be(G)
    expect(r.reservation).to_be("11111111-2222-3333-4444-555555555555")
  end)
  it("reads a decoded table, then benefitOrderId, then a GUID in the raw text", function()
    expect(ri.usage_reservation({ additionalInfo = { ReservationOrderId = G } }).order).to_be(G)
    local sp = ri.usage_reservation { additionalInfo = "", benefitOrderId = G, benefitType = "SavingsPlan" }
    expect(sp.order).to_be(G)
    expect(sp.benefit).to_be("SavingsPlan")
    expect(ri.usage_reservation({ additionalInfo = "covered by " .. G }).order).to_be(G)
  end)
  it("gives nil for pay-as-you-go usage", function()
    expect(ri.usage_reservation { additionalInfo = '{"ImageType":null,"ServiceType":"Standard_B1s"}' }).to_be_nil()
    expect(ri.usage_reservation {}).to_be_nil()
  end)
end)

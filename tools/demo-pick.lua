-- Picks a customer in an allowed market with an active MS-AZR-0145P subscription that is not
-- registered yet, so `make demo` shows the whole flow: registration, plan, purchase, reservation.
local excluded = {}
for _, m in ipairs(pc.policy.excluded_markets()) do excluded[m] = true end
for c in pc.customers.each() do
  local cust = pc.customers.get(c.id)
  local country = cust.billingProfile and cust.billingProfile.defaultAddress and cust.billingProfile.defaultAddress.country
  if country and not excluded[country] then
    for _, s in ipairs(pc.subscriptions.list(c.id)) do
      if s.offerId == "MS-AZR-0145P" and (s.status or ""):lower() == "active"
        and (pc.subscriptions.registration_status(c.id, s.id).status or ""):lower() == "notregistered" then
        print(c.id, s.id)
        return
      end
    end
  end
end
error("no customer with an unregistered MS-AZR-0145P subscription in the sandbox")

-- Register a customer's Azure subscription for reservation purchases and wait until Registered.
local output = require "output"

return playbook {
  name = "register-subscription",
  summary = "Register an Azure subscription for Reserved Instance purchases and wait",
  params = {
    customer     = { type = "customer", required = true, order = 1, help = "customer: tenant id, domain or company name" },
    subscription = { type = "string", required = true, order = 2, help = "Azure subscription id" },
    timeout      = { type = "integer", default = 600, min = 1, help = "seconds to wait for Registered" },
  },
  run = function(p)
    local before = pc.subscriptions.registration_status(p.customer, p.subscription)
    local status = before.status
    if (status or ""):lower() ~= "registered" then
      pc.subscriptions.register(p.customer, p.subscription)
      if not pc.options.dry_run then
        status = pc.subscriptions.wait_registered(p.customer, p.subscription, { timeout = p.timeout }).status
      else
        status = "(dry run: registration recorded, not sent)"
      end
    end
    local out = { customer = p.customer, subscription = p.subscription, before = before.status, status = status }
    output.emit(out, { columns = { "customer", "subscription", "before", "status" }, rows = { out },
      text = function(o) print(string.format("subscription %s: %s (was %s)", o.subscription, o.status, o.before)) end })
    return out
  end,
}

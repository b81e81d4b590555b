-- luacheck configuration for pcx's Lua: `make lint` (tools/lint) checks stdlib/, the shipped
-- playbooks in scripts/ and the README's ```lua examples, and must report 0 warnings.
-- Editors with a luacheck plugin read this file too, so a partner's own scripts in this tree
-- see the same globals as under `pcx run`.

-- pcx embeds Debian's Lua 5.4 (integer division, `<close>`, `<const>`, goto, utf8...).
std = "lua54"

-- What every script sees besides Lua's own globals (Sources/PCXHost/lua/prelude.lua):
-- `pc` (the Partner Center client, also `require "pc"`) and `playbook` (require("playbook").declare).
-- `arg` (the script's arguments) is part of std.  Every other pcx module is reached through
-- `require` (json, money, date, csv, ...): none of them is a global in a script.
read_globals = { "pc", "playbook" }

-- pcx's Lua has no line-length rule (help texts, error messages and parameter tables are written
-- on one line, as the Swift code is); the length checks would only report that style.
max_line_length = false

-- Spec files run by `pcx test` get describe/it/expect (stdlib/spec.lua, spec.install(_ENV)).
files["**/*_spec.lua"] = { read_globals = { "describe", "it", "expect" } }

-- LuaLS stubs (stdlib/meta/): declarations that never run. Their functions have empty bodies, so
-- their parameters are unused by design, and their class tables (`local Money = {}`) are only
-- read by editors.
files["stdlib/meta/*.lua"] = { unused_args = false, ignore = { "241" } }
-- The stub of the `pc` module declares the global itself.
files["stdlib/meta/pc.lua"] = { globals = { "pc" } }
-- The stub of `playbook` declares the global `playbook` (as `_G.playbook`).
files["stdlib/meta/playbook.lua"] = { globals = { "playbook" } }

-- README examples (tools/lint extracts each ```lua block to a file named after its README line,
-- under .build/lint/): the README says they use these names for the ids and tables a script holds
-- (ExamplesTests runs every block with them defined).
files[".build/lint/readme/*.lua"] = {
  read_globals = {
    "customer_id", "subscription_id", "plan_id", "product_id", "sku_id", "availability_id",
    "catalog_item_id", "cart_id", "order_id", "invoice_id", "reservation_order_id",
    "cart", "order", "entitlement", "plan",
  },
}

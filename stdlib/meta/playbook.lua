---@meta playbook

-- LuaLS type stubs for stdlib/playbook.lua. Editors read these; the REPL's `:help NAME` prints the
-- comment block above each `function`. Nothing here runs. The global `playbook` is
-- `require("playbook").declare`; the module itself holds the helpers.

---Declared, reusable scripts: a playbook file returns `playbook { name, summary, params, run }`.
---`pcx playbook list/show/run` and `pcx run FILE` read the declaration; parameters are parsed with
---the `args` module, so `--help` text, defaults, choices and usage errors come for free.
---@class playbook
---@field Playbook playbook.Playbook the metatable of every declaration
---@field last? playbook.Playbook the declaration made last in this run
local playbook = {}

---What a playbook file declares.
---@class playbook.Declaration
---@field name string a word such as "purchase-reserved-vm" (letters, digits, '-', '_')
---@field summary string one line, shown by `pcx playbook list`
---@field description? string more text for `--help`
---@field params? args.Spec the parameters, keyed by name (`page_size` is given as `--page-size`)
---@field run fun(params: table): any runs with the parsed parameters; its result is the playbook's result

---A validated declaration (metatable name "pcx.Playbook").
---@class playbook.Playbook: playbook.Declaration
---@field params args.Spec

---A column of `playbook.table`: `{ "Header", "key" }`.
---@alias playbook.Column {[1]: string, [2]: string}

---Declares a playbook (the global `playbook` is this function); validates and returns it.
---Raises an error naming the problem when name, summary, run or a parameter is malformed.
---
--- example:
---```lua
---return playbook {
---  name = "balance", summary = "Account balance and invoice summaries",
---  params = { currency = { type = "string", help = "only this currency" } },
---  run = function(p) print(pc.invoices.balance().balanceAmount) end,
---}
---```
---@param declaration playbook.Declaration
---@return playbook.Playbook
function playbook.declare(declaration) end

---Whether `v` is a declared playbook.
---
--- example:
---```lua
---local pb = require "playbook"
---local decl = playbook { name = "hello", summary = "Says hello", run = function() print("hello") end }
---print(pb.is(decl), pb.is({}))   --> true  false
---```
---@param v any
---@return boolean
function playbook.is(v) end

---The `--help` text of a playbook: usage line, summary, description and parameters.
---
--- example:
---```lua
---local pb = require "playbook"
---local decl = playbook { name = "hello", summary = "Says hello",
---  params = { name = { type = "string", default = "world", help = "who to greet" } }, run = function() end }
---print(pb.help(decl))
---```
---@param pb playbook.Playbook
---@return string
function playbook.help(pb) end

---Parses `argv` against the playbook's parameters and runs it; a usage error is raised as a table
---`{usage = true, message = ..., help = ...}`.
---
--- example:
---```lua
---local pb = require "playbook"
---local decl = playbook { name = "hello", summary = "Says hello",
---  params = { name = { type = "string", default = "world" }, times = { type = "integer", default = 1, min = 1 } },
---  run = function(p) return string.rep("hello " .. p.name .. " ", p.times) end }
---local result = pb.run(decl, { "--name", "Contoso", "--times", "2" })
---print(result)   --> hello Contoso hello Contoso
---```
---@param pb playbook.Playbook
---@param argv string[] command-line words
---@param preset? table values already known (used as if given)
---@return any result what `run` returned
function playbook.run(pb, argv, preset) end

---A machine-readable description (what `pcx playbook show --json` prints).
---
--- example:
---```lua
---local pb = require "playbook"
---local decl = playbook { name = "hello", summary = "Says hello",
---  params = { name = { type = "string", required = true, help = "who to greet" } }, run = function() end }
---local d = pb.describe(decl)
---for _, p in ipairs(d.params) do print(p.name, p.type, p.required) end
---```
---@param pb playbook.Playbook
---@return {name: string, summary: string, description?: string, params: table[]}
function playbook.describe(pb) end

---Prints `value` in the run's `-o` format: JSON for `-o json` (`--json`), its rows for `-o csv|tsv`
---(as `output.rows_of` reads it), else calls `text(value)` (or prints it). A playbook with rows of
---its own calls `require("output").emit(value, {rows =, columns =, text =})`.
---
--- example:
---```lua
---local pb = require "playbook"
---pb.emit({ total = "12.50", currency = "USD" }, function(o) print(o.total .. " " .. o.currency) end)
---```
---@param value any
---@param text? fun(value: any) the human-readable rendering
function playbook.emit(value, text) end

---Formats rows as an aligned text table with a header and a rule; missing values are blank
---(`require("output").table`: columns may declare amounts, alignment, CSV-only columns).
---
--- example:
---```lua
---local pb = require "playbook"
---print(pb.table({ { id = "c1", total = "10.00" } }, { { "Customer", "id" }, { "Total", "total" } }))
---```
---@param rows table[]
---@param columns playbook.Column[]
---@return string
function playbook.table(rows, columns) end

---The global `playbook`: the same function as `require("playbook").declare`.
---@type fun(declaration: playbook.Declaration): playbook.Playbook
_G.playbook = playbook.declare

return playbook

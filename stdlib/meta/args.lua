---@meta args

-- LuaLS type stubs for stdlib/args.lua. Editors read these; the REPL's `:help NAME` prints the
-- comment block above each `function`. Nothing here runs.

---Declared parameters for scripts and playbooks.
---
---`args.parse(spec, argv)` reads `--name value`, `--name=value`, `--flag`, `--no-flag`; names may
---use '-' or '_'; everything after `--` is positional. Every problem raises one usage error (a
---string without a file position) that names the parameter and says how to fix it, with a
---suggestion for misspelt names.
---@class args
local args = {}

---The type of a parameter: "string" (default), "integer", "number", "boolean", "decimal" (exact
---text such as "1500.00", for money) or "list" (comma-separated strings). "integer" takes only an
---optional sign and decimal digits ("16", "-3"; not "0x10", "1e2", "1.0" or " 16"); "number" takes
---decimal text with an optional fraction and exponent ("0.25", "-.5", "2.5e3"; not hex, "inf",
---"nan" or a value too large for a float). Anything else is a usage error naming the parameter and
---the value.
---@alias args.Type "string"|"integer"|"number"|"boolean"|"decimal"|"list"

---The declaration of one parameter.
---@class args.Param
---@field type? args.Type default "string"
---@field required? boolean a usage error when not given and there is no default
---@field default? any used when the parameter is not given (not converted or checked)
---@field choices? any[] allowed values; text matches case-insensitively and comes back in the declared spelling (each item for lists)
---@field min? number smallest allowed value (integer and number types)
---@field max? number largest allowed value (integer and number types)
---@field help? string one line for the help text
---@field order? number position in help among parameters of equal requiredness (lower first; default by name)
---@field secret? boolean a value that must not be echoed (for the host's use)
---@field metavar? string the placeholder in help, e.g. "REGION"
---@field output? "file"|"directory" a path the playbook writes to: `playbook.run` checks it is under an `--allow-write` directory (and creates the directory) before the playbook makes any call

---A declaration: parameter names (identifiers; '-' allowed) to their declarations.
---@alias args.Spec table<string, args.Param>

---Parses `argv` against a declaration. Returns the values (by parameter name, '_' spelling) and the
---positional arguments. Values in `preset` count as supplied: text in it is converted like argv
---text, numbers are range-checked; argv wins over presets; defaults fill the rest.
---
--- example:
---```lua
---local spec = {
---  customer = { type = "string", required = true, help = "customer tenant id" },
---  term     = { default = "1Year", choices = { "1Year", "3Year" } },
---  quantity = { type = "integer", default = 1, min = 1 },
---  dry_run  = { type = "boolean" },
---}
---local p, rest = args.parse(spec, { "--customer", "3f2c", "--term=3year", "--dry-run", "extra" })
---print(p.term, p.quantity, p.dry_run, rest[1])   --> 3Year  1  true  extra
---```
---@param spec args.Spec validated (and default types filled in) in place
---@param argv? string[] the command-line words
---@param preset? table<string, any> values supplied another way (a table passed to a playbook)
---@return table<string, any> values
---@return string[] positional
function args.parse(spec, argv, preset) end

---Whether `text` is a tenant id (a GUID): a `customer` value that names the customer directly.
---
--- example:
---```lua
---print(args.is_tenant_id("5c9a9246-9e6c-4853-a774-b12d1fbfdaf9"), args.is_tenant_id("fabrikam"))  --> true false
---```
---@param text any
---@return boolean
function args.is_tenant_id(text) end

---Checks a declaration and fills in default types; raises on a malformed one (for playbook authors).
---
--- example:
---```lua
---local ok, err = pcall(args.validate, { quantity = { type = "integer", defualt = 1 } }, "params")
---print(ok, err)   --> false  params.quantity: unknown field 'defualt' ...
---```
---@param spec args.Spec
---@param where? string the name used in error messages, default "params"
---@return args.Spec spec
function args.validate(spec, where) end

---Help text: optional usage and summary lines, then one line per parameter with its type,
---help, and (required; default; one of; min; max). Required parameters come first.
---
--- example:
---```lua
---local spec = { customer = { type = "string", required = true, help = "customer tenant id" },
---               quantity = { type = "integer", default = 1, min = 1 } }
---print(args.help(spec, { usage = "pcx run buy.lua [options]", summary = "Buy reserved VMs" }))
-----   --customer VALUE    customer tenant id (required)
-----   --quantity INTEGER  (default: 1; min: 1)
---```
---@param spec args.Spec
---@param opts? {usage?: string, summary?: string}
---@return string
function args.help(spec, opts) end

---The closest of `names` to `word` (edit distance at most max(2, #word // 3)), or nil.
---
--- example:
---```lua
---print(args.suggest("quantty", { "quantity", "term" }))   --> quantity
---```
---@param word string
---@param names string[]
---@return string?
function args.suggest(word, names) end

---The edit (Levenshtein) distance between two strings.
---
--- example:
---```lua
---print(args.distance("kitten", "sitting"))   --> 3
---```
---@param a string
---@param b string
---@return integer
function args.distance(a, b) end

---The parameter names of a declaration in help order: required first, then by `order`, then by name.
---
--- example:
---```lua
---local spec = { quantity = { type = "integer", help = "units" }, customer = { required = true, help = "tenant id" } }
---for _, name in ipairs(args.sorted_names(spec)) do print(name, spec[name].help) end   --> customer first
---```
---@param spec args.Spec
---@return string[]
function args.sorted_names(spec) end

return args

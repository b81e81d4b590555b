-- playbook: declared, reusable scripts.
--
--   return playbook {
--     name = "balance", summary = "Account balance and invoice summaries",
--     params = { currency = { type = "string", help = "only this currency" } },
--     run = function(p) ... end,
--   }
-- `pcx playbook list/show/run` and `pcx run FILE` read the declaration; parameters are parsed
-- with the args module, so `--help` text, defaults, choices and errors come for free.
local args = require "args"
local output = require "output"

local M = {}
local type, error, setmetatable, getmetatable, print, pairs, ipairs = type, error, setmetatable, getmetatable, print, pairs, ipairs
local getinfo = debug.getinfo

local Playbook = { __name = "pcx.Playbook" }
Playbook.__index = Playbook

-- pcx's own options about money and the target: a playbook may not declare them, so that
-- `pcx playbook run NAME --dry-run` always means pcx's dry run.
local RESERVED = { "allow_purchase", "dry_run", "quote", "profile", "sandbox", "max_spend", "max_quantity",
  "idempotency_key", "replay_window" }

--- Declares a playbook; validates the declaration and returns it.
function M.declare(t)
  if type(t) ~= "table" then error("playbook: expected a table {name = ..., summary = ..., params = ..., run = function(p) end}", 2) end
  if type(t.name) ~= "string" or not t.name:match("^[%w][%w%-_]*$") then
    error("playbook: name must be a word such as \"purchase-reserved-vm\"", 2)
  end
  if type(t.summary) ~= "string" or t.summary == "" then error("playbook " .. t.name .. ": summary (one line) is required", 2) end
  if type(t.run) ~= "function" then error("playbook " .. t.name .. ": run must be a function(params)", 2) end
  t.params = t.params or {}
  for _, r in ipairs(RESERVED) do
    for name in pairs(t.params) do
      if type(name) == "string" and name:gsub("%-", "_"):lower() == r then
        -- the playbook's author gave pcx a bad declaration: an input error (exit 2) at its line
        local info = getinfo(2, "Sl")
        local where = info and info.currentline and info.currentline > 0 and info.source:sub(1, 1) == "@"
          and (info.source:sub(2) .. ":" .. info.currentline) or nil
        local message = "playbook " .. t.name .. ": parameter --" .. r:gsub("_", "-") ..
          " is pcx's own option (purchase safety or the target) and cannot be declared by a playbook; rename it"
        error(setmetatable({ usage = true, message = message, where = where },
          { __tostring = function(e) return (e.where and (e.where .. ": ") or "") .. e.message end }), 0)
      end
    end
  end
  args.validate(t.params, "playbook " .. t.name .. " params")
  setmetatable(t, Playbook)
  M.last = t
  return t
end

--- Whether `v` is a declared playbook.
function M.is(v) return getmetatable(v) == Playbook end

--- The values a person typed for the running playbook's text parameters (lower case → its option,
--- `--invoice`): `pc` reports an object Partner Center does not know by one of them as that
--- option's input error (exit 2).
M.inputs = {}

--- How the run was asked for (`pcx run FILE` for a playbook file; set by pcx), else nil.
M.command = nil

--- Help text for a playbook.
function M.help(pb)
  local command = M.command or ("pcx playbook run " .. pb.name)
  return args.help(pb.params, { usage = command .. " [options]", summary = pb.summary .. (pb.description and ("\n\n" .. pb.description) or "") })
end

-- Where the playbook writes (parameters declared `output = "file"` or `"directory"`) is checked
-- before it makes any call: under an --allow-write directory, not pcx's own files; a missing
-- directory is created. A refusal is the input error of that parameter (exit 2). URLs (a
-- postgres:// target) are the playbook's to check.
local function check_outputs(pb, params)
  for _, name in ipairs(args.sorted_names(pb.params)) do
    local d, value = pb.params[name], params[name]
    if d.output and type(value) == "string" and not value:find("^%a[%w+.-]*://") then
      local ok, problem, hint = require("pcx.sys").prepare_output(value, d.output)
      if not ok then
        local pc = require "pc"
        error(pc.errors.new { code = "invalid_argument", input = true,
          message = "--" .. name:gsub("_", "-") .. " " .. value .. ": " .. tostring(problem), hint = hint }, 0)
      end
    end
  end
end

-- Records the text values typed for the playbook's parameters (see M.inputs).
local function record_inputs(pb, params)
  for name, d in pairs(pb.params) do
    local flag, value = "--" .. name:gsub("_", "-"), params[name]
    if (d.type == "string" or d.type == "customer") and type(value) == "string" and value ~= d.default then
      M.inputs[value:lower()] = flag
    elseif d.type == "list" and type(value) == "table" then
      for _, item in ipairs(value) do if type(item) == "string" then M.inputs[item:lower()] = flag end end
    end
  end
end

--- Parses argv against the playbook's parameters and runs it.
function M.run(pb, argv, preset)
  local ok, params, extra = pcall(args.parse, pb.params, argv, preset)
  if ok and extra and #extra > 0 then
    -- a word that belongs to no option (`--customer Fabrikam Corp`) would be silently dropped
    local words = {}
    for i, w in ipairs(extra) do words[i] = "'" .. w .. "'" end
    local example = "--name \"two words\""
    for name in pairs(pb.params) do
      if name == "customer" then example = "--customer \"Fabrikam Corp\"" end
    end
    ok, params = false, string.format("unexpected argument%s %s: every value follows its option; quote a value with spaces (%s)",
      #extra == 1 and "" or "s", table.concat(words, ", "), example)
  end
  if not ok then
    error(setmetatable({ usage = true, message = tostring(params), help = M.help(pb) }, { __tostring = function(e) return e.message end }), 0)
  end
  check_outputs(pb, params)
  record_inputs(pb, params)
  -- a `customer` parameter takes a tenant id, a domain or a company name; the playbook sees the id
  -- (a tenant id is handed on as it is: the playbook's own first call checks it, with no extra call;
  -- pc reports one Partner Center does not know as this option's input error, exit 2)
  for name, d in pairs(pb.params) do
    if d.type == "customer" and type(params[name]) == "string" and not args.is_tenant_id(params[name]) then
      local pc = require "pc"
      local found, c = pcall(pc.customers.find, params[name])
      if not found then
        if type(c) == "table" then c.message = "--" .. name:gsub("_", "-") .. ": " .. tostring(c.message) end
        error(c, 0)
      end
      params[name] = c.id
    end
  end
  return pb.run(params)
end

--- A machine-readable description (for `pcx playbook show --json`).
function M.describe(pb)
  local params = {}
  for _, name in ipairs(args.sorted_names(pb.params)) do
    local d = pb.params[name]
    params[#params + 1] = { name = name, type = d.type or "string", required = d.required or false,
      default = d.default, choices = d.choices, min = d.min, max = d.max, help = d.help }
  end
  return { name = pb.name, summary = pb.summary, description = pb.description, params = params }
end

--- Prints `value` in the run's -o format: JSON for -o json (--json), rows for -o csv|tsv (the
--- value as output.rows_of reads it), else calls `text(value)` (or prints it). Playbooks with
--- rows of their own call output.emit with rows and columns.
function M.emit(value, text)
  output.emit(value, { text = text or print })
end

--- Formats rows as an aligned text table: columns = { {"Header", "key"}, ... } (output.table).
function M.table(rows, columns)
  return output.table(rows, columns)
end

M.Playbook = Playbook
return M

-- The REPL's Lua side: evaluation with lua.c's conventions, completion, error display.
local json = require "json"
local has_inspect, inspect = pcall(require, "inspect")
if not has_inspect then inspect = function(v) return json.encode(v, { indent = true }) end end
local M = {}

-- In the REPL the stdlib modules are globals, loaded on first use.
local AUTO = { money = true, date = true, csv = true, json = true, inspect = true, log = true, args = true,
  progress = true, reservations = true, output = true, playbook_lib = false }
-- (after the prelude's own lazy globals, `pc` and `playbook`)
local prelude_index = (getmetatable(_G) or {}).__index
setmetatable(_G, { __index = function(t, k)
  if AUTO[k] then
    local ok, m = pcall(require, k)
    if ok then rawset(_G, k, m) return m end
  end
  if prelude_index then return prelude_index(t, k) end
end })

local function show(v)
  if json.is_record(v) then v = json.materialize(v) end   -- a line item: shown as its table
  if type(v) == "table" and getmetatable(v) and getmetatable(v).__tostring then return tostring(v) end
  if type(v) == "table" then return inspect(v) end
  if v == json.null then return "null" end
  if type(v) == "string" then return string.format("%q", v) end
  return tostring(v)
end

-- An error as pcx prints it everywhere (pcx's one renderer), without the "pcx: " prefix.
local function describe_error(e)
  if type(e) == "table" and e.code and e.message then
    return (require("pc").errors.format(e):gsub("^pcx: ", ""))
  end
  return tostring(e)
end

local function identity(...) return ... end

-- Evaluates source. Returns "ok", text | "incomplete" | "error", text.
function M.eval(src)
  if src:sub(1, 1) == "=" then src = "return " .. src:sub(2) end
  -- an expression is evaluated as an argument of an identity function, not as `return EXPR`:
  -- a tail call would drop the typed line from the stack, and errors would point into the stdlib
  local chunk = load("return (...)(" .. src .. "\n)", "=stdin", "t")
  local arg = identity
  if not chunk then
    local err
    chunk, err = load(src, "=stdin", "t")
    arg = nil
    if not chunk then
      if err:find("<eof>$") then return "incomplete" end
      return "error", err
    end
  end
  local r = table.pack(pcall(chunk, arg))
  if not r[1] then return "error", describe_error(r[2]) end
  local out = {}
  for i = 2, r.n do out[#out + 1] = show(r[i]) end
  return "ok", table.concat(out, "\t")
end

-- `pcx eval`: runs the source pcx compiled (errors are not caught: pcx reports them at eval:LINE)
-- and prints its values as `=expr` shows them, or in the run's -o format (json, csv, tsv).
function M.print_eval(src, format)
  local chunk = assert(load(src, "=eval", "t"))
  local r = table.pack(chunk())
  if r.n == 0 then return end
  if format == "table" then
    local out = {}
    for i = 1, r.n do out[i] = show(r[i]) end
    print(table.concat(out, "\t"))
    return
  end
  local value = r[1]
  if r.n > 1 then
    value = json.array()
    for i = 1, r.n do value[i] = r[i] == nil and json.null or r[i] end
  elseif value == nil then
    value = json.null
  end
  require("output").emit(value, { format = format })
end

-- Completion candidates for the word `text` ("pc.inv", "money.", "pri").
function M.complete(text)
  local path, sep, last = text:match("^(.*)([%.:])([%w_]*)$")
  local scope = _G
  if path then
    for part in path:gmatch("[^%.:]+") do
      local ok, v = pcall(function() return scope[part] end)
      if ok and json.is_record(v) then v = json.materialize(v) end
      if not ok or type(v) ~= "table" then return {} end
      scope = v
    end
  else
    last, path, sep = text, "", ""
  end
  local out, seen = {}, {}
  local function add(t)
    for k, v in pairs(t) do
      if type(k) == "string" and k:sub(1, #last) == last and not seen[k] and k:match("^[%a_][%w_]*$") then
        seen[k] = true
        out[#out + 1] = path .. sep .. k .. (type(v) == "table" and "." or "")
      end
    end
  end
  add(scope)
  if scope == _G then
    for _, m in ipairs({ "pc", "money", "date", "csv", "json", "inspect", "log", "args", "progress", "reservations", "output",
      "playbook" }) do
      if m:sub(1, #last) == last and not seen[m] then out[#out + 1] = m .. "."; seen[m] = true end
    end
  end
  table.sort(out)
  return out
end

return M

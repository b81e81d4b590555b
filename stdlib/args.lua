-- args: declared parameters for scripts and playbooks.
--
-- A declaration maps each parameter name to {type, required, default, choices, min, max, help}.
-- Types: "string", "integer", "number", "boolean", "decimal" (exact text, for money), "list",
-- "customer" (a non-empty tenant id, domain or company name; a playbook resolves it to the tenant
-- id with pc.customers.find)
-- (comma-separated strings). args.parse(spec, argv) reads `--name value`, `--name=value`,
-- `--flag`, `--no-flag`; names may use '-' or '_'. Every problem raises one error that names the
-- parameter and says how to fix it, with a suggestion for misspelt names.
local M = {}

--- Whether `text` is a tenant id (a GUID), as a `customer` value may be.
function M.is_tenant_id(text)
  return type(text) == "string" and text:find("^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$") ~= nil
end

local type, tostring, tonumber, error, pairs, ipairs = type, tostring, tonumber, error, pairs, ipairs
local sformat, smatch, sgsub, srep, ssub = string.format, string.match, string.gsub, string.rep, string.sub
local tconcat, tsort = table.concat, table.sort
local math_type, huge, mininteger, maxinteger = math.type, math.huge, math.mininteger, math.maxinteger

local TYPES = { string = true, integer = true, number = true, boolean = true, decimal = true, list = true, customer = true }

local function canon(name) return (sgsub(name, "-", "_")) end
local function flag(name) return "--" .. sgsub(name, "_", "-") end

--- Edit distance between two strings (for "did you mean").
local function distance(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = { [0] = i }
    for j = 1, #b do
      local cost = ssub(a, i, i) == ssub(b, j, j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev = cur
  end
  return prev[#b]
end
M.distance = distance

--- The closest of `names` to `word`, or nil when nothing is close.
function M.suggest(word, names)
  local best, bestd
  for _, n in ipairs(names) do
    local d = distance(word, n)
    if d <= math.max(2, #word // 3) and (not bestd or d < bestd) then best, bestd = n, d end
  end
  return best
end

local function sorted_names(spec)
  local names = {}
  for k in pairs(spec) do names[#names + 1] = k end
  tsort(names, function(a, b)
    local ra, rb = spec[a].required and 0 or 1, spec[b].required and 0 or 1
    if ra ~= rb then return ra < rb end
    local oa, ob = spec[a].order or math.huge, spec[b].order or math.huge
    if oa ~= ob then return oa < ob end
    return a < b
  end)
  return names
end
M.sorted_names = sorted_names

--- Checks a declaration; raises on a malformed one (for playbook authors).
function M.validate(spec, where)
  where = where or "params"
  if type(spec) ~= "table" then error(where .. ": expected a table of parameter declarations", 3) end
  for name, d in pairs(spec) do
    if type(name) ~= "string" or not smatch(name, "^[%a_][%w_%-]*$") then
      error(where .. ": parameter names must be identifiers, got " .. tostring(name), 3)
    end
    if type(d) ~= "table" then error(where .. "." .. name .. ": expected a table like {type = \"string\"}", 3) end
    d.type = d.type or "string"
    if not TYPES[d.type] then
      error(sformat("%s.%s: unknown type '%s' (string, integer, number, boolean, decimal, list)", where, name, tostring(d.type)), 3)
    end
    for k in pairs(d) do
      if not ({ type = 1, required = 1, default = 1, choices = 1, min = 1, max = 1, help = 1, order = 1, secret = 1, metavar = 1,
                output = 1 })[k] then
        error(sformat("%s.%s: unknown field '%s'", where, name, tostring(k)), 3)
      end
    end
    if d.output ~= nil and d.output ~= "file" and d.output ~= "directory" then
      error(sformat("%s.%s: output must be \"file\" or \"directory\", got %s", where, name, tostring(d.output)), 3)
    end
  end
  return spec
end

-- Integer text: an optional sign and decimal digits, nothing else (tonumber would also take hex
-- such as 0x10, exponents such as 1e2 and surrounding spaces). Returns the integer, or nil and
-- whether the text had the right shape but does not fit in an integer.
local function to_integer(raw)
  if math_type(raw) == "integer" then return raw end
  if type(raw) ~= "string" or not smatch(raw, "^[+-]?%d+$") then return nil, false end
  local v = tonumber(raw)
  if math_type(v) ~= "integer" then return nil, true end -- too many digits: Lua made it a float
  return v
end

-- Number text: an optional sign, decimal digits with an optional fraction and an optional
-- decimal exponent (1500, -0.25, .5, 2.5e3). No hex, no inf or nan, no spaces; a value too large
-- for a float (1e999) is refused too.
local function to_number(raw)
  local v
  if type(raw) == "number" then
    v = raw
  elseif type(raw) == "string" then
    local mantissa = smatch(raw, "^([+-]?%d*%.?%d*)[eE][+-]?%d+$") or raw
    if smatch(mantissa, "^[+-]?%d+%.?%d*$") or smatch(mantissa, "^[+-]?%.%d+$") then v = tonumber(raw) end
  end
  if v == nil or v ~= v or v == huge or v == -huge then return nil end
  return v
end

local function convert(name, d, raw)
  local t = d.type or "string"
  local v
  if t == "string" then
    if type(raw) == "string" and not smatch(raw, "%S") then
      error(sformat("%s needs a value, got an empty string (is a variable empty?)", flag(name)), 0)
    end
    v = raw
  elseif t == "customer" then
    if type(raw) ~= "string" or not smatch(raw, "%S") then
      error(sformat("%s expects a customer: a tenant id, a domain or a company name, got '%s'", flag(name), tostring(raw)), 0)
    end
    v = smatch(raw, "^%s*(.-)%s*$")
  elseif t == "integer" then
    local range
    v, range = to_integer(raw)
    if v == nil then
      if range then
        error(sformat("%s expects a whole number from %d to %d, got '%s'", flag(name), mininteger, maxinteger, tostring(raw)), 0)
      end
      error(sformat("%s expects a whole number, got '%s'", flag(name), tostring(raw)), 0)
    end
  elseif t == "number" then
    v = to_number(raw)
    if v == nil then error(sformat("%s expects a number, got '%s'", flag(name), tostring(raw)), 0) end
  elseif t == "decimal" then
    if not smatch(raw, "^[+-]?%d+%.?%d*$") and not smatch(raw, "^[+-]?%.%d+$") then
      error(sformat("%s expects a decimal amount such as 1500.00, got '%s'", flag(name), tostring(raw)), 0)
    end
    v = raw
  elseif t == "boolean" then
    local l = raw:lower()
    if l == "true" or l == "yes" or l == "1" or l == "on" then v = true
    elseif l == "false" or l == "no" or l == "0" or l == "off" then v = false
    else error(sformat("%s expects true or false, got '%s'", flag(name), raw), 0) end
  elseif t == "list" then
    v = {}
    for item in (raw .. ","):gmatch("([^,]*),") do
      item = item:match("^%s*(.-)%s*$")
      if item ~= "" then v[#v + 1] = item end
    end
  end
  if d.choices then
    local values = t == "list" and v or { v }
    for idx, item in ipairs(values) do
      local ok = false
      for _, c in ipairs(d.choices) do
        if c == item or (type(c) == "string" and type(item) == "string" and c:lower() == item:lower()) then
          ok = true
          values[idx] = c -- the declared spelling
          break
        end
      end
      if not ok then
        local strs = {}
        for i, c in ipairs(d.choices) do strs[i] = tostring(c) end
        error(sformat("%s must be one of %s, got '%s'", flag(name), tconcat(strs, ", "), tostring(item)), 0)
      end
    end
    if t ~= "list" then v = values[1] end
  end
  if (t == "integer" or t == "number") then
    if d.min and v < d.min then error(sformat("%s must be at least %s, got %s", flag(name), tostring(d.min), tostring(v)), 0) end
    if d.max and v > d.max then error(sformat("%s must be at most %s, got %s", flag(name), tostring(d.max), tostring(v)), 0) end
  end
  return v
end

--- Parses `argv` (an array of strings) against `spec`. Returns the values table and the array of
--- positional arguments. Raises a usage error (a string, level 0) on any problem.
--- Values already given in `preset` (a table) count as supplied.
function M.parse(spec, argv, preset)
  M.validate(spec, "params")
  argv = argv or {}
  local out, positional = {}, {}
  local names = sorted_names(spec)
  local i = 1
  while i <= #argv do
    local a = argv[i]
    if type(a) ~= "string" then error("arguments must be strings", 0) end
    if a == "--" then
      for j = i + 1, #argv do positional[#positional + 1] = argv[j] end
      break
    end
    local key, val = smatch(a, "^%-%-([^=]+)=(.*)$")
    if not key then key = smatch(a, "^%-%-(.+)$") end
    if key then
      local name = canon(key)
      local negated = false
      if not spec[name] and ssub(name, 1, 3) == "no_" and spec[ssub(name, 4)] and spec[ssub(name, 4)].type == "boolean" then
        name, negated = ssub(name, 4), true
      end
      local d = spec[name]
      if not d then
        local s = M.suggest(name, names)
        error(sformat("unknown option --%s%s", key, s and (" (did you mean " .. flag(s) .. "?)") or ""), 0)
      end
      if d.type == "boolean" and val == nil then
        out[name] = not negated
      else
        if negated then error(flag(name) .. " takes no value when negated", 0) end
        if val == nil then
          i = i + 1
          val = argv[i]
          if val == nil then error(flag(name) .. " needs a value", 0) end
          if type(val) ~= "string" then error("arguments must be strings", 0) end
          -- `--subscription --azure-plan` (an empty shell variable) must not take an option
          -- as its value: a declared option's name is never a value here
          local next_key = smatch(val, "^%-%-([^=]+)")
          local next_name = next_key and canon(next_key)
          if next_name and (spec[next_name] or (ssub(next_name, 1, 3) == "no_" and spec[ssub(next_name, 4)])) then
            error(sformat("%s needs a value, but the next word is the option --%s (is a variable empty?); "
              .. "a value that starts with -- is given as %s=VALUE", flag(name), next_key, flag(name)), 0)
          end
        end
        out[name] = convert(name, d, val)
      end
    else
      positional[#positional + 1] = a
    end
    i = i + 1
  end
  if preset then
    for k, v in pairs(preset) do
      local name = canon(k)
      if not spec[name] then
        local s = M.suggest(name, names)
        error(sformat("unknown parameter '%s'%s", k, s and (" (did you mean '" .. s .. "'?)") or ""), 0)
      end
      if out[name] == nil then
        local t = spec[name].type
        -- strings are parsed like command-line text (so "false" is false and choices are
        -- normalised); numbers are range-checked; other values are taken as given
        if type(v) == "string" or (type(v) == "number" and (t == "integer" or t == "number")) then
          v = convert(name, spec[name], v)
        end
        out[name] = v
      end
    end
  end
  local missing = {}
  for _, name in ipairs(names) do
    local d = spec[name]
    if out[name] == nil then
      if d.default ~= nil then out[name] = d.default
      elseif d.required then missing[#missing + 1] = flag(name) end
    end
  end
  if #missing > 0 then
    error("missing required " .. (#missing == 1 and "option " or "options ") .. tconcat(missing, ", "), 0)
  end
  return out, positional
end

--- Help text for a declaration: one line per parameter with type, default, choices.
function M.help(spec, opts)
  opts = opts or {}
  local lines = {}
  if opts.usage then lines[#lines + 1] = "usage: " .. opts.usage end
  if opts.summary then lines[#lines + 1] = opts.summary end
  if #lines > 0 then lines[#lines + 1] = "" end
  local names = sorted_names(spec)
  local left = {}
  local width = 0
  for i, name in ipairs(names) do
    local d = spec[name]
    local l = flag(name)
    local t = d.type or "string" -- help may be asked for before parse() has filled in the default type
    if t ~= "boolean" then l = l .. " " .. (d.metavar or (t == "string" and "VALUE" or t:upper())) end
    left[i] = l
    if #l > width then width = #l end
  end
  if #names > 0 then lines[#lines + 1] = "options:" end
  for i, name in ipairs(names) do
    local d = spec[name]
    local extras = {}
    if d.required then extras[#extras + 1] = "required" end
    if d.default ~= nil then extras[#extras + 1] = "default: " .. tostring(d.default) end
    if d.choices then
      local strs = {}
      for j, c in ipairs(d.choices) do strs[j] = tostring(c) end
      extras[#extras + 1] = "one of: " .. tconcat(strs, ", ")
    end
    if d.min then extras[#extras + 1] = "min: " .. tostring(d.min) end
    if d.max then extras[#extras + 1] = "max: " .. tostring(d.max) end
    local text = d.help or ""
    if #extras > 0 then text = text .. (text ~= "" and " " or "") .. "(" .. tconcat(extras, "; ") .. ")" end
    lines[#lines + 1] = "  " .. left[i] .. (text ~= "" and (srep(" ", width - #left[i] + 2) .. text) or "")
  end
  return tconcat(lines, "\n")
end

return M

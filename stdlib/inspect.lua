-- inspect: a readable, deterministic rendering of any Lua value (the REPL's printer).
--   inspect(value [, options]) -> string     (also inspect.inspect)
-- Keys are sorted (numbers, then strings, then the rest), arrays print without keys, strings are
-- quoted, json.null prints as `null`, cycles print as <cycle>, and depth/width limits keep huge
-- values short. See stdlib/meta/inspect.lua for the options.
local type, tostring, tonumber, pairs, ipairs, next, rawget, rawlen, getmetatable, pcall, require =
  type, tostring, tonumber, pairs, ipairs, next, rawget, rawlen, getmetatable, pcall, require
local sort, concat = table.sort, table.concat
local format, byte, gsub, find = string.format, string.byte, string.gsub, string.find
local math_type = math.type

local ok_json, json = pcall(require, "json")
local null = ok_json and json.null or nil
-- a line item read from a page is a json.record (decoded field by field): shown as its table
local materialize = ok_json and json.materialize   -- a record's table; any other value as it is

local M = {}

local escapes = { ["\\"] = "\\\\", ['"'] = '\\"', ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function quote(s)
  return '"' .. gsub(s, '[%c\\"]', function(c)
    return escapes[c] or format("\\%03d", byte(c))
  end) .. '"'
end

local keywords = {}
for w in ("and break do else elseif end false for function goto if in local nil not or repeat return then true until while"):gmatch("%a+") do
  keywords[w] = true
end

local function is_identifier(s)
  return type(s) == "string" and find(s, "^[%a_][%w_]*$") ~= nil and not keywords[s]
end

local type_order = { number = 1, string = 2, boolean = 3 }

local function key_less(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then
    return (type_order[ta] or 9) < (type_order[tb] or 9) or
      ((type_order[ta] or 9) == (type_order[tb] or 9) and ta < tb)
  end
  if ta == "number" or ta == "string" then return a < b end
  if ta == "boolean" then return (not a) and b end
  return tostring(a) < tostring(b)
end

local function scalar(v)
  local t = type(v)
  if t == "string" then return quote(v) end
  if t == "number" then
    if math_type(v) == "float" then
      if v ~= v then return "nan" end
      if v == 1 / 0 then return "inf" end
      if v == -1 / 0 then return "-inf" end
      local s = format("%.14g", v)
      if tonumber(s) ~= v then s = format("%.17g", v) end
      if not find(s, "[%.eEn]") then s = s .. ".0" end
      return s
    end
    return tostring(v)
  end
  if v == nil then return "nil" end
  if t == "boolean" then return tostring(v) end
  if null ~= nil and v == null then return "null" end
  return "<" .. t .. ">"
end

local function metaname(t)
  local mt = getmetatable(t)
  if type(mt) ~= "table" then return nil end
  local name = rawget(mt, "__name")
  if type(name) == "string" and not find(name, "^json%.") then return name end
  return nil
end

local function render(v, opts, depth, path, indent)
  if materialize then v = materialize(v) end
  if type(v) ~= "table" then return scalar(v) end
  if path[v] then return "<cycle>" end
  local name = metaname(v)
  local prefix = name and (name .. " ") or ""
  if next(v) == nil then return prefix .. "{}" end
  if depth >= opts.depth then return prefix .. "{...}" end
  path[v] = true
  local n = rawlen(v)
  local items, count, shown = {}, 0, 0
  local inner = indent .. opts.indent
  local max = opts.max_items
  for i = 1, n do
    count = count + 1
    if shown < max then
      shown = shown + 1
      items[#items + 1] = render(rawget(v, i), opts, depth + 1, path, inner)
    end
  end
  local keys = {}
  for k in next, v do
    if not (math_type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  sort(keys, key_less)
  for _, k in ipairs(keys) do
    count = count + 1
    if shown < max then
      shown = shown + 1
      local ks = is_identifier(k) and k or ("[" .. render(k, opts, opts.depth, path, inner) .. "]")
      items[#items + 1] = ks .. " = " .. render(rawget(v, k), opts, depth + 1, path, inner)
    end
  end
  if count > shown then items[#items + 1] = format("... (%d more)", count - shown) end
  path[v] = nil
  local one_line = prefix .. "{ " .. concat(items, ", ") .. " }"
  if opts.compact or (#one_line + #indent <= opts.width and not find(one_line, "\n", 1, true)) then
    return one_line
  end
  return prefix .. "{\n" .. inner .. concat(items, ",\n" .. inner) .. "\n" .. indent .. "}"
end

--- Renders `value` as text. See stdlib/meta/inspect.lua.
function M.inspect(value, options)
  local opts = {
    depth = 8, max_items = 200, width = 80, indent = "  ", compact = false,
  }
  if options ~= nil then
    if type(options) ~= "table" then
      error("inspect: options must be a table like {depth = 3}", 2)
    end
    for k, v in pairs(options) do
      if opts[k] == nil then error("inspect: unknown option '" .. tostring(k) .. "'", 2) end
      opts[k] = v
    end
  end
  return render(value, opts, 0, {}, "")
end

return setmetatable(M, { __call = function(_, value, options) return M.inspect(value, options) end })

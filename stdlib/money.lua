-- money: exact decimal amounts with a currency.
--
-- An amount is an integer coefficient and a decimal scale (digits after the point), so
-- 16.50 USD is {coef = 1650, scale = 2, currency = "USD"}. Arithmetic never goes through binary
-- floating point: sums of invoice line items match the invoice to the last digit. A float read
-- from JSON is converted through its shortest round-trip decimal text, which recovers any decimal
-- of up to 15 significant digits exactly. Mixing currencies is an error, as is overflow.
local M = {}

local type, tostring, tonumber, error, setmetatable, getmetatable = type, tostring, tonumber, error, setmetatable, getmetatable
local math_type, mininteger, floor, math_tointeger = math.type, math.mininteger, math.floor, math.tointeger
local sformat, smatch, srep, ssub, supper = string.format, string.match, string.rep, string.sub, string.upper

local MAX_SCALE = 18
local POW10 = { [0] = 1 }
for i = 1, MAX_SCALE do POW10[i] = POW10[i - 1] * 10 end

local Money = {}
Money.__index = Money
Money.__name = "money"

local function is_money(v) return getmetatable(v) == Money end
M.is_money = is_money

local function overflow(what)
  error("money: overflow in " .. what .. " (amount too large for exact 64-bit arithmetic)", 3)
end

local function mul_int(a, b, what)
  if a == 0 or b == 0 then return 0 end
  local r = a * b
  if (a == -1 and b == mininteger) or (b == -1 and a == mininteger) or r // b ~= a then overflow(what) end
  return r
end

local function add_int(a, b, what)
  local r = a + b
  if (b > 0 and r < a) or (b < 0 and r > a) then overflow(what) end
  return r
end

local function neg_int(a, what)
  if a == mininteger then overflow(what) end
  return -a
end

-- 10^k for 0 <= k <= 18; larger powers do not fit in 64 bits.
local function pow10(k, what)
  local p = POW10[k]
  if not p then overflow(what) end
  return p
end

local MODES = { half_up = true, half_even = true, half_down = true, up = true, down = true, floor = true, ceiling = true }
local function check_mode(mode, level)
  if mode ~= nil and not MODES[mode] then
    error("money: unknown rounding mode '" .. tostring(mode) .. "' (half_up, half_even, half_down, up, down, floor, ceiling)", level)
  end
end

local function check_places(places, level)
  if math_type(places) ~= "integer" or places < 0 or places > MAX_SCALE then
    error("money: places must be an integer from 0 to 18, got " .. tostring(places), level)
  end
end

local function make(coef, scale, currency)
  return setmetatable({ coef = coef, scale = scale, currency = currency }, Money)
end

-- Parses decimal text ("16.5", "-0.0001", "1e-3", "1,234.50" is refused) into coef, scale.
local function parse_decimal(text, level)
  local s = text:gsub("^%s+", ""):gsub("%s+$", "")
  local mant, exp = smatch(s, "^([^eE]*)[eE]([+-]?%d+)$")
  if not mant then mant, exp = s, "" end
  local sign, int, frac = smatch(mant, "^([+-]?)(%d*)%.?(%d*)$")
  if not sign or (int == "" and frac == "") then
    error("money: '" .. text .. "' is not a decimal number (use digits with an optional '.' e.g. \"16.50\")", level)
  end
  local digits = int .. frac
  local scale = #frac - (exp ~= "" and tonumber(exp) or 0)
  digits = digits:gsub("^0+(%d)", "%1")
  if scale < 0 then digits = digits .. srep("0", -scale); scale = 0 end
  -- drop trailing zeros beyond what the scale needs only when the text is too long
  while #digits > 18 and scale > 0 and ssub(digits, -1) == "0" do
    digits = ssub(digits, 1, -2); scale = scale - 1
  end
  if #digits > 18 or scale > MAX_SCALE then
    error("money: '" .. text .. "' has more digits than exact arithmetic supports (18 significant, 18 after the point)", level)
  end
  local coef = tonumber(digits) or 0
  if sign == "-" then coef = -coef end
  return coef, scale
end

-- The shortest decimal text that reads back as the same double.
local function shortest(x)
  for p = 15, 17 do
    local s = sformat("%." .. p .. "g", x)
    if tonumber(s) == x then return s end
  end
  return sformat("%.17g", x)
end
M.shortest_decimal = shortest

-- Fast path, exact: below 1e9 with at most 4 decimals, the nearest decimal c/10^s is the only one
-- that reads back as v (doubles are closer together than 10^-4 / 2 there), so c/10^s == v proves
-- it is the shortest round-trip text, without formatting a string. v: a float in (-1e9, 1e9).
-- Returns coef, scale, or nothing when v needs more decimals.
local function small_float(v)
  for sc = 0, 4 do
    local p = POW10[sc]
    local c = floor(v * p + 0.5)
    if c / p == v then return math_tointeger(c), sc end
  end
end

local function to_decimal(v, level)
  local tv = type(v)
  if tv == "number" then
    if math_type(v) == "integer" then return v, 0 end
    if v ~= v or v == math.huge or v == -math.huge then
      error("money: " .. tostring(v) .. " is not a finite amount", level)
    end
    if v > -1e9 and v < 1e9 then
      local c, sc = small_float(v)
      if c then return c, sc end
    end
    return parse_decimal(shortest(v), level + 1)
  elseif tv == "string" then
    return parse_decimal(v, level + 1)
  elseif is_money(v) then
    return v.coef, v.scale
  end
  error("money: expected a number or decimal string, got " .. tv, level)
end

-- Checked currency codes (at most 52^3 entries: only valid 3-letter codes are kept); amounts
-- are made once per line item, so the pattern match is paid once per code, not per call.
local CURRENCIES = {}
local function norm_currency(c, level)
  local known = CURRENCIES[c]
  if known then return known end
  if type(c) ~= "string" or not smatch(c, "^%a%a%a$") then
    error("money: currency must be a 3-letter ISO code such as \"USD\", got " .. tostring(c), level)
  end
  known = supper(c)
  CURRENCIES[c] = known
  return known
end

--- Creates an amount: money.new("16.50", "USD"), money.new(16.5, "EUR"), money.new(3, "GBP").
function M.new(amount, currency)
  -- the common case inline (a float read from JSON; the same test as to_decimal's fast path)
  if math_type(amount) == "float" and amount > -1e9 and amount < 1e9 then
    local cur = CURRENCIES[currency] or norm_currency(currency, 3)
    local c, sc = small_float(amount)
    if c then return setmetatable({ coef = c, scale = sc, currency = cur }, Money) end
  end
  local coef, scale = to_decimal(amount, 3)
  return make(coef, scale, CURRENCIES[currency] or norm_currency(currency, 3))
end

--- Parses "16.50 USD" (or "USD 16.50").
function M.parse(text)
  if type(text) ~= "string" then error("money.parse: expected a string like \"16.50 USD\"", 2) end
  local a, c = smatch(text, "^%s*([^%s]+)%s+(%a%a%a)%s*$")
  if not a then c, a = smatch(text, "^%s*(%a%a%a)%s+([^%s]+)%s*$") end
  if not a then error("money.parse: '" .. text .. "' is not of the form \"16.50 USD\"", 2) end
  return M.new(a, c)
end

--- A zero amount in a currency.
function M.zero(currency) return make(0, 0, norm_currency(currency, 2)) end

local function align(a, b, what)
  if a.scale == b.scale then return a.coef, b.coef, a.scale end
  if a.scale < b.scale then
    return mul_int(a.coef, POW10[b.scale - a.scale], what), b.coef, b.scale
  end
  return a.coef, mul_int(b.coef, POW10[a.scale - b.scale], what), a.scale
end

local function same_currency(a, b, op)
  if not is_money(a) or not is_money(b) then
    error("money: cannot " .. op .. " a money amount and a " .. (is_money(a) and type(b) or type(a)) ..
      " (wrap plain numbers with money.new(x, currency))", 3)
  end
  if a.currency ~= b.currency then
    error("money: cannot " .. op .. " " .. a.currency .. " and " .. b.currency .. " amounts", 3)
  end
end

function Money.__add(a, b)
  -- the common case (a running total): same currency and scale, no overflow
  if getmetatable(a) == Money and getmetatable(b) == Money then
    local x, y, cur = a.coef, b.coef, a.currency
    if a.scale == b.scale and cur == b.currency then
      local r = x + y
      if (y >= 0 and r >= x) or (y < 0 and r < x) then
        return setmetatable({ coef = r, scale = a.scale, currency = cur }, Money)
      end
    end
  end
  same_currency(a, b, "add")
  local x, y, s = align(a, b, "addition")
  return make(add_int(x, y, "addition"), s, a.currency)
end

function Money.__sub(a, b)
  same_currency(a, b, "subtract")
  local x, y, s = align(a, b, "subtraction")
  return make(add_int(x, neg_int(y, "subtraction"), "subtraction"), s, a.currency)
end

function Money.__unm(a) return make(neg_int(a.coef, "negation"), a.scale, a.currency) end

function Money.__mul(a, b)
  if is_money(b) and not is_money(a) then a, b = b, a end
  if is_money(b) then error("money: cannot multiply two money amounts; multiply by a quantity", 2) end
  local coef, scale = to_decimal(b, 3)
  local s = a.scale + scale
  local c = mul_int(a.coef, coef, "multiplication")
  -- beyond 18 digits after the point, truncate toward zero (the same for both signs)
  while s > MAX_SCALE do c = c < 0 and -((-c) // 10) or c // 10; s = s - 1 end
  return make(c, s, a.currency)
end

function Money.__div()
  error("money: use m:div(n, places) so the rounding of a division is explicit", 2)
end

local function cmp(a, b)
  same_currency(a, b, "compare")
  local x, y = align(a, b, "comparison")
  if x < y then return -1 elseif x > y then return 1 end
  return 0
end

function Money.__eq(a, b)
  if not is_money(a) or not is_money(b) or a.currency ~= b.currency then return false end
  return cmp(a, b) == 0
end
function Money.__lt(a, b) return cmp(a, b) < 0 end
function Money.__le(a, b) return cmp(a, b) <= 0 end

--- Compares: -1, 0 or 1.
function Money:cmp(other) return cmp(self, other) end

-- Integer division of coef by 10^k with rounding mode.
local function round_div(c, k, mode)
  if k <= 0 then return mul_int(c, POW10[-k], "rounding") end
  local d = POW10[k]
  local q, r = c // d, c % d -- floor division: r >= 0
  if r == 0 then return q end
  mode = mode or "half_up"
  if mode == "floor" then return q
  elseif mode == "ceiling" then return q + 1
  elseif mode == "down" then return c < 0 and q + 1 or q
  elseif mode == "up" then return c < 0 and q or q + 1
  end
  local twice = 2 * r
  if twice > d then return q + 1 elseif twice < d then return q end
  -- exactly half
  if mode == "half_even" then return (q % 2 == 0) and q or q + 1
  elseif mode == "half_down" then return c < 0 and q + 1 or q
  elseif mode == "half_up" then return c < 0 and q or q + 1
  end
  error("money: unknown rounding mode '" .. tostring(mode) .. "' (half_up, half_even, half_down, up, down, floor, ceiling)", 3)
end

--- Rounds to `places` digits after the point. Modes: half_up (away from zero, default),
--- half_even (banker's), half_down, up, down (toward zero), floor, ceiling.
function Money:round(places, mode)
  places = places or 2
  check_places(places, 3)
  check_mode(mode, 3)
  if places >= self.scale then
    return make(mul_int(self.coef, POW10[places - self.scale], "rounding"), places, self.currency)
  end
  return make(round_div(self.coef, self.scale - places, mode), places, self.currency)
end

--- Divides by a number, rounding the result to `places` digits (default 2) with `mode`.
function Money:div(n, places, mode)
  places = places or 2
  check_places(places, 3)
  check_mode(mode, 3)
  local coef, scale = to_decimal(n, 3)
  if coef == 0 then error("money: division by zero", 2) end
  -- result = self.coef / 10^self.scale / (coef / 10^scale) at `places`
  -- = self.coef * 10^(places + scale - self.scale) / coef
  local shift = places + scale - self.scale
  local num = self.coef
  local den = coef
  if shift >= 0 then num = mul_int(num, pow10(shift, "division"), "division") else den = mul_int(den, pow10(-shift, "division"), "division") end
  if den < 0 then num, den = -num, -den end
  local q, r = num // den, num % den -- q is floored: every mode but floor may raise it by one
  if r ~= 0 and mode ~= "floor" then
    mode = mode or "half_up"
    local twice = 2 * r
    local neg = num < 0
    if mode == "ceiling" then q = q + 1
    elseif mode == "down" then if neg then q = q + 1 end
    elseif mode == "up" then if not neg then q = q + 1 end
    elseif twice > den then q = q + 1
    elseif twice == den then
      if mode == "half_even" then if q % 2 ~= 0 then q = q + 1 end
      elseif mode == "half_up" then if not neg then q = q + 1 end
      elseif mode == "half_down" then if neg then q = q + 1 end
      else error("money: unknown rounding mode '" .. tostring(mode) .. "'", 2) end
    end
  end
  return make(q, places, self.currency)
end

function Money:is_zero() return self.coef == 0 end
function Money:is_negative() return self.coef < 0 end
function Money:abs() return make(self.coef < 0 and neg_int(self.coef, "abs") or self.coef, self.scale, self.currency) end

--- The amount as decimal text without the currency, e.g. "16.50". With `places`, rounds half-up
--- (or pads) to that many digits first.
function Money:amount(places)
  local m = places and self:round(places) or self
  local c, s = m.coef, m.scale
  local neg = c < 0
  local digits
  if c == mininteger then digits = "9223372036854775808" else digits = tostring(neg and -c or c) end
  if s > 0 then
    if #digits <= s then digits = srep("0", s - #digits + 1) .. digits end
    digits = ssub(digits, 1, #digits - s) .. "." .. ssub(digits, #digits - s + 1)
  end
  return (neg and "-" or "") .. digits
end

--- The amount as a float (for display or charts only; loses exactness).
function Money:to_number() return self.coef / POW10[self.scale] end

-- ISO 4217 minor units: the digits after the point each currency is quoted and billed in. The
-- currencies Partner Center bills in are listed; any other code has 2 (ISO's own default).
local MINOR_UNITS = {}
for code in ("AED ARS AUD BDT BGN BRL CAD CHF CNY COP CZK DKK EGP EUR GBP HKD HRK HUF IDR ILS INR KES KZT LKR " ..
    "MAD MXN MYR NGN NOK NZD PEN PHP PKR PLN QAR RON RSD RUB SAR SEK SGD THB TRY TWD UAH USD VEF ZAR"):gmatch("%u+") do
  MINOR_UNITS[code] = 2
end
for code in ("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"):gmatch("%u+") do MINOR_UNITS[code] = 0 end
for code in ("BHD IQD JOD KWD LYD OMR TND"):gmatch("%u+") do MINOR_UNITS[code] = 3 end
for code in ("CLF UYW"):gmatch("%u+") do MINOR_UNITS[code] = 4 end

--- The digits after the point of a currency (ISO 4217): 2 for USD, 0 for JPY, 3 for KWD; 2 for
--- a currency pcx does not list. The second result says whether pcx lists it.
function M.minor_units(currency)
  local units = MINOR_UNITS[type(currency) == "string" and supper(currency) or currency]
  if units then return units, true end
  return 2, false
end

--- The exact amount as decimal text, padded to the currency's minor units and never rounded:
--- "951.20" (USD 951.2), "1234" (JPY), "0.125" (USD 0.125). What JSON and CSV output carry.
function Money:exact()
  local minor = MINOR_UNITS[self.currency] or 2
  return self:amount(self.scale < minor and minor or nil)
end

--- Formats for display: thousands separators, the currency's minor units (rounded half-up), the
--- code: "1,234.50 USD", "1,234 JPY", "12.345 KWD". opts: places (a number of digits), exact (at
--- least the minor units, and every digit the amount has: never rounded), sep (default ","),
--- code (false: no currency code). Rounding here is display only: the amount itself is unchanged.
function Money:format(opts)
  opts = opts or {}
  local minor = MINOR_UNITS[self.currency] or 2
  local places = opts.places or (opts.exact and math.max(self.scale, minor)) or minor
  local text = self:amount(places)
  local sign, int, rest = smatch(text, "^(-?)(%d+)(.*)$")
  local sep = opts.sep == nil and "," or opts.sep
  if sep ~= "" then
    int = int:reverse():gsub("(%d%d%d)", "%1" .. sep:reverse()):reverse()
    if ssub(int, 1, #sep) == sep then int = ssub(int, #sep + 1) end
  end
  return sign .. int .. rest .. (opts.code == false and "" or " " .. self.currency)
end

function Money:__tostring() return self:amount() .. " " .. self.currency end

--- Sums a list of amounts (all in one currency). An empty list needs `currency`.
function M.sum(list, currency)
  local total = currency and M.zero(currency) or nil
  for i = 1, #list do
    local v = list[i]
    if not is_money(v) then error("money.sum: item " .. i .. " is a " .. type(v) .. ", not a money amount", 2) end
    total = total and total + v or v
  end
  if not total then error("money.sum: empty list and no currency given", 2) end
  return total
end

--- A running total per currency: local t = money.totals(); t:add(m); t:get("USD"); t:currencies().
function M.totals()
  local by = {}
  local order = {}
  local T = {}
  -- The totals live in the upvalues `by` and `order`, not in `self`; the methods keep the `:`
  -- signature scripts call them with.
  -- luacheck: push no self
  function T:add(m)
    if not is_money(m) then error("totals:add expects a money amount", 2) end
    local cur = by[m.currency]
    if cur then by[m.currency] = cur + m else by[m.currency] = m; order[#order + 1] = m.currency end
    return self
  end
  function T:get(currency) return by[supper(currency)] or M.zero(currency) end
  function T:currencies()
    local copy = {}
    for i = 1, #order do copy[i] = order[i] end
    table.sort(copy)
    return copy
  end
  function T:totals() local r = {} for k, v in pairs(by) do r[k] = v end return r end
  -- luacheck: pop
  return T
end

--- Converts a value to money if it is not already one (for fields such as unitPrice).
function M.of(v, currency)
  if is_money(v) then
    if currency and v.currency ~= supper(currency) then
      error("money: amount is in " .. v.currency .. ", expected " .. supper(currency), 2)
    end
    return v
  end
  return M.new(v, currency)
end

M.Money = Money
return M

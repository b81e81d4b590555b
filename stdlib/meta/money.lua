---@meta money

-- LuaLS type stubs for stdlib/money.lua. Editors read these; the REPL's `:help NAME` prints the
-- comment block above each `function`. Nothing here runs.

---Exact decimal amounts with a currency.
---
---An amount is an integer coefficient and a decimal scale, so 16.50 USD is
---`{coef = 1650, scale = 2, currency = "USD"}`. Arithmetic never goes through binary floating
---point; a float read from JSON is converted through its shortest round-trip text, which recovers
---any decimal of up to 15 significant digits exactly. Mixing currencies is an error, as is
---overflow of the 64-bit coefficient (at most 18 significant digits, 18 after the point).
---@class money
---@field Money money.Money the metatable shared by all amounts
local money = {}

---How `round`, `div` and `amount` settle a value between two neighbours:
---half_up (ties away from zero, the default), half_even (banker's), half_down (ties toward zero),
---up (away from zero), down (toward zero), floor (toward -inf), ceiling (toward +inf).
---@alias money.RoundingMode "half_up"|"half_even"|"half_down"|"up"|"down"|"floor"|"ceiling"

---An exact decimal amount in one currency. Operators: `+`, `-` (same currency only), unary `-`,
---`*` by a number or decimal text, `==`, `<`, `<=` (same currency only; `==` is false across
---currencies). `/` raises: use `m:div(n, places, mode)` so the rounding is explicit.
---@class money.Money
---@field coef integer the digits as an integer (1650 for 16.50)
---@field scale integer digits after the point, 0..18 (2 for 16.50)
---@field currency string upper-case 3-letter ISO code ("USD")
---@operator add(money.Money): money.Money
---@operator sub(money.Money): money.Money
---@operator unm: money.Money
---@operator mul(number|string): money.Money
local Money = {}

---The digits after the point of a currency (ISO 4217 minor units): 2 for USD and EUR, 0 for JPY
---and KRW, 3 for KWD and BHD. A currency pcx does not list has 2; the second result says whether
---pcx lists it.
---
--- example:
---```lua
---print(money.minor_units("JPY"))   --> 0	true
---print(money.minor_units("kwd"))   --> 3	true
---```
---@param currency string 3-letter ISO code, any case
---@return integer units
---@return boolean listed
function money.minor_units(currency) end

---A running total per currency, from `money.totals()`.
---@class money.Totals
local Totals = {}

---Creates an amount from decimal text, a number or another amount.
---
---Text may have a sign, a point and an exponent ("16.50", "-0.0001", "1e-3"); thousands
---separators are refused. Integers are exact; floats go through their shortest round-trip text.
---
--- example:
---```lua
---local price = money.new("16.50", "USD")
---local from_json = money.new(0.1, "usd")   -- 0.1 USD, exactly
---print(price + from_json)                    --> 16.60 USD
---```
---@param amount string|number|money.Money decimal text, an integer, a finite float, or an amount
---@param currency string 3-letter ISO code in any case ("USD", "eur")
---@return money.Money
function money.new(amount, currency) end

---Parses an amount written with its currency: "16.50 USD" or "USD 16.50".
---
--- example:
---```lua
---local m = money.parse("1234.50 EUR")
---print(m:format())                            --> 1,234.50 EUR
---```
---@param text string amount and currency separated by spaces
---@return money.Money
function money.parse(text) end

---A zero amount in a currency (scale 0).
---
--- example:
---```lua
---local lines = { { amount = "1.10" }, { amount = 2.2 } }
---local total = money.zero("USD")
---for _, line in ipairs(lines) do total = total + money.new(line.amount, "USD") end
---print(total)   --> 3.30 USD
---```
---@param currency string 3-letter ISO code
---@return money.Money
function money.zero(currency) end

---Whether a value is a money amount.
---
--- example:
---```lua
---print(money.is_money(money.new(1, "USD")), money.is_money(1))   --> true  false
---```
---@param v any
---@return boolean
function money.is_money(v) end

---The shortest decimal text that reads back as the same double (what `money.new` uses for floats).
---
--- example:
---```lua
---print(money.shortest_decimal(0.1))         --> 0.1
---print(money.shortest_decimal(0.1 + 0.2))   --> 0.30000000000000004
---```
---@param x number a float
---@return string
function money.shortest_decimal(x) end

---Sums a list of amounts, all in one currency. An empty list needs `currency`.
---
--- example:
---```lua
---local total = money.sum({ money.new("1.10", "USD"), money.new("2.20", "USD") })
---print(total)                                 --> 3.30 USD
---print(money.sum({}, "USD"))                  --> 0 USD
---```
---@param list money.Money[] amounts in one currency
---@param currency? string required when `list` may be empty
---@return money.Money
function money.sum(list, currency) end

---A running total per currency: `t:add(m)`, `t:get("USD")`, `t:currencies()`, `t:totals()`.
---
--- example:
---```lua
---local items = { { totalForCustomer = 10.5, currency = "USD" }, { totalForCustomer = "3", currency = "EUR" } }
---local t = money.totals()
---for _, item in ipairs(items) do t:add(money.new(item.totalForCustomer, item.currency)) end
---for _, c in ipairs(t:currencies()) do print(t:get(c):format()) end
---```
---@return money.Totals
function money.totals() end

---Returns `v` if it is already an amount (checking its currency when given), else `money.new(v, currency)`.
---
--- example:
---```lua
---local unit = money.of(16.5, "USD")   -- a line's unitPrice (a float from JSON) or a money amount
---print(unit)   --> 16.5 USD
---```
---@param v string|number|money.Money
---@param currency? string required unless `v` is an amount; must match when both are given
---@return money.Money
function money.of(v, currency) end

---Compares two amounts of the same currency: -1, 0 or 1.
---
--- example:
---```lua
---print(money.new("2", "USD"):cmp(money.new("1.99", "USD")))   --> 1
---```
---@param other money.Money same currency
---@return integer
function Money:cmp(other) end

---Rounds to `places` digits after the point (default 2) with `mode` (default "half_up").
---
--- example:
---```lua
---local m = money.new("2.345", "USD")
---print(m:round())                  --> 2.35 USD
---print(m:round(2, "half_even"))    --> 2.34 USD
---print(m:round(0, "floor"))        --> 2 USD
---```
---@param places? integer 0..18, default 2; more places than the amount has pads with zeros
---@param mode? money.RoundingMode default "half_up"
---@return money.Money
function Money:round(places, mode) end

---Divides by a number, rounding the quotient to `places` digits (default 2) with `mode`.
---
--- example:
---```lua
---local monthly = money.new("100", "USD"):div(3)        --> 33.33 USD
---local share = money.new("10", "USD"):div(3, 4, "down")  --> 3.3333 USD
---```
---@param n number|string the divisor (not zero); decimal text is exact
---@param places? integer 0..18, default 2
---@param mode? money.RoundingMode default "half_up"
---@return money.Money
function Money:div(n, places, mode) end

---Whether the amount is zero.
---
--- example:
---```lua
---local paid, billed = money.new("10.00", "USD"), money.new("10", "USD")
---if (paid - billed):is_zero() then print("settled") end
---```
---@return boolean
function Money:is_zero() end

---Whether the amount is below zero.
---
--- example:
---```lua
---local balance = money.new("-12.50", "USD")
---if balance:is_negative() then print("credit of " .. balance:abs():format()) end
---```
---@return boolean
function Money:is_negative() end

---The absolute value.
---
--- example:
---```lua
---print(money.new("-3.50", "USD"):abs())    --> 3.50 USD
---```
---@return money.Money
function Money:abs() end

---The amount as decimal text without the currency. With `places`, rounds half-up (or pads) first.
---
--- example:
---```lua
---local m = money.new("16.5", "USD")
---print(m:amount())       --> 16.5
---print(m:amount(2))      --> 16.50
---```
---@param places? integer 0..18
---@return string
function Money:amount(places) end

---The exact amount as decimal text, padded to the currency's minor units and never rounded:
---what `-o json` and `-o csv` carry for an amount.
---
--- example:
---```lua
---print(money.new(951.2, "USD"):exact())      --> 951.20
---print(money.new("0.125", "USD"):exact())    --> 0.125
---print(money.new("1234", "JPY"):exact())     --> 1234
---```
---@return string
function Money:exact() end

---The amount as a float, for display or charts only (it loses exactness).
---
--- example:
---```lua
---local spend, budget = money.new("250", "USD"), money.new("1000", "USD")
---local share = spend:to_number() / budget:to_number()   -- a float: for display, never for money
---print(share)   --> 0.25
---```
---@return number
function Money:to_number() end

---Formats for display: thousands separators, the currency's ISO 4217 minor units (2 for USD, 0
---for JPY, 3 for KWD and BHD; rounded half-up), then the currency code. The rounding is for
---display only: the amount itself is never changed (JSON and CSV output carry `m:exact()`).
---
--- example:
---```lua
---local m = money.new("1234567.5", "USD")
---print(m:format())                          --> 1,234,567.50 USD
---print(m:format { places = 0, sep = " " })  --> 1 234 568 USD
---print(money.new("1234", "JPY"):format())   --> 1,234 JPY
---print(money.new("12.345", "KWD"):format()) --> 12.345 KWD
---print(money.new("0.125", "USD"):format { exact = true })  --> 0.125 USD
---```
---@param opts? {places?: integer, exact?: boolean, sep?: string, code?: boolean} places (default: the currency's minor units; rounds half-up), exact (at least the minor units and every digit the amount has, never rounded), sep (default ",", "" for none), code (false: leave the currency code out)
---@return string
function Money:format(opts) end

---Adds an amount to its currency's total; returns the totals for chaining.
---
--- example:
---```lua
---local t = money.totals()
---t:add(money.new("1.10", "USD")):add(money.new("2", "EUR"))
---```
---@param m money.Money
---@return money.Totals
function Totals:add(m) end

---The total for a currency (zero if nothing was added in it).
---
--- example:
---```lua
---local t = money.totals():add(money.new("1.10", "USD"))
---print(t:get("usd"))    --> 1.10 USD
---```
---@param currency string 3-letter ISO code, any case
---@return money.Money
function Totals:get(currency) end

---The currencies seen so far, sorted.
---
--- example:
---```lua
---local t = money.totals():add(money.new("2", "EUR")):add(money.new("1", "USD"))
---for _, c in ipairs(t:currencies()) do print(c, t:get(c)) end
---```
---@return string[]
function Totals:currencies() end

---A copy of the totals as a map from currency code to amount.
---
--- example:
---```lua
---local t = money.totals():add(money.new("2", "EUR"))
---local by_currency = t:totals()   -- { EUR = <money> }
---print(by_currency.EUR)   --> 2 EUR
---```
---@return table<string, money.Money>
function Totals:totals() end

return money

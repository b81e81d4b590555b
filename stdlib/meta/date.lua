---@meta date

-- LuaLS type stubs for stdlib/date.lua. Editors read these; the REPL's `:help NAME` prints the
-- comment block above each `function`. Nothing here runs.

---ISO-8601 timestamps and durations as Partner Center writes them.
---
---Parses UTC with "Z" and up to 7 fractional digits, text without a zone (read as UTC), offsets,
---and bare dates. The "no value" year 0001 parses to nil. A date is an instant (Unix seconds plus
---nanoseconds); year/month arithmetic is calendar-aware with month-end clamping, day and time
---arithmetic is exact. Nothing depends on the machine's time zone.
---@class date
---@field Date date.Date the metatable shared by all dates
---@field Duration date.Duration the metatable shared by all durations
local date = {}

---An instant in UTC. Operators: `date + duration|"P1M"|seconds`, `date - duration|"P1M"|seconds`
---(a date), `date - date` (seconds, a number), `==`, `<`, `<=` between dates; `tostring` is `iso()`.
---@class date.Date
---@field epoch integer whole seconds since 1970-01-01T00:00:00Z
---@field nanos integer nanoseconds within the second, 0..999999999
---@operator add(date.Duration|string|number): date.Date
---@operator sub(date.Date): number
---@operator sub(date.Duration|string|number): date.Date
local Date = {}

---A parsed ISO-8601 duration. Years and months are calendar units; weeks are stored as days;
---hours, minutes and seconds are stored as seconds. `tostring` gives the original text.
---@class date.Duration
---@field years number
---@field months number
---@field days number
---@field seconds number
---@field text string the text it was parsed from
local Duration = {}

---Parses an ISO-8601 date or timestamp; nil for Partner Center's "no value" year 0001.
---
---Accepts "2019-01-16T00:45:41.6062996Z", "2018-03-16T00:00:00" (UTC), "2018-03-06T17:37:05.253-08:00",
---"+05:30"/"+0530"/"+05" offsets, "2018-03-16", a space instead of "T", and a date (returned as is).
---Raises on anything else, unless `opts.lenient` is set.
---
--- example:
---```lua
---local d = date.parse("9999-12-10T00:00:00Z")         -- a subscription's commitmentEndDate: a real date
---local paid = date.parse("0001-01-01T00:00:00")        -- an unpaid summary's lastPaymentDate: nil
---local maybe, err = date.parse("not a date", { lenient = true })
---print(d:day(), paid, maybe, err ~= nil)   --> 9999-12-10  nil  nil  true
---```
---@param text string|date.Date
---@param opts? {lenient?: boolean} lenient: return nil, message instead of raising
---@return date.Date|nil date nil for year 0001 (and, when lenient, for bad text)
---@return string? message when lenient and the text is not a date
function date.parse(text, opts) end

---The current time (UTC, whole seconds).
---
--- example:
---```lua
---local started = date.now()
---print(date.now() - started, "seconds")
---```
---@return date.Date
function date.now() end

---A date from its UTC parts; hour, minute and second default to 0.
---
--- example:
---```lua
---local d = date.utc(2025, 1, 31)
---print(d + "P1M")                     --> 2025-02-28T00:00:00Z
---print(date.utc(2025, 1, 31, 13, 5))  --> 2025-01-31T13:05:00Z
---```
---@param y integer year
---@param m integer month, 1..12
---@param d integer day of the month (must exist in that month)
---@param h? number hour
---@param mi? number minute
---@param s? number second
---@return date.Date
function date.utc(y, m, d, h, mi, s) end

---A date from Unix seconds (fractions kept to the nanosecond).
---
--- example:
---```lua
---print(date.from_epoch(0))      --> 1970-01-01T00:00:00Z
---print(date.from_epoch(1.5))    --> 1970-01-01T00:00:01.5Z
---```
---@param seconds number
---@return date.Date
function date.from_epoch(seconds) end

---Whether a value is a date.
---
--- example:
---```lua
---local v = date.parse("2024-05-01T23:30:00Z")
---if date.is_date(v) then print(v:day()) end   --> 2024-05-01
---```
---@param v any
---@return boolean
function date.is_date(v) end

---The number of days in a month, leap years included.
---
--- example:
---```lua
---print(date.days_in_month(2024, 2))   --> 29
---```
---@param y integer year
---@param m integer month, 1..12
---@return integer
function date.days_in_month(y, m) end

---Parses an ISO-8601 duration such as "P1Y", "P3Y", "P1M", "P30D", "PT15M", "P1DT12H", "P2W", "-P1M".
---
---Date units (Y, M, W, D) come before "T", time units (H, M, S) after it, so "P1M" is a month and
---"PT1M" a minute. A duration is returned as is.
---
--- example:
---```lua
---local term = date.duration("P1Y")              -- a cart line's termDuration
---print(term.years)                               --> 1
---print(date.duration("PT15M"):total_seconds())   --> 900
---```
---@param text string|date.Duration
---@return date.Duration
function date.duration(text) end

---Year, month, day, hour, minute and second of the date in UTC.
---
--- example:
---```lua
---local y, m, d, h, mi, s = date.parse("2018-03-06T17:37:05-08:00"):parts()
---print(y, m, d, h)   --> 2018  3  7  1
---```
---@return integer y
---@return integer m
---@return integer d
---@return integer h
---@return integer mi
---@return integer s
function Date:parts() end

---ISO-8601 UTC text; the fraction appears only when non-zero, with up to 7 digits.
---
--- example:
---```lua
---print(date.parse("2018-03-06T17:37:05.253-08:00"):iso())   --> 2018-03-07T01:37:05.253Z
---```
---@return string
function Date:iso() end

---The calendar day in UTC, "2024-05-01".
---
--- example:
---```lua
---print(date.parse("2024-05-01T23:30:00Z"):day())   --> 2024-05-01
---```
---@return string
function Date:day() end

---Seconds from `other` to this date (may be fractional; negative if `other` is later). Same as `self - other`.
---
--- example:
---```lua
---local started, finished = date.parse("2026-01-01T00:00:00Z"), date.parse("2026-01-01T00:01:30Z")
---local took = finished:diff(started)
---print(took)   --> 90
---```
---@param other date.Date
---@return number
function Date:diff(other) end

---Whole days from `other` (default: now) until this date, rounded down.
---
--- example:
---```lua
---local left = (date.now() + "P10D"):days_until()   -- e.g. a subscription's commitmentEndDate
---if left < 30 then print("renews in " .. left .. " days") end
---```
---@param other? date.Date default `date.now()`
---@return integer
function Date:days_until(other) end

---Adds a duration (text or parsed) or a number of seconds. Years and months clamp to the
---month's last day (Jan 31 + P1M = Feb 28/29, Feb 29 + P1Y = Feb 28); fractional years or
---months are refused. Same as `self + d`.
---
--- example:
---```lua
---local ends = date.parse("2026-03-01T10:00:00Z"):add("P1Y")   -- an order's creationDate plus its term
---local later = date.now():add(90)        -- 90 seconds
---print(date.utc(2024, 1, 31) + "P1M")   --> 2024-02-29T00:00:00Z
---```
---@param d date.Duration|string|number
---@return date.Date
function Date:add(d) end

---The duration in seconds; raises if it has years or months (add it to a date instead).
---
--- example:
---```lua
---print(date.duration("P1DT12H"):total_seconds())   --> 129600
---```
---@return number
function Duration:total_seconds() end

return date

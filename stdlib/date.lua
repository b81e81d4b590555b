-- date: ISO-8601 timestamps and durations as Partner Center writes them.
--
-- Parses every form the contract lists: UTC with "Z" and up to 7 fractional digits
-- ("2019-01-16T00:45:41.6062996Z"), no zone ("2018-03-16T00:00:00", read as UTC), an offset
-- ("2018-03-06T17:37:05.253-08:00") and a bare date ("2018-03-16"). The "no value" sentinel
-- year 0001 parses to nil. A date is an instant: whole seconds since the Unix epoch (UTC) plus
-- nanoseconds; arithmetic is calendar-aware for years and months (P1Y, P3Y, P1M) and exact for
-- days, hours, minutes and seconds. Nothing depends on the machine's local time zone.
local M = {}

local type, tostring, tonumber, error, setmetatable, getmetatable, ipairs, pairs = type, tostring, tonumber, error, setmetatable, getmetatable, ipairs, pairs
local sformat, smatch, ssub = string.format, string.match, string.sub
local math_type, floor = math.type, math.floor
local os_time = os.time

local Date = {}
Date.__index = Date
Date.__name = "date"

local Duration = {}
Duration.__index = Duration
Duration.__name = "duration"

-- Days since 1970-01-01 of a proleptic Gregorian civil date (Howard Hinnant's algorithm).
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = (153 * mp + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

local function civil_from_days(z)
  z = z + 719468
  local era = (z >= 0 and z or z - 146096) // 146097
  local doe = z - era * 146097
  local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  local mp = (5 * doy + 2) // 153
  local d = doy - (153 * mp + 2) // 5 + 1
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  return y, m, d
end

local function is_leap(y) return (y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0 end
local MDAYS = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }
local function days_in_month(y, m) return (m == 2 and is_leap(y)) and 29 or MDAYS[m] end

local function make(seconds, nanos)
  return setmetatable({ epoch = seconds, nanos = nanos or 0 }, Date)
end

local function is_date(v) return getmetatable(v) == Date end
M.is_date = is_date

--- Parses an ISO-8601 text. Returns nil for Partner Center's "no value" year 0001, raises on text
--- that is not a date. With `opts.lenient`, returns nil, message instead of raising.
function M.parse(text, opts)
  if is_date(text) then return text end
  if type(text) ~= "string" then
    if opts and opts.lenient then return nil, "not a string" end
    error("date.parse: expected an ISO-8601 string, got " .. type(text), 2)
  end
  local y, mo, d, rest = smatch(text, "^%s*(%d%d%d%d)%-(%d%d)%-(%d%d)(.-)%s*$")
  local h, mi, s, frac, zone = 0, 0, 0, "", ""
  local ok = y ~= nil
  if ok and rest ~= "" then
    local hh, mm, tail = smatch(rest, "^[Tt ](%d%d):(%d%d)(.*)$")
    if not hh then ok = false else
      h, mi = hh, mm
      local ss, tail2 = smatch(tail, "^:(%d%d)(.*)$")
      if ss then s, tail = ss, tail2 end
      local f, tail3 = smatch(tail, "^[.,](%d+)(.*)$")
      if f then frac, tail = f, tail3 end
      if tail == "" or tail == "Z" or tail == "z" or smatch(tail, "^[+-]%d%d:?%d%d$") or smatch(tail, "^[+-]%d%d$") then
        zone = tail
      else ok = false end
    end
  end
  y, mo, d, h, mi, s = tonumber(y), tonumber(mo), tonumber(d), tonumber(h), tonumber(mi), tonumber(s)
  if ok and (mo < 1 or mo > 12 or d < 1 or d > days_in_month(y, mo) or h > 24 or mi > 59 or s > 60) then ok = false end
  -- 24:00:00 is the end of the day; 24:30 is not a time
  if ok and h == 24 and (mi ~= 0 or s ~= 0 or smatch(frac, "[1-9]")) then ok = false end
  if ok and zone ~= "" and zone ~= "Z" and zone ~= "z" then
    local oh, om = smatch(zone, "^[+-](%d%d):?(%d?%d?)$")
    if tonumber(oh) > 23 or (tonumber(om) or 0) > 59 then ok = false end
  end
  if not ok then
    local msg = "date.parse: '" .. tostring(text) .. "' is not an ISO-8601 date (e.g. 2024-05-01T12:00:00Z)"
    if opts and opts.lenient then return nil, msg end
    error(msg, 2)
  end
  if y == 1 then return nil end
  local offset = 0
  if zone ~= "" and zone ~= "Z" and zone ~= "z" then
    local sign, oh, om = smatch(zone, "^([+-])(%d%d):?(%d?%d?)$")
    offset = (tonumber(oh) * 3600 + (tonumber(om) or 0) * 60) * (sign == "-" and -1 or 1)
  end
  local nanos = 0
  if frac ~= "" then nanos = tonumber(ssub(frac .. "000000000", 1, 9)) end
  return make(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset, nanos)
end

--- The current time (UTC).
function M.now() return make(os_time(), 0) end

--- A date from its parts (UTC): date.utc(2025, 1, 31 [, h, m, s]).
function M.utc(y, m, d, h, mi, s)
  if math_type(y) ~= "integer" or math_type(m) ~= "integer" or math_type(d) ~= "integer" then
    error("date.utc: year, month and day must be integers", 2)
  end
  for _, v in ipairs({ h or 0, mi or 0, s or 0 }) do
    if type(v) ~= "number" then error("date.utc: hour, minute and second must be numbers", 2) end
  end
  if m < 1 or m > 12 or d < 1 or d > days_in_month(y, m) then
    error(sformat("date.utc: %04d-%02d-%02d is not a calendar date", y, m, d), 2)
  end
  return make(days_from_civil(y, m, d) * 86400 + (h or 0) * 3600 + (mi or 0) * 60 + (s or 0), 0)
end

--- A date from Unix seconds.
function M.from_epoch(seconds)
  if type(seconds) ~= "number" then error("date.from_epoch: expected a number of seconds", 2) end
  local whole = floor(seconds)
  local nanos = floor((seconds - whole) * 1e9 + 0.5)
  return make(whole + nanos // 1000000000, nanos % 1000000000)
end

--- Year, month, day, hour, minute, second (UTC).
function Date:parts()
  local days = self.epoch // 86400
  local secs = self.epoch - days * 86400
  local y, m, d = civil_from_days(days)
  return y, m, d, secs // 3600, (secs % 3600) // 60, secs % 60
end

--- ISO-8601 UTC text: "2024-05-01T12:00:00Z" (fraction only when non-zero, up to 7 digits).
function Date:iso()
  local y, m, d, h, mi, s = self:parts()
  local frac = ""
  if self.nanos ~= 0 then
    local digits = sformat("%09d", self.nanos):sub(1, 7):gsub("0+$", "")
    if digits ~= "" then frac = "." .. digits end
  end
  return sformat("%04d-%02d-%02dT%02d:%02d:%02d%sZ", y, m, d, h, mi, s, frac)
end

--- The calendar day, "2024-05-01".
function Date:day()
  local y, m, d = self:parts()
  return sformat("%04d-%02d-%02d", y, m, d)
end

Date.__tostring = Date.iso
function Date.__eq(a, b) return is_date(a) and is_date(b) and a.epoch == b.epoch and a.nanos == b.nanos end
function Date.__lt(a, b)
  if not is_date(a) or not is_date(b) then error("date: can only compare two dates", 2) end
  return a.epoch < b.epoch or (a.epoch == b.epoch and a.nanos < b.nanos)
end
function Date.__le(a, b) return not Date.__lt(b, a) end

--- Seconds from `other` to this date (may be fractional).
function Date:diff(other)
  if not is_date(other) then error("date:diff expects a date", 2) end
  return (self.epoch - other.epoch) + (self.nanos - other.nanos) / 1e9
end

--- Whole days from `other` (default: now) until this date, rounded down.
function Date:days_until(other)
  other = other or M.now()
  return floor(self:diff(other) / 86400)
end

-- Durations -------------------------------------------------------------------------------

--- Parses an ISO-8601 duration: "P1Y", "P3Y", "P1M", "P30D", "PT15M", "P1DT12H", "P2W".
function M.duration(text)
  if getmetatable(text) == Duration then return text end
  if type(text) ~= "string" then error("date.duration: expected text such as \"P1Y\", got " .. type(text), 2) end
  local sign, body = smatch(text, "^%s*([+-]?)[Pp](.-)%s*$")
  local dur = { years = 0, months = 0, days = 0, seconds = 0 }
  if not body or body == "" or body == "T" or ssub(body, -1) == "T" then
    error("date.duration: '" .. text .. "' is not an ISO-8601 duration (e.g. P1Y, P3Y, PT15M)", 2)
  end
  local datepart, timepart = smatch(body, "^([^Tt]*)[Tt](.*)$")
  if not datepart then datepart, timepart = body, "" end
  local function take(part, units)
    local pos = 1
    while pos <= #part do
      local num, unit, nxt = smatch(part, "^(%d+%.?%d*)(%a)()", pos)
      if not num then error("date.duration: '" .. text .. "' is not an ISO-8601 duration (e.g. P1Y, P3Y, PT15M)", 3) end
      local f = units[unit:upper()]
      if not f then error("date.duration: unknown unit '" .. unit .. "' in '" .. text .. "'", 3) end
      f(tonumber(num))
      pos = nxt
    end
  end
  take(datepart, {
    Y = function(n) dur.years = dur.years + n end,
    M = function(n) dur.months = dur.months + n end,
    W = function(n) dur.days = dur.days + 7 * n end,
    D = function(n) dur.days = dur.days + n end,
  })
  take(timepart, {
    H = function(n) dur.seconds = dur.seconds + 3600 * n end,
    M = function(n) dur.seconds = dur.seconds + 60 * n end,
    S = function(n) dur.seconds = dur.seconds + n end,
  })
  if sign == "-" then
    for k, v in pairs(dur) do dur[k] = -v end
  end
  dur.text = text
  return setmetatable(dur, Duration)
end

function Duration:__tostring() return self.text end

--- Total seconds of a duration without calendar parts (errors for years/months).
function Duration:total_seconds()
  if self.years ~= 0 or self.months ~= 0 then
    error("duration " .. self.text .. " has calendar parts; add it to a date instead", 2)
  end
  return self.days * 86400 + self.seconds
end

--- Adds a duration ("P1Y" text or a parsed duration) or a number of seconds. Adding months
--- clamps to the month's last day (Jan 31 + P1M = Feb 28/29), as billing calendars do.
function Date:add(d)
  if type(d) == "number" then
    local whole = floor(d)
    local nanos = self.nanos + floor((d - whole) * 1e9 + 0.5)
    return make(self.epoch + whole + nanos // 1000000000, nanos % 1000000000)
  end
  d = M.duration(d)
  local epoch = self.epoch
  if d.years ~= 0 or d.months ~= 0 then
    local y, m, day, h, mi, s = self:parts()
    if floor(d.years) ~= d.years or floor(d.months) ~= d.months then
      error("date:add: fractional years or months are not supported (" .. d.text .. ")", 2)
    end
    local total = (y * 12 + (m - 1)) + d.years * 12 + d.months
    local ny, nm = total // 12, total % 12 + 1
    local dim = days_in_month(ny, nm)
    if day > dim then day = dim end
    epoch = days_from_civil(ny, nm, day) * 86400 + h * 3600 + mi * 60 + s
  end
  return make(epoch, self.nanos):add(d.days * 86400 + d.seconds)
end

function Date.__add(a, b)
  if is_date(a) then return a:add(b) end
  return b:add(a)
end

function Date.__sub(a, b)
  if not is_date(a) then error("date: only a date can be subtracted from (date - date, date - duration, date - seconds)", 2) end
  if is_date(b) then return a:diff(b) end
  if type(b) == "number" then return a:add(-b) end
  local d = M.duration(b)
  local neg = setmetatable({ years = -d.years, months = -d.months, days = -d.days, seconds = -d.seconds, text = "-" .. d.text }, Duration)
  return a:add(neg)
end

M.Date, M.Duration = Date, Duration
M.days_in_month = days_in_month
return M

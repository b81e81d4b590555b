-- progress: a progress bar on stderr when stderr is a terminal (or with pcx --progress); silent otherwise.
--
--   local bar = progress.new { total = 1000, label = "line items" }
--   for ... do bar:add(1) end
--   bar:done()
-- Redraws at most ten times a second, with the rate and the time left (ETA). With no total, shows
-- a running count and rate, and an estimated share done and ETA when `estimate` (a function
-- returning the share done, 0 to 1, or nil) can tell: reconcile-invoice estimates from the
-- amounts summed so far against the invoice's total, as Partner Center does not say how many
-- line items an invoice has.
local M = {}

local sformat, srep = string.format, string.rep
local stderr = io.stderr
local floor, math_type = math.floor, math.type
local type, error, setmetatable, pcall, require = type, error, setmetatable, pcall, require

local ok_sys, sys = pcall(require, "pcx.sys")
local function clock() return ok_sys and sys.monotonic() or os.clock() end
-- drawn when pcx's own progress lines are: --progress, PCX_PROGRESS, else stderr is a terminal
local function is_tty()
  if ok_sys and sys.progress_enabled then return sys.progress_enabled() end
  return ok_sys and sys.isatty(2) or false
end

local Bar = {}
Bar.__index = Bar
Bar.__name = "progress.Bar"

--- Starts a progress display. opts: total (number, optional), label (string), enabled (boolean,
--- default: stderr is a terminal), width (columns of the bar, default 30).
function M.new(opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("progress.new: expected a table of options", 2) end
  if opts.total ~= nil and (type(opts.total) ~= "number" or opts.total ~= opts.total or opts.total < 0 or opts.total == math.huge) then
    error("progress.new: total must be a non-negative number", 2)
  end
  if opts.width ~= nil and (math_type(opts.width) ~= "integer" and not (type(opts.width) == "number" and opts.width == floor(opts.width))
      or opts.width < 1 or opts.width > 200) then
    error("progress.new: width must be a whole number of columns from 1 to 200", 2)
  end
  if opts.estimate ~= nil and type(opts.estimate) ~= "function" then
    error("progress.new: estimate must be a function returning the share done (0 to 1) or nil", 2)
  end
  local enabled = opts.enabled
  if enabled == nil then enabled = is_tty() end
  return setmetatable({
    total = opts.total, label = opts.label or "", width = floor(opts.width or 30), estimate = opts.estimate,
    count = 0, started = clock(), last = -1, enabled = enabled, finished = false, drawn = 0,
  }, Bar)
end

-- Seconds before a rate or an ETA means anything (a first item's rate is noise).
local SETTLE = 0.5

-- Seconds as a person reads a wait: 42s, 3m05s, 1h02m.
local function duration(seconds)
  seconds = floor(seconds + 0.5)
  if seconds < 60 then return sformat("%ds", seconds) end
  if seconds < 3600 then return sformat("%dm%02ds", seconds // 60, seconds % 60) end
  return sformat("%dh%02dm", seconds // 3600, seconds % 3600 // 60)
end

-- " ETA 12s" from the share done and the time it took, or "" when there is nothing to go on.
local function eta(share, elapsed)
  if not share or share < 0.01 or share >= 1 or elapsed < SETTLE then return "" end
  return " ETA " .. duration(elapsed * (1 - share) / share)
end

-- Counts may be fractional (bytes in MB, say): "%d" would raise on them.
local function num(n) return math_type(n) == "integer" and sformat("%d", n) or sformat("%g", n) end

local function render(self, final)
  local now = clock()
  if not final and now - self.last < 0.1 then return end
  self.last = now
  local elapsed = now - self.started
  -- the rate once there is time to take it from (and always on the final line)
  local rate = (final or elapsed >= SETTLE) and sformat("%.0f/s", elapsed > 0 and self.count / elapsed or 0) or nil
  local line
  if self.total and self.total > 0 then
    local frac = math.max(0, math.min(self.count / self.total, 1))
    local filled = floor(frac * self.width + 0.5)
    line = sformat("\r%s [%s%s] %3d%% %s/%s%s%s", self.label, srep("#", filled), srep(".", self.width - filled),
      floor(frac * 100), num(self.count), num(self.total), rate and " " .. rate or "", final and "" or eta(frac, elapsed))
  else
    line = sformat("\r%s %s%s", self.label, num(self.count), rate and " (" .. rate .. ")" or "")
    local ok, share = true, nil
    if self.estimate and not final then ok, share = pcall(self.estimate) end
    if ok and type(share) == "number" and share > 0 and share < 1 then
      line = line .. sformat(" ~%d%%%s", floor(share * 100), eta(share, elapsed))
    end
  end
  -- a shorter line than the last one drawn: blank what is left of it
  local pad = self.drawn - #line
  self.drawn = #line
  stderr:write(line, pad > 0 and srep(" ", pad) or "", final and "\n" or "")
  stderr:flush()
  -- pcx ends an open line before it prints an error (an interrupt, a timeout, a failed call)
  if ok_sys and sys.progress_line then sys.progress_line(not final) end
end

local function counted(n, what)
  if n ~= nil and (type(n) ~= "number" or n ~= n) then
    error("progress: " .. what .. " expects a number, got " .. (type(n) == "number" and "nan" or type(n)), 3)
  end
end

--- Adds `n` (default 1) to the count and redraws when due.
function Bar:add(n)
  counted(n, "add")
  self.count = self.count + (n or 1)
  if self.enabled then render(self, false) end
  return self
end

--- Sets the count.
function Bar:set(n)
  counted(n, "set")
  if n == nil then error("progress: set expects a number, got nil", 2) end
  self.count = n
  if self.enabled then render(self, false) end
  return self
end

--- Draws the final state and ends the line. Returns the elapsed seconds.
function Bar:done()
  if not self.finished then
    self.finished = true
    if self.enabled then render(self, true) end
  end
  return clock() - self.started
end

--- Whether progress bars would be shown (stderr is a terminal).
function M.enabled() return is_tty() end

return M

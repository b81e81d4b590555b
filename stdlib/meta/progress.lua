---@meta progress

-- LuaLS type stubs for stdlib/progress.lua. Editors read these; the REPL's `:help NAME` prints the
-- comment block above each `function`. Nothing here runs.

---A progress bar on stderr when stderr is a terminal; silent otherwise (redirected output and
---logs stay clean). Redraws at most ten times a second, with the rate and the time left (ETA). With
---no total, shows a running count and rate, plus an estimated share done and ETA when `estimate`
---can tell.
---@class progress
local progress = {}

---A progress display from `progress.new`.
---@class progress.Bar
---@field total number? the expected count, if known
---@field label string
---@field width integer columns of the bar
---@field count number the count so far
---@field enabled boolean whether anything is drawn
---@field finished boolean whether `done()` was called
local Bar = {}

---Starts a progress display.
---
--- example:
---```lua
---local customers = pc.customers.list()
---local bar = progress.new { total = #customers, label = "customers" }
---for _, c in ipairs(customers) do
---  pc.subscriptions.list(c.id)   -- the work
---  bar:add(1)
---end
---bar:done()
---```
---
--- With no total, `estimate` (called only when the line is redrawn) may return the share done,
--- 0 to 1, from what the script knows (reconcile-invoice: the amounts summed so far against the
--- invoice's total); the line then shows `~40% ETA 1m05s`. nil or an error shows nothing.
---@param opts? {total?: number, label?: string, enabled?: boolean, width?: integer, estimate?: fun(): number?} total: non-negative; enabled: default whether stderr is a terminal; width: default 30
---@return progress.Bar
function progress.new(opts) end

---Whether progress bars would be shown, i.e. whether stderr is a terminal.
---
--- example:
---```lua
---local items = { 1, 2, 3 }
---if not progress.enabled() then print("working on " .. #items .. " items...") end
---```
---@return boolean
function progress.enabled() end

---Adds `n` (default 1) to the count and redraws when due. Returns the bar.
---
--- example:
---```lua
---local bar, page = progress.new { total = 10 }, { 1, 2, 3 }
---bar:add()          -- one more
---bar:add(#page)     -- a page of items
---```
---@param n? number default 1
---@return progress.Bar
function Bar:add(n) end

---Sets the count and redraws when due. Returns the bar.
---
--- example:
---```lua
---local bar = progress.new { total = 1000, label = "bytes" }
---bar:set(512)       -- bytes done so far
---```
---@param n number
---@return progress.Bar
function Bar:set(n) end

---Draws the final state and ends the line (once); returns the seconds since `progress.new`.
---
--- example:
---```lua
---local bar = progress.new { total = 2 }
---bar:add(2)
---local seconds = bar:done()
---print(string.format("%d items in %.1f s", bar.count, seconds))
---```
---@return number seconds
function Bar:done() end

return progress

-- Specs for stdlib/progress.lua: a progress bar on stderr when stderr is a terminal.
-- Run with `pcx test Tests/lua/progress_spec.lua`.
--
-- Each spec loads a fresh copy of the module with a stand-in for the host's `pcx.sys` (isatty,
-- monotonic clock) and a stand-in for io.stderr that records what is written, then restores both.

-- Loads progress with a fake terminal. Returns the module, the written pieces, and the clock.
local function load_progress(tty)
  local clock = { now = 100.0 }
  local written = {}
  local fake_sys = {
    isatty = function(fd) return tty and fd == 2 end,
    monotonic = function() return clock.now end,
    progress_line = function(open) clock.line_open = open end,
  }
  local fake_stderr = {
    write = function(self, ...)
      for i = 1, select("#", ...) do written[#written + 1] = select(i, ...) end
      return self
    end,
    flush = function(self) return self end,
  }
  local saved_module, saved_sys, saved_stderr = package.loaded.progress, package.loaded["pcx.sys"], io.stderr
  -- the module captures io.stderr when it loads: swap in the fake for that moment only
  package.loaded.progress, package.loaded["pcx.sys"], io.stderr = nil, fake_sys, fake_stderr -- luacheck: ignore 122
  local ok, mod = pcall(require, "progress")
  package.loaded.progress, package.loaded["pcx.sys"], io.stderr = saved_module, saved_sys, saved_stderr -- luacheck: ignore 122
  if not ok then error(mod, 0) end
  return mod, written, clock
end

describe("progress when stderr is not a terminal", function()
  it("is disabled and writes nothing, however much is counted", function()
    local progress, written = load_progress(false)
    expect(progress.enabled()).to_be(false)
    local bar = progress.new { total = 1000, label = "line items" }
    expect(bar.enabled).to_be(false)
    for _ = 1, 1000 do bar:add(1) end
    bar:done()
    expect(#written).to_be(0)
  end)

  it("still counts: add defaults to 1, add(n) adds n, set replaces", function()
    local progress = load_progress(false)
    local bar = progress.new { total = 10 }
    bar:add()
    bar:add(4)
    expect(bar.count).to_be(5)
    bar:set(8)
    expect(bar.count).to_be(8)
    expect(bar:add(1)).to_be(bar) -- chainable
  end)

  it("done returns the elapsed seconds", function()
    local progress, _, clock = load_progress(false)
    local bar = progress.new {}
    clock.now = clock.now + 2.5
    expect(bar:done()).to_be_near(2.5)
  end)

  it("can be forced on with enabled = true", function()
    local progress, written = load_progress(false)
    local bar = progress.new { total = 2, enabled = true }
    bar:add(1)
    expect(#written > 0).to_be(true)
  end)
end)

describe("progress on a terminal", function()
  it("is enabled by default and draws a bar with percent, count and rate", function()
    local progress, written, clock = load_progress(true)
    expect(progress.enabled()).to_be(true)
    local bar = progress.new { total = 10, label = "items", width = 10 }
    clock.now = clock.now + 1
    bar:add(5)
    expect(table.concat(written)).to_be("\ritems [#####.....]  50% 5/10 5/s ETA 1s")
  end)

  it("shows the time left from the rate so far, in minutes and hours when long", function()
    local progress, written, clock = load_progress(true)
    local bar = progress.new { total = 1000, label = "x", width = 4 }
    clock.now = clock.now + 10
    bar:add(100) -- 10% in 10 s: 90 s to go
    expect(table.concat(written)).to_match(" ETA 1m30s$")
    local before = #table.concat(written)
    clock.now = clock.now + 3600
    bar:add(1) -- 101 in 3610 s: 899 more take about 8.9 h
    expect(table.concat(written):sub(before + 1)).to_match(" ETA 8h5%dm *$")
  end)

  it("blanks what is left of a longer line drawn before", function()
    local progress, written, clock = load_progress(true)
    local bar = progress.new { total = 100, label = "x", width = 2 }
    clock.now = clock.now + 100
    bar:add(1) -- ETA 2h45m
    local first = table.concat(written)
    clock.now = clock.now + 0.5
    bar:set(99) -- ETA 1s: a shorter line, then spaces over the rest of the long one
    local second = table.concat(written):sub(#first + 1)
    expect(#second).to_be(#first)
    expect(second).to_match("ETA 1s +$")
  end)

  it("without a total, shows the share done and ETA that estimate gives", function()
    local progress, written, clock = load_progress(true)
    local share = 0.25
    local bar = progress.new { label = "line items", estimate = function() return share end }
    clock.now = clock.now + 4
    bar:add(100)
    local drawn = table.concat(written)
    expect(drawn).to_be("\rline items 100 (25/s) ~25% ETA 12s")
    bar:done() -- the final line: no estimate, padded to the last one's length, then a newline
    local final = "\rline items 100 (25/s)"
    expect(table.concat(written):sub(#drawn + 1)).to_be(final .. string.rep(" ", #drawn - #final) .. "\n")
  end)

  it("shows no estimate when estimate gives nil, 0, 1 or more, or fails", function()
    for _, give in ipairs({ function() return nil end, function() return 0 end, function() return 1.2 end,
                            function() error("no invoice total") end, function() return "half" end }) do
      local progress, written, clock = load_progress(true)
      local bar = progress.new { label = "n", estimate = give }
      clock.now = clock.now + 1
      bar:add(3)
      expect(table.concat(written)).to_be("\rn 3 (3/s)")
    end
  end)

  it("redraws at most ten times a second", function()
    local progress, written, clock = load_progress(true)
    local bar = progress.new { total = 100, width = 10 }
    bar:add(1) -- first draw
    local after_first = #written
    for _ = 1, 50 do bar:add(1) end -- same instant: no redraw
    expect(#written).to_be(after_first)
    clock.now = clock.now + 0.2
    bar:add(1)
    expect(#written > after_first).to_be(true)
  end)

  it("done draws the final state once and ends the line", function()
    local progress, written, clock = load_progress(true)
    local bar = progress.new { total = 4, label = "x", width = 4 }
    clock.now = clock.now + 1
    bar:set(4)
    local before = #written
    bar:done()
    local final = table.concat(written, "", before + 1)
    expect(final).to_be("\rx [####] 100% 4/4 4/s\n")
    local n = #written
    bar:done()
    expect(#written).to_be(n)
  end)

  it("shows no rate or ETA until half a second has passed (a first item's rate is noise)", function()
    local progress, written, clock = load_progress(true)
    local bar = progress.new { total = 20, label = "items", width = 4 }
    clock.now = clock.now + 0.01
    bar:add(1)
    expect(table.concat(written)).to_be("\ritems [....]   5% 1/20")
    local none = progress.new { label = "n", estimate = function() return 0.5 end }
    local before = #table.concat(written)
    none:add(1)
    expect(table.concat(written):sub(before + 1)).to_be("\rn 1 ~50%")
  end)

  it("gives no ETA below 1% done (it would be hours of guesswork)", function()
    local progress, written, clock = load_progress(true)
    local bar = progress.new { label = "n", estimate = function() return 0.004 end }
    clock.now = clock.now + 2
    bar:add(1)
    expect(table.concat(written)).to_be("\rn 1 (0/s) ~0%")
  end)

  it("keeps the share between 0 and 100% when the count goes below 0", function()
    local progress, written = load_progress(true)
    local bar = progress.new { total = 3, width = 4 }
    bar:add(-10)
    expect(table.concat(written)).to_match("%[%.%.%.%.%]   0%% %-10/3")
  end)

  it("tells pcx whether its line is open, so an error starts on a new line", function()
    local progress, _, clock = load_progress(true)
    local bar = progress.new { total = 3 }
    bar:add(1)
    expect(clock.line_open).to_be(true)
    bar:done()
    expect(clock.line_open).to_be(false)
  end)

  it("clamps the bar at 100% when the count passes the total", function()
    local progress, written = load_progress(true)
    local bar = progress.new { total = 2, width = 4 }
    bar:set(5)
    bar:done()
    expect(table.concat(written)).to_match("%[####%] 100%% 5/2")
  end)

  it("draws fractional counts instead of raising", function()
    local progress, written = load_progress(true)
    local bar = progress.new { total = 10.5, width = 2, label = "MB" }
    bar:add(2.5)
    bar:done()
    expect(table.concat(written)).to_match("2%.5/10%.5")
  end)

  it("without a total shows a running count and rate", function()
    local progress, written, clock = load_progress(true)
    local bar = progress.new { label = "customers" }
    clock.now = clock.now + 2
    bar:add(10)
    expect(table.concat(written)).to_be("\rcustomers 10 (5/s)")
  end)

  it("can be forced off with enabled = false", function()
    local progress, written = load_progress(true)
    local bar = progress.new { total = 3, enabled = false }
    bar:add(3)
    bar:done()
    expect(#written).to_be(0)
  end)
end)

describe("progress.new", function()
  it("refuses a negative or non-numeric total and options that are not a table", function()
    local progress = load_progress(false)
    expect(function() progress.new { total = -1 } end).to_fail("total must be a non%-negative number")
    expect(function() progress.new { total = "10" } end).to_fail("total must be a non%-negative number")
    expect(function() progress.new("items") end).to_fail("expected a table of options")
    expect(function() progress.new { estimate = 0.5 } end).to_fail("estimate must be a function")
    expect(function() progress.new { total = 0 / 0 } end).to_fail("total must be a non%-negative number")
    expect(function() progress.new { total = math.huge } end).to_fail("total must be a non%-negative number")
    for _, width in ipairs({ 2.5, 0, -3, 1000, "10" }) do
      expect(function() progress.new { width = width } end).to_fail("width must be a whole number of columns")
    end
  end)

  it("refuses a count that is not a number, naming the caller's line", function()
    local progress = load_progress(false)
    local bar = progress.new { total = 3 }
    expect(function() bar:add("x") end).to_fail("progress: add expects a number, got string")
    expect(function() bar:add(0 / 0) end).to_fail("progress: add expects a number, got nan")
    expect(function() bar:set() end).to_fail("progress: set expects a number, got nil")
    local ok, err = pcall(function() bar:add({}) end)
    expect(ok).to_be(false)
    expect(err).to_match("progress_spec%.lua:")
  end)

  it("works with no options at all", function()
    local progress = load_progress(false)
    local bar = progress.new()
    bar:add(2)
    expect(bar.count).to_be(2)
    expect(bar.total).to_be_nil()
  end)
end)

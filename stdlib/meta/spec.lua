---@meta spec

-- LuaLS type stubs for stdlib/spec.lua. Editors read these; the REPL's `:help NAME` prints the
-- comment block above each `function`. Nothing here runs.

---A small test runner for Lua spec files. `pcx test FILE` installs `describe`, `it` and `expect` as
---globals, runs the file, prints one FAIL block per failure and ends with "N passed, N failed".
---Name each `it` after the guarantee it checks.
---@class spec
local spec = {}

---Assertions on one value, from `expect(value)`. Each raises (failing the `it`) when it does not hold.
---@class spec.Expectation
local Expectation = {}

---Groups tests under a name (nested groups join their names). An error in the body outside any
---`it` counts as one failure.
---
--- example:
---```lua
---local money = require "money"
---describe("money", function()
---  it("adds 0.1 and 0.2 exactly", function()
---    expect(tostring(money.new(0.1, "USD") + money.new(0.2, "USD"))).to_be("0.3 USD")
---  end)
---end)
---```
---@param name string
---@param fn fun()
function spec.describe(name, fn) end

---Declares and runs one test; it passes when `fn` returns without raising.
---
--- example:
---```lua
---it("an unknown currency code is refused", function()
---  expect(function() require("money").new("1", "US") end).to_fail("currency")
---end)
---```
---@param name string the guarantee the test checks
---@param fn fun()
function spec.it(name, fn) end

---Starts assertions on a value.
---
--- example:
---```lua
---expect(1 + 1).to_be(2)
---expect({ a = { 1 } }).to_equal({ a = { 1 } })
---local err = expect(function() error("boom") end).to_fail("boom")
---```
---@param actual any
---@return spec.Expectation
function spec.expect(actual) end

---Installs `describe`, `it` and `expect` in `env` (usually `_ENV` or `_G`).
---
--- example:
---```lua
---local spec = require "spec"
---spec.install(_ENV, { verbose = true })
---describe("arithmetic", function() it("adds", function() expect(1 + 1).to_be(2) end) end)
---print(spec.results())   --> 1  0 (or more, with the tests that ran before)
---```
---@param env table
---@param opts? {verbose?: boolean} verbose: also print "ok NAME" for each passing test
function spec.install(env, opts) end

---Prints "N passed, N failed" and returns the two counts.
---
--- example:
---```lua
---local passed, failed = spec.finish()   -- prints "N passed, M failed"
---if failed > 0 then print("some tests failed") end
---```
---@return integer passed
---@return integer failed
function spec.finish() end

---The counts so far, without printing.
---
--- example:
---```lua
---local passed, failed = spec.results()
---print(passed, failed)
---```
---@return integer passed
---@return integer failed
function spec.results() end

---Passes when `actual == x` (metamethods such as money's and date's `__eq` apply).
---
--- example:
---```lua
---local m = require("money").new("16.50", "USD")
---expect(m:amount()).to_be("16.50")
---```
---@param x any
function Expectation.to_be(x) end

---Passes when `actual` and `x` are deeply equal tables (or `==`).
---
--- example:
---```lua
---expect(require("csv").parse("a,b\r\n")).to_equal({ { "a", "b" } })
---```
---@param x any
function Expectation.to_equal(x) end

---Passes when `actual` is neither nil nor false.
---
--- example:
---```lua
---local money = require "money"
---expect(money.is_money(money.new(1, "USD"))).to_be_truthy()
---```
function Expectation.to_be_truthy() end

---Passes when `actual` is nil or false.
---
--- example:
---```lua
---expect(pc.options.dry_run).to_be_falsy()
---```
function Expectation.to_be_falsy() end

---Passes when `actual` is nil.
---
--- example:
---```lua
---expect(require("date").parse("0001-01-01T00:00:00")).to_be_nil()
---```
function Expectation.to_be_nil() end

---Passes when `actual` is a string matching the Lua pattern `p`.
---
--- example:
---```lua
---expect(require("date").now():iso()).to_match("^%d%d%d%d%-%d%d%-%d%dT")
---```
---@param p string a Lua pattern (escape magic characters such as `-` with `%`)
function Expectation.to_match(p) end

---Passes when `actual` is a function that raises, with an error matching the Lua pattern `p` if
---given. Returns the error.
---
--- example:
---```lua
---local money = require "money"
---expect(function() return money.new(1, "USD") + money.new(1, "EUR") end).to_fail("USD")
---```
---@param p? string a Lua pattern
---@return any err
function Expectation.to_fail(p) end

---Passes when `actual` is a number within `eps` (default 1e-9) of `x`.
---
--- example:
---```lua
---expect(require("money").new("16.50", "USD"):to_number()).to_be_near(16.5)
---```
---@param x number
---@param eps? number default 1e-9
function Expectation.to_be_near(x, eps) end

return spec

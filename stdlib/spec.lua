-- spec: a small test runner for Lua spec files (`pcx test FILE`).
--
--   describe("money", function()
--     it("adds exactly", function()
--       expect(tostring(money.new(0.1, "USD") + money.new(0.2, "USD"))).to_be("0.3 USD")
--     end)
--   end)
-- `pcx test` prints one line per failure and ends with "N passed, N failed".
local M = {}

local results = { passed = 0, failed = 0, failures = {} }
local stack = {}
local verbose = false
local tracebacks = false -- `pcx test --debug`: a failure shows its Lua traceback

local function fullname(name)
  local parts = {}
  for i = 1, #stack do parts[i] = stack[i] end
  parts[#parts + 1] = name
  return table.concat(parts, " ")
end

--- Groups tests under a name.
function M.describe(name, fn)
  stack[#stack + 1] = name
  local ok, err = xpcall(fn, function(e)
    return tracebacks and debug.traceback(tostring(e), 2) or tostring(e)
  end)
  stack[#stack] = nil
  if not ok then
    results.failed = results.failed + 1
    results.failures[#results.failures + 1] = { name = fullname(name) .. " (setup)", err = err }
    io.stdout:write("FAIL ", fullname(name), " (setup)\n", tostring(err), "\n")
  end
end

--- Declares and runs one test.
function M.it(name, fn)
  local full = fullname(name)
  local ok, err = xpcall(fn, function(e)
    return tracebacks and debug.traceback(tostring(e), 2) or tostring(e)
  end)
  if ok then
    results.passed = results.passed + 1
    if verbose then io.stdout:write("  ok ", full, "\n") end
  else
    results.failed = results.failed + 1
    results.failures[#results.failures + 1] = { name = full, err = err }
    io.stdout:write("FAIL ", full, "\n", tostring(err), "\n")
  end
end

local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  local ok, inspect = pcall(require, "inspect")
  if ok and type(v) == "table" and not getmetatable(v) then return inspect(v) end
  return tostring(v)
end

local function deep_equal(a, b, seen)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  seen = seen or {}
  if seen[a] == b then return true end
  seen[a] = b
  for k, v in pairs(a) do if not deep_equal(v, b[k], seen) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

--- expect(value).to_be(x) | .to_equal(t) (deep) | .to_be_truthy() | .to_be_nil() |
--- .to_match(pattern) | .to_fail(pattern?) (value is a function that must raise) | .to_be_near(x, eps)
function M.expect(actual)
  local e = {}
  local function fail(msg) error(msg, 3) end
  function e.to_be(x) if actual ~= x then fail("expected " .. show(x) .. ", got " .. show(actual)) end end
  function e.to_equal(x) if not deep_equal(actual, x) then fail("expected " .. show(x) .. ", got " .. show(actual)) end end
  function e.to_be_truthy() if not actual then fail("expected a truthy value, got " .. show(actual)) end end
  function e.to_be_falsy() if actual then fail("expected a falsy value, got " .. show(actual)) end end
  function e.to_be_nil() if actual ~= nil then fail("expected nil, got " .. show(actual)) end end
  function e.to_match(p)
    if type(actual) ~= "string" or not actual:find(p) then fail("expected " .. show(actual) .. " to match " .. show(p)) end
  end
  function e.to_fail(p)
    if type(actual) ~= "function" then fail("to_fail expects a function") end
    local ok, err = pcall(actual)
    if ok then fail("expected an error" .. (p and (" matching " .. show(p)) or "") .. ", but it succeeded") end
    if p and not tostring(err):find(p) then fail("expected an error matching " .. show(p) .. ", got " .. show(tostring(err))) end
    return err
  end
  function e.to_be_near(x, eps)
    if type(actual) ~= "number" or math.abs(actual - x) > (eps or 1e-9) then fail("expected ~" .. show(x) .. ", got " .. show(actual)) end
  end
  return e
end

--- Installs describe/it/expect as globals in `env`.
function M.install(env, opts)
  verbose = opts and opts.verbose or false
  tracebacks = opts and opts.tracebacks or false
  env.describe, env.it, env.expect = M.describe, M.it, M.expect
end

--- Prints the summary line and returns passed, failed.
function M.finish()
  io.stdout:write(string.format("%d passed, %d failed\n", results.passed, results.failed))
  return results.passed, results.failed
end

--- The counts so far.
function M.results() return results.passed, results.failed end

return M

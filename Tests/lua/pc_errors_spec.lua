-- pc errors: bad input from a script gives a clear pc.Error (code invalid_argument) raised at the
-- script's own line; unknown ids come back from the sandbox as not_found; pc.errors.is / new.

-- "file:line" of the caller (the spec line that made the failing call).
local function here()
  local info = debug.getinfo(2, "Sl")
  return info.short_src .. ":" .. info.currentline
end

-- A customer id that exists in the sandbox.
local CUSTOMER = pc.customers.list()[1].id

-- Runs fn, expects a pc.Error of `code` whose message matches `pattern` and whose `where` is `where`.
local function expect_error(code, pattern, where, ok, err)
  expect(ok).to_be(false)
  expect(pc.errors.is(err)).to_be(true)
  expect(getmetatable(err)).to_be(pc.Error)
  expect(err.code).to_be(code)
  if pattern then expect(err.message).to_match(pattern) end
  if where then expect(err.where).to_be(where) end
  return err
end

describe("wrong argument types", function()
  it("an id that is a number is invalid_argument at the caller's line", function()
    local ok, err = pcall(pc.customers.get, 42); local w = here()
    expect_error("invalid_argument", "pc%.customers%.get: customer_id must be a non%-empty id string", w, ok, err)
    expect(err.message).to_match("got number")
  end)

  it("options that are not a table", function()
    local ok, err = pcall(pc.products.list, "US"); local w = here()
    expect_error("invalid_argument", "pc%.products%.list: options must be a table, got string", w, ok, err)
  end)

  it("an option of the wrong type", function()
    local ok, err = pcall(pc.customers.list, { size = "10" }); local w = here()
    expect_error("invalid_argument", "option 'size' must be an integer, got string", w, ok, err)
    local ok2, err2 = pcall(pc.entitlements.list, CUSTOMER, { show_expiry = "yes" }); local w2 = here()
    expect_error("invalid_argument", "option 'show_expiry' must be a boolean, got string", w2, ok2, err2)
  end)

  it("a request body that is not a table", function()
    local ok, err = pcall(pc.inventory.check, "US", "targetItems"); local w = here()
    expect_error("invalid_argument", "request must be a table", w, ok, err)
  end)

  it("a country that is not an ISO alpha-2 code", function()
    local ok, err = pcall(pc.inventory.check, "USA", {}); local w = here()
    expect_error("invalid_argument", "country must be an ISO alpha%-2 code", w, ok, err)
  end)

  it("a cart without line items", function()
    local ok, err = pcall(pc.carts.create, CUSTOMER, {}); local w = here()
    expect_error("invalid_argument", "non%-empty lineItems", w, ok, err)
  end)

  it("pc.purchase without a table, and without a cart", function()
    local ok, err = pcall(pc.purchase, "cart"); local w = here()
    expect_error("invalid_argument", "pc%.purchase: expected a table", w, ok, err)
    local ok2, err2 = pcall(pc.purchase, { customer = CUSTOMER }); local w2 = here()
    expect_error("invalid_argument", "missing required option 'cart'", w2, ok2, err2)
  end)

  it("a statement path that is not a string", function()
    local ok, err = pcall(pc.invoices.statement, "G000024130", 5); local w = here()
    expect_error("invalid_argument", "path must be a file path string", w, ok, err)
  end)

  it("a statement path outside --allow-write, or in a missing directory, is refused with a clear error", function()
    local ok, err = pcall(pc.invoices.statement, "G000024130", "/nonexistent-pcx-dir/x.pdf"); local w = here()
    expect_error("invalid_argument", "writing /nonexistent%-pcx%-dir/x%.pdf is not allowed", w, ok, err)
    expect(err.hint).to_match("%-%-allow%-write")
    local tmp = os.getenv("PCX_TEST_TMP")
    if tmp then
      local ok2, err2 = pcall(pc.invoices.statement, "G000024130", tmp .. "/no/such/dir/x.pdf"); local w2 = here()
      expect_error("invalid_argument", "does not exist", w2, ok2, err2)
    end
  end)

  it("a reservation-details link that is not an artifact link", function()
    local ok, err = pcall(pc.entitlements.reservation_details, "/customers/x"); local w = here()
    expect_error("invalid_argument", "expected an artifact link", w, ok, err)
  end)

  it("the error is raised at the line of a direct call too (not only through pcall)", function()
    local w
    local ok, err = pcall(function()
      w = here(); pc.customers.get(nil)
    end)
    expect_error("invalid_argument", "customer_id", w, ok, err)
  end)
end)

describe("missing required options", function()
  it("names the missing option", function()
    local ok, err = pcall(pc.products.list, { country = "US" }); local w = here()
    expect_error("invalid_argument", "pc%.products%.list: missing required option 'target_view'", w, ok, err)
  end)

  it("for every catalog call that needs a market", function()
    for _, f in ipairs({
      function() return pc.products.get("DZH318Z0BQ3Q") end,
      function() return pc.skus.list("DZH318Z0BQ3Q") end,
      function() return pc.skus.get("DZH318Z0BQ3Q", "0001", {}) end,
      function() return pc.availabilities.list("DZH318Z0BQ3Q", "0001") end,
    }) do
      local ok, err = pcall(f)
      expect_error("invalid_argument", "missing required option 'country'", nil, ok, err)
    end
  end)
end)

describe("unknown option keys", function()
  it("suggests the closest option for a misspelling", function()
    local ok, err = pcall(pc.products.list, { country = "US", target_veiw = "AzureReservationsVM" }); local w = here()
    expect_error("invalid_argument", "unknown option 'target_veiw'", w, ok, err)
    expect(err.message).to_match("did you mean 'target_view'%?")
  end)

  it("lists the valid options", function()
    local ok, err = pcall(pc.entitlements.list, CUSTOMER, { entitlement = "reservedInstance" })
    expect_error("invalid_argument", "unknown option 'entitlement'", nil, ok, err)
    expect(err.message).to_match("entitlement_type")
    expect(err.message).to_match("show_expiry")
  end)

  it("a camelCase key suggests its snake_case spelling", function()
    local ok, err = pcall(pc.entitlements.list, CUSTOMER, { showExpiry = true })
    expect_error("invalid_argument", "unknown option 'showExpiry'", nil, ok, err)
    expect(err.message).to_match("did you mean 'show_expiry'")
  end)
end)

describe("invalid ids", function()
  for _, case in ipairs({ { "", "empty" }, { "a/b", "with a slash" }, { "a b", "with a space" },
                          { "x?y", "with a query" }, { "50%", "with a percent" } }) do
    it("refuses an id " .. case[2] .. " before sending anything", function()
      local ok, err = pcall(pc.customers.get, case[1]); local w = here()
      expect_error("invalid_argument", "customer_id must be a non%-empty id string without spaces or '/'", w, ok, err)
      expect(err.status).to_be_nil()
      expect(err.request_id).to_be_nil()
    end)
  end

  it("checks every id argument, naming it", function()
    local ok, err = pcall(pc.subscriptions.get, CUSTOMER, "has space")
    expect_error("invalid_argument", "subscription_id", nil, ok, err)
    local ok2, err2 = pcall(pc.orders.get, CUSTOMER, "")
    expect_error("invalid_argument", "order_id", nil, ok2, err2)
  end)
end)

describe("unknown ids", function()
  it("an unknown customer is not_found from the sandbox, at the caller's line, with the request's details", function()
    local ok, err = pcall(pc.customers.get, "00000000-0000-4000-8000-000000000000"); local w = here()
    expect_error("not_found", nil, w, ok, err)
    expect(err.status).to_be(404)
    expect(type(err.request_id)).to_be("string")
    expect(err.method).to_be("GET")
    expect(err.path).to_match("/customers/00000000%-0000%-4000%-8000%-000000000000")
  end)

  it("an unknown order and an unknown invoice are not_found", function()
    local ok, err = pcall(pc.orders.get, CUSTOMER, "nosuchorder"); local w = here()
    expect_error("not_found", nil, w, ok, err)
    local ok2, err2 = pcall(pc.invoices.get, "G999999999")
    expect_error("not_found", nil, nil, ok2, err2)
  end)

  it("not_found from a list call is raised at the caller's line too", function()
    local ok, err = pcall(pc.subscriptions.list, "00000000-0000-4000-8000-000000000000"); local w = here()
    expect_error("not_found", nil, w, ok, err)
  end)

  it("not_found from an each iterator is raised where the loop pulls it", function()
    local w
    local ok, err = pcall(function()
      w = here(); for _ in pc.orders.each("00000000-0000-4000-8000-000000000000") do end
    end)
    expect_error("not_found", nil, w, ok, err)
  end)

  it("tostring of the error shows the code and the message", function()
    local _, err = pcall(pc.customers.get, "00000000-0000-4000-8000-000000000000")
    local text = tostring(err)
    expect(text).to_match("not_found")
  end)
end)

describe("pc.errors", function()
  it("is() tells pc.Errors from other values, optionally by code", function()
    local _, err = pcall(pc.customers.get, "")
    expect(pc.errors.is(err)).to_be(true)
    expect(pc.errors.is(err, "invalid_argument")).to_be(true)
    expect(pc.errors.is(err, "not_found")).to_be(false)
    expect(pc.errors.is("invalid_argument")).to_be(false)
    expect(pc.errors.is({ code = "invalid_argument" })).to_be(false)
    expect(pc.errors.is(nil)).to_be(false)
    local _, plain = pcall(error, "boom")
    expect(pc.errors.is(plain)).to_be(false)
  end)

  it("new() makes a pc.Error at the caller's line that is() recognises", function()
    local e = pc.errors.new { code = "conflict", message = "already bought", hint = "check the journal" }; local w = here()
    expect(getmetatable(e)).to_be(pc.Error)
    expect(e.code).to_be("conflict")
    expect(e.message).to_be("already bought")
    expect(e.hint).to_be("check the journal")
    expect(e.where).to_be(w)
    expect(pc.errors.is(e, "conflict")).to_be(true)
  end)

  it("new() defaults the code to script_error and the message to the code", function()
    local e = pc.errors.new {}
    expect(e.code).to_be("script_error")
    expect(e.message).to_be("script_error")
  end)

  it("new() raised with error() is caught as the same table", function()
    local ok, err = pcall(function() error(pc.errors.new { code = "not_found", message = "no such thing" }, 0) end)
    expect(ok).to_be(false)
    expect(pc.errors.is(err, "not_found")).to_be(true)
    expect(err.message).to_be("no such thing")
  end)

  it("new() refuses an unknown code and a non-table", function()
    expect(function() pc.errors.new { code = "oops" } end).to_fail("unknown code 'oops'")
    expect(function() pc.errors.new("not_found") end).to_fail("expected a table")
  end)

  it("lists the stable codes", function()
    local codes = {}
    for _, c in ipairs(pc.errors.codes) do codes[c] = true end
    for _, c in ipairs({ "invalid_argument", "not_found", "policy_denied", "throttled", "timeout" }) do
      expect(codes[c]).to_be(true)
    end
  end)
end)

-- A module whose body calls Partner Center while it is being required (pc_yield_spec.lua).
local customers = pc.customers.list()
local first = pc.customers.get(customers[1].id)
return { count = #customers, first_id = first.id, first_name = first.companyProfile and first.companyProfile.companyName }

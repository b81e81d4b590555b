-- Runs the playbook declared last with `...` as its arguments.
local pb = require "playbook"
return pb.run(pb.last, { ... })

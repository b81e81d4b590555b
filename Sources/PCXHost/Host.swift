import LuaRuntime
import PartnerCenter
import PartnerCenterSandbox

/// pcx's version, printed by `pcx --version`.
public let pcxVersion = "0.1.0"

/// The Lua release pcx embeds.
public let pcxLuaVersion = luaVersionString

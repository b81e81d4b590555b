import LuaRuntime
import PartnerCenter
import PartnerCenterSandbox

/// pcx's version, printed by `pcx --version`.
public let pcxVersion = "0.1.0"

/// The Lua release pcx embeds.
public let pcxLuaVersion = luaVersionString

/// The Lua release with its patch level (`5.4.4`), linked into pcx.
public let pcxLuaRelease = luaReleaseString

/// The git commit pcx was built from (short hash), or "unknown".
public let pcxBuildCommit = BuildInfo.commit

/// The build date (UTC, YYYY-MM-DD).
public let pcxBuildDate = BuildInfo.date

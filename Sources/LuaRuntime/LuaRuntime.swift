import CLuaShim

/// The Lua release this runtime is linked against, e.g. `"5.4"`.
public let luaVersionString: String = LUA_VERSION_MAJOR + "." + LUA_VERSION_MINOR

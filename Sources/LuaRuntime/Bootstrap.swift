extension LuaVMCore {
    /// Lua run once per state, with the host helpers table as `...`: `os.exit` raising a
    /// host-controlled abort; the `require` searchers (preload, embedded, directories; the last
    /// loads through the C `loadfile`, so the file policy applies). Returns internal helpers kept
    /// in the registry (`pcxl.helpers`). Text-only loading and the file policy are in C
    /// (`pcxl_open_sandboxed_libs`), where no script can reach an unchecked original.
    static var bootstrap: String {
        guard let source = EmbeddedLua.files["Sources/LuaRuntime/lua/bootstrap.lua"] else {
            preconditionFailure("Sources/LuaRuntime/lua/bootstrap.lua is not embedded")
        }
        return source
    }
}

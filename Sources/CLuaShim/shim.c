#include "CLuaShim.h"

/* pcxl_version: the linked library's version number. [-0, +0]. VM thread. */
lua_Number pcxl_version(lua_State *L) { return lua_version(L); }

#ifndef PCX_CLUASHIM_H
#define PCX_CLUASHIM_H
#include "../../CLua/CLua.h"

/* pcxl_version: the Lua version number of the linked library (e.g. 504). Any thread. */
lua_Number pcxl_version(lua_State *L);

#endif

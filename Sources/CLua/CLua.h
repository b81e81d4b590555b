#ifndef PCX_CLUA_H
#define PCX_CLUA_H
/* Debian's Lua 5.4 (pkg-config lua5.4 adds -I/usr/include/lua5.4). */
#include <lua.h>
#include <lualib.h>
#include <lauxlib.h>
#endif

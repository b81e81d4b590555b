#ifndef PCX_CLUA_H
#define PCX_CLUA_H
/* Debian's Lua 5.4, by its path under /usr/include (no pkg-config: see Package.swift). */
#include <lua5.4/lua.h>
#include <lua5.4/lualib.h>
#include <lua5.4/lauxlib.h>
#endif

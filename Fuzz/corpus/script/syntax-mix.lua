local t <const> = {1, 2, [3] = "x", f = function(...) return ... end}
for i = 1, #t do goto continue ::continue:: end
return t

local s = [==[long
]] string]==] .. "\z
   \x41\u{1F600}" // 2 >> 1

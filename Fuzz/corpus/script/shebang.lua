#!/usr/bin/env pcx
print(1)

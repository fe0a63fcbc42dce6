#!/bin/sh
# hspt bench: a CPU-bound Lua 5.4 program (recursion, a sieve, table.sort, string formatting and patterns,
# floating point, hash tables).
set -e
. "$(dirname "$0")/bench-lib.sh"
cat >prog.lua <<'LUA'
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
print("fib", fib(24))
local N = 200000
local sieve, count = {}, 0
for i = 2, N do
  if not sieve[i] then count = count + 1; for j = i * i, N, i do sieve[j] = true end end
end
print("primes", count)
local t, x = {}, 42
for i = 1, 30000 do x = (x * 1103515245 + 12345) % 2147483648; t[i] = x end
table.sort(t)
print("sorted", t[1], t[15000], t[30000])
local parts = {}
for i = 1, 20000 do parts[#parts + 1] = string.format("%d:%x", i, i * 7919) end
local s = table.concat(parts, ",")
local n = 0
for a, b in s:gmatch("(%d+):(%x+)") do n = n + #b end
print("string", #s, n)
local acc = 0.0
for i = 1, 200000 do acc = acc + math.sin(i) * math.sqrt(i) end
print(string.format("float %.6f", acc))
local m = {}
for i = 1, 10000 do m["k" .. i] = i end
local sum = 0
for _, v in pairs(m) do sum = sum + v end
print("hash", sum)
LUA
bench_begin lua
lua prog.lua >out.txt
bench_end lua
cat out.txt

#!/bin/sh
# Shared by the bench-*.sh workloads of `hspt bench` (sourced, not a workload by itself).
#
# The same script runs in the armhf guest (under hspt or qemu-system-arm) and natively on the host with
# Debian's amd64 builds of the same programs (guest-images/debian/fetch-native.sh): HSPT_NATIVE_ROOT then
# names the extracted amd64 tree, and the programs run with that tree's loader and libraries.
#
# bench_begin NAME prints the marker line
#   HSPT-BENCH-BEGIN NAME
# and starts the clock; bench_end NAME prints the machine-readable result line
#   HSPT-BENCH NAME SECONDS
# with the time by the clock of the machine the script runs on (see bench_begin below). `hspt bench` also
# reads the host CPU time of the emulator when each of the two lines arrives.

R=${HSPT_NATIVE_ROOT:-}
if [ -n "$R" ]; then
    LDSO="$R/lib64/ld-linux-x86-64.so.2 --library-path $R/lib/x86_64-linux-gnu:$R/usr/lib/x86_64-linux-gnu"
else
    LDSO=
fi
# busybox sh runs its own applets before searching PATH: functions make these names the Debian programs
xz() { $LDSO "$R/usr/bin/xz" "$@"; }
gzip() { $LDSO "$R/bin/gzip" "$@"; }
lua() { $LDSO "$R/usr/bin/lua5.4" "$@"; }
sqlite3() { $LDSO "$R/usr/bin/sqlite3" "$@"; }
sevenzip() { $LDSO "$R/usr/bin/7zz" "$@"; }

# The clock. In a guest: the monotonic uptime in 1/100 s, read by the shell itself (no process started, so
# nothing but the work is timed). Natively, where the work takes well under a second, 1/100 s is too coarse:
# the system time in microseconds from busybox adjtimex (a process costs about a millisecond there).
if [ -n "$R" ]; then
    bench_clock() { adjtimex | awk '/tv_sec/ { s = $2 } /tv_usec/ { u = $2 } END { printf "%d.%06d\n", s, u }'; }
    bench_begin() { echo "HSPT-BENCH-BEGIN $1"; BENCH_T0=$(bench_clock); }
    bench_end() { t1=$(bench_clock); bench_print "$1" "$t1"; }
else
    bench_begin() { echo "HSPT-BENCH-BEGIN $1"; read -r BENCH_T0 _ </proc/uptime; }
    bench_end() { read -r t1 _ </proc/uptime; bench_print "$1" "$t1"; }
fi
bench_print() {
    awk -v n="$1" -v a="$BENCH_T0" -v b="$2" 'BEGIN { printf "HSPT-BENCH %s %.3f\n", n, b - a }'
}

# Deterministic pseudo-text (words, numbers, punctuation) of about $1 KiB on stdout: a 64 KiB block from Lua,
# then copies with the letters rotated, so that the copies do not match each other (not even for xz).
bench_text() {
    cat >gen.lua <<'LUA'
local words = {}
for w in ("the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were her she there had been one all we can has if more when will would who so no time into only what about also some other than then could any its after most first like over such new these may should two where made through well years even back people because way state good very still make many must those"):gmatch("%a+") do words[#words + 1] = w end
local x, out, len = 12345, {}, 0
while len < 65536 do
  x = (x * 1103515245 + 12345) % 2147483648
  local w = words[x % #words + 1]
  if x % 11 == 0 then w = tostring(x % 100000) end
  if x % 17 == 0 then w = w .. ".\n" elseif x % 5 == 0 then w = w .. "," end
  out[#out + 1] = w
  len = len + #w + 1
end
io.write(table.concat(out, " "):sub(1, 65536))
LUA
    lua gen.lua >block.txt
    a=abcdefghijklmnopqrstuvwxyz
    k=0
    while [ "$k" -lt "$(($1 / 64))" ]; do
        r=$((k % 26))
        tr "$a" "${a:r}${a:0:r}" <block.txt
        k=$((k + 1))
    done
    rm -f gen.lua block.txt
}

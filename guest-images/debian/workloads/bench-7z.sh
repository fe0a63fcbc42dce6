#!/bin/sh
# hspt bench: 7-Zip's own benchmark, `7zz b`, one pass, one thread, 64 KiB dictionary.
set -e
. "$(dirname "$0")/bench-lib.sh"
bench_begin
sevenzip b 1 -mmt1 -md16 >out.txt
bench_end 7z
grep -E '^(Tot|Avr):' out.txt

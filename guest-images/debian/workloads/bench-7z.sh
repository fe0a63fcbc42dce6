#!/bin/sh
# hspt bench: 7-Zip's own benchmark, `7zz b`: one pass, one thread, 64 KiB dictionary, short test time.
# 7-Zip sizes its test passes by the speed it measures, so its elapsed time is not a fixed amount of work;
# its rating is. The result is therefore given as the seconds 10^10 of 7-Zip's rating instructions take,
# 10000 / (total rating in MIPS), which compares between machines like a time; the elapsed time by the
# clock is printed too (HSPT-BENCH-INFO).
set -e
. "$(dirname "$0")/bench-lib.sh"
bench_begin 7z
sevenzip b 1 -mmt1 -md16 -mtime=1 >out.txt
elapsed=$(bench_end 7z)
grep -E '^(Tot|Avr):' out.txt
awk '/^Tot:/ { if ($4 > 0) printf "HSPT-BENCH 7z %.3f\nHSPT-BENCH-INFO 7z rating_mips=%s\n", 10000 / $4, $4 }' out.txt
echo "HSPT-BENCH-INFO 7z elapsed_s=${elapsed##* }"

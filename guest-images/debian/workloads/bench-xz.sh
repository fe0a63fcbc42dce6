#!/bin/sh
# hspt bench: xz -6 compression and decompression of 384 KiB of text (the data is made before the clock starts).
set -e
. "$(dirname "$0")/bench-lib.sh"
bench_text 384 >data.txt
bench_begin xz
xz -6 -c data.txt >data.txt.xz
xz -d -c data.txt.xz >back.txt
bench_end xz
cmp data.txt back.txt
echo "xz: $(wc -c <data.txt) -> $(wc -c <data.txt.xz) bytes, sha256 $(sha256sum <data.txt.xz | cut -c1-16)"

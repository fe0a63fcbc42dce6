#!/bin/sh
# hspt bench: gzip -6 and -9 compression and decompression of 2 MiB of text (made before the clock starts).
set -e
. "$(dirname "$0")/bench-lib.sh"
bench_text 2048 >data.txt
bench_begin gzip
gzip -6 -c data.txt >data.6.gz
gzip -9 -c data.txt >data.9.gz
gzip -d -c data.9.gz >back.txt
bench_end gzip
cmp data.txt back.txt
echo "gzip: $(wc -c <data.txt) -> $(wc -c <data.6.gz) / $(wc -c <data.9.gz) bytes, sha256 $(sha256sum <data.9.gz | cut -c1-16)"

#!/bin/sh
# hspt bench: many short processes: fork/exit ($(...)), fork/exec of busybox applets and of a dynamically
# linked program (lua), pipelines, and parallel jobs. Exercises address-space creation, switches and teardown.
set -e
. "$(dirname "$0")/bench-lib.sh"
bench_begin multi
i=0
total=0
while [ "$i" -lt 80 ]; do
    i=$(expr "$i" + 1)
    total=$((total + $(echo "$i" | wc -c)))
done
echo "expr loop: $i $total"
n=0
for f in $(seq 1 20); do
    n=$((n + $(seq 1 "$f" | sort -rn | head -3 | md5sum | cut -c1-2 | wc -c)))
done
echo "pipelines: $n"
for k in 1 2 3 4; do
    ( j=0; while [ "$j" -lt 12 ]; do j=$((j + 1)); echo "$k $j" | md5sum >>"par.$k"; done ) &
done
wait
echo "parallel: $(cat par.1 par.2 par.3 par.4 | sort -u | wc -l)"
j=0
while [ "$j" -lt 10 ]; do
    j=$((j + 1))
    lua -e "io.write(($j * $j) % 7)" >>lua.out
done
echo "lua execs: $(cat lua.out)"
bench_end multi

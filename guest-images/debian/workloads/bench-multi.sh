#!/bin/sh
# hspt bench: many short processes: fork/exit ($(...)), fork/exec of busybox applets, of busybox itself and of
# dynamically linked programs (lua, gzip), pipelines, and parallel jobs -- eight at once, each a loop of
# three-process pipelines, so that more than 16 address spaces interleave. Exercises address-space creation,
# switches and teardown.
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
while [ "$j" -lt 30 ]; do
    j=$((j + 1))
    "$R/bin/busybox" true    # a real exec (of the static busybox), not an applet run in the shell's child
done
echo "execs: $j"
for k in 1 2 3 4 5 6 7 8; do
    ( j=0; while [ "$j" -lt 5 ]; do
        j=$((j + 1))
        seq 1 $((k * 40 + j)) | "$R/bin/busybox" sort -rn | gzip -1 -n | wc -c >>"job.$k"
    done ) &
done
wait
echo "parallel pipelines: $(cat job.1 job.2 job.3 job.4 job.5 job.6 job.7 job.8 | md5sum | cut -c1-16)"
j=0
while [ "$j" -lt 10 ]; do
    j=$((j + 1))
    lua -e "io.write(($j * $j) % 7)" >>lua.out
done
echo "lua execs: $(cat lua.out)"
bench_end multi

#!/bin/sh
# Soak (issue 9, tests/soak.rs): the same light mix of work 20 times in one VM: fork/exec of busybox
# applets, pipelines, parallel jobs, xz and gzip round trips, a dynamically linked program (lua).
# After each iteration it prints "HSPT-SAMPLE soak N", on which hspt records its own memory use
# (--stats "samples"), so a test can check that the host process stays flat while the guest works.
set -e
# busybox sh runs its own applets before PATH: these are Debian's programs.
xz() { /usr/bin/xz "$@"; }
gzip() { /bin/gzip "$@"; }
cd /tmp
seq 1 2000 >base.txt
want_xz=$(xz -c base.txt | md5sum | cut -c1-8)
n=0
while [ "$n" -lt "${SOAK_ITERATIONS:-20}" ]; do
    n=$((n + 1))
    i=0
    while [ "$i" -lt 8 ]; do i=$(expr "$i" + 1); done
    seq 1 800 | sort -rn | head -3 | md5sum | cut -c1-8 >"pipe.$n"
    for k in 1 2 3; do ( seq 1 $((k * 400)) | md5sum >"par.$k" ) & done
    wait
    xz -c base.txt >base.xz
    [ "$(md5sum <base.xz | cut -c1-8)" = "$want_xz" ]
    xz -dc base.xz | cmp -s - base.txt
    gzip -c base.txt | gzip -dc | cmp -s - base.txt
    lua -e "io.write(($n * $n) % 11)" >"lua.$n"
    [ "$(cat "pipe.$n")" = "$(cat pipe.1)" ]
    [ "$n" -eq 1 ] || rm "pipe.$n"
    rm -f "lua.$n" par.1 par.2 par.3 base.xz
    echo "HSPT-SAMPLE soak $n"
done
echo "soak: $n iterations"

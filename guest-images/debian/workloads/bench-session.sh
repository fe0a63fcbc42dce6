#!/bin/sh
# hspt bench: several bench workloads one after another in one boot (`hspt bench --one-guest`, which
# --suite spt sets), each in its own empty directory. The list comes from the kernel command line:
#   hspt.bench=boot,memrand,multi
# Each workload prints its own marker and result lines; the exit status is the first failure's.
list=
for a in $(cat /proc/cmdline); do
    case $a in hspt.bench=*) list=${a#hspt.bench=} ;; esac
done
[ -n "$list" ] || { echo "bench-session: no hspt.bench=W1,W2,... on the kernel command line"; exit 2; }
status=0
for w in $(echo "$list" | tr , ' '); do
    mkdir -p "/tmp/session/$w"
    (cd "/tmp/session/$w" && sh "/workloads/bench-$w.sh") || { s=$?; [ "$status" -ne 0 ] || status=$s; }
    rm -rf "/tmp/session/$w"
done
exit $status

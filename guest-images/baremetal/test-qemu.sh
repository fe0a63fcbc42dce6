#!/bin/sh
# Runs every built guest (build/*.elf) under qemu-system-arm and checks that
# its last line is "PASS <name>".  Prints one line per guest and a summary
# "N passed, N failed".  Usage: ./test-qemu.sh [elf...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -eq 0 ]; then
    set -- "$here"/build/*.elf
fi
pass=0
fail=0
for elf in "$@"; do
    name=$(basename "$elf" .elf)
    base=${name%-arm}
    base=${base%-thumb}
    out=$("$here/run-qemu.sh" "$elf" 2>&1)
    rc=$?
    last=$(printf '%s\n' "$out" | tail -n 1)
    want="PASS $base"
    # hello is the demo guest: its whole output is one greeting line.
    [ "$base" = hello ] && want="Hello from hspt bare-metal guest"
    if [ $rc -eq 0 ] && [ "$last" = "$want" ] && { [ "$base" != hello ] || [ "$out" = "$want" ]; }; then
        echo "ok    $name"
        pass=$((pass + 1))
    else
        echo "FAIL  $name (exit $rc): $last"
        fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]

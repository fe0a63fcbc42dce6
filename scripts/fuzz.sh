#!/usr/bin/env bash
# Runs hspt's cargo-fuzz targets (fuzz/fuzz_targets: decode, exec, loader, dtb) for a
# fixed budget each, starting from the seed corpora in fuzz/corpus (left untouched: new
# inputs go to a temporary directory). Works on the stable toolchain: RUSTC_BOOTSTRAP=1
# lets cargo fuzz pass its -Z flags, and `-s none` needs no sanitizer runtime (the
# build still has debug assertions and overflow checks). Installs cargo-fuzz if missing.
#
#   FUZZ_SECONDS=20 (per target)   FUZZ_TARGETS="decode exec loader dtb"
#   FUZZ_KEEP=DIR: keep the grown corpora and logs in DIR
#
# A crash stops the script with status 1 and leaves the input in fuzz/artifacts/TARGET/;
# reproduce it with `RUSTC_BOOTSTRAP=1 cargo fuzz run -s none --fuzz-dir fuzz TARGET FILE`.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-20}
targets=${FUZZ_TARGETS:-decode exec loader dtb}
export RUSTC_BOOTSTRAP=1
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi
if [ -n "${FUZZ_KEEP:-}" ]; then
    work=$FUZZ_KEEP
    mkdir -p "$work"
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi
cargo fuzz build -s none --fuzz-dir fuzz
passed=0
failed=0
for t in $targets; do
    mkdir -p "$work/$t"
    log="$work/$t.log"
    if cargo fuzz run -s none --fuzz-dir fuzz "$t" "$work/$t" "fuzz/corpus/$t" -- \
        -max_total_time="$seconds" -timeout=60 -print_final_stats=1 >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        echo "fuzz: $t: ${runs:-?} executions in ${seconds} s, no crash"
        passed=$((passed + 1))
    else
        echo "fuzz: $t: FAILED (log below; input in fuzz/artifacts/$t/)"
        grep -v '^ *[0-9]*: \|^ *at ' "$log" | tail -40
        failed=$((failed + 1))
    fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

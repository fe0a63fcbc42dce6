#!/bin/sh
# Differential test of runtime/src/fp against qemu-arm (see README.md).
# usage: run.sh [N_PER_OP [SEED [OP,OP,...]]]
set -e
here=$(cd "$(dirname "$0")" && pwd)
work=${FP_ORACLE_DIR:-/tmp/hspt-fp-oracle}
mkdir -p "$work"
arm-linux-gnueabihf-gcc -O2 -static -march=armv7-a -mfpu=vfpv4 -mfloat-abi=hard \
    -o "$work/vfp_oracle" "$here/vfp_oracle.c"
cat > "$work/Cargo.toml" <<TOML
[package]
name = "hspt-fp-oracle"
version = "0.0.0"
edition = "2021"
publish = false

[[bin]]
name = "compare"
path = "$here/compare.rs"

[profile.release]
debug-assertions = true
overflow-checks = true

[workspace]
TOML
(cd "$work" && cargo build --release --quiet)
exec "$work/target/release/compare" ${QEMU_ARM:-qemu-arm} -cpu cortex-a15 "$work/vfp_oracle" \
    -- "${1:-200000}" "${2:-1}" ${3:+"$3"}

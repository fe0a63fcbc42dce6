#!/bin/sh
# Development aid: builds a portable test (one that uses no ARM inline asm
# outside #ifndef HOST) for the build machine and runs it, so its output can be
# compared line by line with the guest's.  Usage: gen/host-run.sh NAME
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
n=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -DHOST -O2 -g -funsigned-char -fno-builtin -fno-math-errno -ffp-contract=off -fno-strict-aliasing \
    -I"$here/rt" "$here/rt/rt.c" "$here/tests/$n.c" -o "$tmp/$n" -lm
"$tmp/$n"

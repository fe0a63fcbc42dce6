#!/usr/bin/env bash
# Sets up everything hspt needs on a Debian 12 x86-64 machine; safe to re-run.
#  - apt packages: the ARM cross compiler (bare-metal test guests), QEMU (the
#    reference we compare against), LLVM 19 (the JIT/AOT backend), gdb-multiarch
#  - builds the bare-metal test guests and fetches the Debian armhf guest
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(gcc-arm-linux-gnueabihf libc6-dev-armhf-cross binutils-arm-linux-gnueabihf
      qemu-user qemu-system-arm llvm-19-dev libpolly-19-dev libzstd-dev gdb-multiarch
      python3 xz-utils)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v cargo >/dev/null || { echo "setup: cargo (Rust) is required: https://rustup.rs" >&2; exit 1; }

bash guest-images/baremetal/build.sh >&2
# The Debian armhf guest (kernel, busybox and programs from Debian's archive) and its initramfs images.
bash guest-images/debian/fetch.sh >&2
echo "setup: done" >&2

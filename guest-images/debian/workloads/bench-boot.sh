#!/bin/sh
# hspt bench: boot to /init. `hspt bench` times the boot on the host, up to /init's first line; this script
# adds the guest's own view: its uptime when /init ran it (kernel boot, without the decompressor before it).
read -r up _ </proc/uptime
echo "HSPT-BENCH boot $up"

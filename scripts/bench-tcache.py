#!/usr/bin/env python3
"""Translation-cache benchmark (issue 6): Debian's kernel + the quick workload,
cold (JIT only) vs AOT-warm (a cache made by `hspt aot --profile` from the cold
run's profile) vs warm after write-back (the cold run's own JIT code).

    scripts/bench-tcache.py [--hspt target/release/hspt] [--out DIR] [--codegen N]

Prints a markdown table: wall time, time to /init's first output line, blocks
JIT-compiled as a share of the distinct blocks executed, blocks from the cache,
AOT time and throughput, cache sizes. Timings are of single runs on whatever
machine this is: note its load.
"""
import argparse, json, os, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEB = os.path.join(ROOT, "guest-images/debian/out")
APPEND = "console=ttyAMA0 cryptomgr.notests quiet panic=-1 hspt.script=quick"


def boot(hspt, out, name, extra):
    stats = os.path.join(out, f"{name}.json")
    cmd = [hspt, "run", "-m", "256", "--timeout", "600", "--append", APPEND, "--tier", "auto",
           "--kernel", os.path.join(DEB, "vmlinuz"), "--initrd", os.path.join(DEB, "initramfs.cpio.gz"),
           "--stats", stats] + extra
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t_init = None
    lines = []
    for line in p.stdout:
        lines.append(line)
        if t_init is None and line.startswith("HSPT-WORKLOAD-BEGIN"):
            t_init = time.monotonic() - t0
    err = p.stderr.read()
    p.wait()
    wall = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit(f"{name}: exit {p.returncode}: {err}")
    s = json.load(open(stats))
    b = s["blocks"]
    work = "".join(l for l in lines if not l.startswith("["))
    return {"name": name, "wall": wall, "init": t_init, "distinct": b["distinct"], "jit": b["jit_compiled"],
            "cache": b["from_cache"], "output": work[work.find("HSPT-WORKLOAD-BEGIN"):]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hspt", default=os.path.join(ROOT, "target/release/hspt"))
    ap.add_argument("--out", default="/tmp/hspt-bench-tcache")
    ap.add_argument("--codegen", default="0")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    wb, prof, aot = (os.path.join(a.out, f) for f in ("writeback.htc", "run.prof", "aot.htc"))
    for f in (wb, prof, aot):
        if os.path.exists(f):
            os.remove(f)
    rows = [boot(a.hspt, a.out, "cold JIT", ["--cache", wb, "--cache-write", "--profile-out", prof])]
    t0 = time.monotonic()
    r = subprocess.run([a.hspt, "aot", "-q", "--codegen", a.codegen, "-o", aot, "--profile", prof],
                       capture_output=True, text=True)
    aot_s = time.monotonic() - t0
    if r.returncode != 0:
        sys.exit(r.stderr)
    summary = r.stderr.strip().splitlines()[-1]
    rows.append(boot(a.hspt, a.out, "AOT-warm", ["--cache", aot]))
    rows.append(boot(a.hspt, a.out, "warm after write-back", ["--cache", wb]))
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}\n")
    print("| run | wall s | to /init s | distinct blocks | JIT-compiled | share | from cache | output = cold |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for x in rows:
        same = "yes" if x["output"] == rows[0]["output"] else "NO"
        print(f"| {x['name']} | {x['wall']:.1f} | {x['init']:.1f} | {x['distinct']} | {x['jit']} | "
              f"{100.0 * x['jit'] / max(1, x['distinct']):.1f}% | {x['cache']} | {same} |")
    print(f"\nhspt aot --profile (codegen {a.codegen}): {aot_s:.1f} s wall\n{summary}")
    for f in (wb, aot):
        print(f"{os.path.basename(f)}: {os.path.getsize(f) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()

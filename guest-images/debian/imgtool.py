#!/usr/bin/env python3
"""Helpers for building the hspt Debian initramfs (Python 3 standard library only).

  imgtool.py closure ROOT PATH...
      Print, one per line and relative to ROOT, every file PATH needs at run time: PATH itself, its ELF
      interpreter and its DT_NEEDED libraries, recursively, plus every symlink on the way to each of them
      (libz.so.1 -> libz.so.1.2.13 prints both). Libraries are looked up the way the armhf loader does
      without an ld.so.cache: the Debian multiarch directories, then /lib and /usr/lib.

  imgtool.py cpio -o OUT.cpio.gz TREE [--dev PATH:c|b:MAJOR:MINOR:MODE]...
      Pack directory TREE as a gzip-compressed "newc" cpio archive, as the Linux initramfs loader wants.
      Reproducible: entries sorted by path, owner root:root, mtime 0 (or $SOURCE_DATE_EPOCH), gzip header
      without name or time. --dev adds a device node (no root rights or mknod needed), e.g.
      --dev dev/console:c:5:1:600.
"""
import gzip
import os
import stat
import struct
import sys

LIB_DIRS = ["lib/arm-linux-gnueabihf", "usr/lib/arm-linux-gnueabihf", "lib", "usr/lib"]


# ---------------------------------------------------------------- ELF dependencies

def elf_deps(data):
    """Return (interpreter or None, [needed...]) of a 32-bit little-endian ELF image, or None if not ELF."""
    if data[:4] != b"\x7fELF" or data[4] != 1 or data[5] != 1:
        return None
    (e_phoff, ) = struct.unpack_from("<I", data, 28)
    e_phentsize, e_phnum = struct.unpack_from("<HH", data, 42)
    loads, dynamic, interp = [], None, None
    for i in range(e_phnum):
        p_type, p_offset, p_vaddr, _pa, p_filesz, _memsz, _fl, _al = struct.unpack_from(
            "<8I", data, e_phoff + i * e_phentsize)
        if p_type == 1:
            loads.append((p_vaddr, p_offset, p_filesz))
        elif p_type == 2:
            dynamic = (p_offset, p_filesz)
        elif p_type == 3:
            interp = data[p_offset:p_offset + p_filesz].split(b"\0")[0].decode()
    if dynamic is None:
        return interp, []

    def v2o(vaddr):
        for va, off, sz in loads:
            if va <= vaddr < va + sz:
                return off + vaddr - va
        raise ValueError("address 0x%x not in any PT_LOAD" % vaddr)

    needed, strtab = [], None
    off, end = dynamic[0], dynamic[0] + dynamic[1]
    while off + 8 <= end:
        tag, val = struct.unpack_from("<iI", data, off)
        off += 8
        if tag == 0:
            break
        if tag == 1:
            needed.append(val)
        elif tag == 5:
            strtab = v2o(val)
    names = []
    for n in needed:
        s = strtab + n
        names.append(data[s:data.index(b"\0", s)].decode())
    return interp, names


def chain(root, rel, out):
    """Add rel and, if it is a symlink, everything it resolves through (inside root). Return the final path."""
    seen = 0
    while True:
        out.add(rel)
        full = os.path.join(root, rel)
        if not os.path.islink(full):
            if not os.path.exists(full):
                sys.exit("imgtool: %s does not exist in %s" % (rel, root))
            return rel
        target = os.readlink(full)
        if target.startswith("/"):
            rel = os.path.normpath(target.lstrip("/"))
        else:
            rel = os.path.normpath(os.path.join(os.path.dirname(rel), target))
        # a path whose parent directory is itself a symlink (merged /usr) is not handled: Debian bookworm
        # packages ship real directories, so this stays simple.
        seen += 1
        if seen > 40:
            sys.exit("imgtool: symlink loop at %s" % rel)


def closure(root, paths):
    out = set()
    todo = [p.lstrip("/") for p in paths]
    done = set()
    while todo:
        rel = todo.pop()
        if rel in done:
            continue
        done.add(rel)
        real = chain(root, rel, out)
        with open(os.path.join(root, real), "rb") as f:
            data = f.read()
        deps = elf_deps(data)
        if deps is None:
            continue
        interp, needed = deps
        if interp:
            todo.append(interp.lstrip("/"))
        for name in needed:
            for d in LIB_DIRS:
                cand = os.path.join(d, name)
                if os.path.lexists(os.path.join(root, cand)):
                    todo.append(cand)
                    break
            else:
                sys.exit("imgtool: %s needs %s, which is not in %s" % (real, name, root))
    for rel in sorted(out):
        print(rel)


# ---------------------------------------------------------------- cpio (newc)

def cpio_header(name, mode, ino, nlink, size, mtime, rdevmajor=0, rdevminor=0):
    namebytes = name.encode() + b"\0"
    hdr = "070701" + "".join("%08X" % v for v in (
        ino, mode, 0, 0, nlink, mtime, size, 0, 0, rdevmajor, rdevminor, len(namebytes), 0))
    rec = hdr.encode() + namebytes
    rec += b"\0" * (-len(rec) % 4)
    return rec


def pack(tree, out_path, devs):
    mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    entries = {}
    for dirpath, dirnames, filenames in os.walk(tree):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            entries[os.path.relpath(full, tree)] = ("path", full)
    for spec in devs:
        path, kind, major, minor, mode = spec.split(":")
        fmt = {"c": stat.S_IFCHR, "b": stat.S_IFBLK}[kind]
        entries[path.strip("/")] = ("dev", fmt | int(mode, 8), int(major), int(minor))
        parent = os.path.dirname(path.strip("/"))
        while parent and parent not in entries:
            entries[parent] = ("dir",)
            parent = os.path.dirname(parent)
    body = bytearray()
    ino = 1
    for rel in sorted(entries):
        e = entries[rel]
        ino += 1
        if e[0] == "dir":
            body += cpio_header(rel, stat.S_IFDIR | 0o755, ino, 2, 0, mtime)
        elif e[0] == "dev":
            body += cpio_header(rel, e[1], ino, 1, 0, mtime, e[2], e[3])
        else:
            st = os.lstat(e[1])
            perm = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                data = os.readlink(e[1]).encode()
                body += cpio_header(rel, stat.S_IFLNK | 0o777, ino, 1, len(data), mtime) + data
            elif stat.S_ISDIR(st.st_mode):
                body += cpio_header(rel, stat.S_IFDIR | perm, ino, 2, 0, mtime)
                continue
            elif stat.S_ISREG(st.st_mode):
                with open(e[1], "rb") as f:
                    data = f.read()
                body += cpio_header(rel, stat.S_IFREG | perm, ino, 1, len(data), mtime) + data
            else:
                sys.exit("imgtool: unsupported file type: %s" % e[1])
        body += b"\0" * (-len(body) % 4)
    body += cpio_header("TRAILER!!!", 0, 0, 1, 0, 0)
    body += b"\0" * (-len(body) % 512)
    tmp = out_path + ".tmp"
    with open(tmp, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
            gz.write(bytes(body))
    os.replace(tmp, out_path)


def main(argv):
    if len(argv) >= 3 and argv[0] == "closure":
        closure(argv[1], argv[2:])
    elif argv and argv[0] == "cpio":
        args, out, devs, tree = argv[1:], None, [], None
        while args:
            a = args.pop(0)
            if a == "-o":
                out = args.pop(0)
            elif a == "--dev":
                devs.append(args.pop(0))
            elif tree is None:
                tree = a
            else:
                sys.exit("imgtool cpio: unexpected argument %s" % a)
        if not out or not tree:
            sys.exit("usage: imgtool.py cpio -o OUT.cpio.gz TREE [--dev PATH:c:MAJ:MIN:MODE]...")
        pack(tree, out, devs)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])

#!/usr/bin/env python3
"""Generates tests/bits_ops.h for the `bits` guest.

Each op is one (or two) ARM instruction(s) in inline asm plus a Python model of
its architectural result (ARMv7-A ARM, DDI 0406C).  The guest runs every op on
every pair of INPUTS, hashes (d, d2, flags) and compares with the hash computed
here, so the expected values come from an independent model, not from an
emulator.  `gen_bits.py --dump OP` prints the per-case table of one op (the
guest prints the same table when an op mismatches), for diffing.
"""
import sys

M = 0xffffffff
INPUTS = [0x00000000, 0x00000001, 0x00000002, 0x0000001f, 0x00000020, 0x00000021,
          0x0000007f, 0x00000080, 0x000000ff, 0x00008000, 0x7fffffff, 0x80000000,
          0xfffffffe, 0xffffffff, 0x12345678, 0xdeadbeef]
N, Z, C, V, Q = 1 << 31, 1 << 30, 1 << 29, 1 << 28, 1 << 27
FLAGMASK = 0xf80f0000


def s32(x):
    x &= M
    return x - (1 << 32) if x & 0x80000000 else x


def sx(x, bits):
    x &= (1 << bits) - 1
    return x - (1 << bits) if x >> (bits - 1) else x


def ror(x, n):
    n &= 31
    return ((x >> n) | (x << (32 - n))) & M if n else x & M


def nz(r, fl):
    fl &= ~(N | Z)
    if r & 0x80000000:
        fl |= N
    if r & M == 0:
        fl |= Z
    return fl


def setc(fl, c):
    return (fl | C) if c else (fl & ~C)


def addc(x, y, cin):
    us = x + y + cin
    ss = s32(x) + s32(y) + cin
    r = us & M
    return r, bool(us >> 32), s32(r) != ss


def addflags(fl, x, y, cin):
    r, c, v = addc(x, y, cin)
    fl = nz(r, fl)
    fl = setc(fl, c)
    fl = (fl | V) if v else (fl & ~V)
    return r, fl


def shift_c(t, x, n, cin):
    """Shift by register amount n (already & 0xff) or immediate; returns (r, c)."""
    if t == 'lsl':
        if n == 0: return x, cin
        if n < 32: return (x << n) & M, (x >> (32 - n)) & 1
        if n == 32: return 0, x & 1
        return 0, 0
    if t == 'lsr':
        if n == 0: return x, cin
        if n < 32: return x >> n, (x >> (n - 1)) & 1
        if n == 32: return 0, x >> 31
        return 0, 0
    if t == 'asr':
        if n == 0: return x, cin
        if n < 32: return (s32(x) >> n) & M, (x >> (n - 1)) & 1
        return (M if x >> 31 else 0), x >> 31
    if t == 'ror':
        if n == 0: return x, cin
        if n & 31 == 0: return x, x >> 31
        r = ror(x, n)
        return r, r >> 31
    if t == 'rrx':
        return (x >> 1) | (cin << 31), x & 1
    raise ValueError(t)


def ssat(v, n):
    hi, lo = (1 << (n - 1)) - 1, -(1 << (n - 1))
    if v > hi: return hi, True
    if v < lo: return lo, True
    return v, False


def usat(v, n):
    hi = (1 << n) - 1
    if v > hi: return hi, True
    if v < 0: return 0, True
    return v, False


def lanes(x, w):
    return [(x >> (i * w)) & ((1 << w) - 1) for i in range(32 // w)]


def pack(vals, w):
    r = 0
    for i, v in enumerate(vals):
        r |= (v & ((1 << w) - 1)) << (i * w)
    return r


def ge_bits(flags_per_lane, w):
    """GE[3:0] from per-lane booleans (16-bit lanes set two GE bits)."""
    ge = 0
    per = 4 // (32 // w)
    for i, f in enumerate(flags_per_lane):
        if f:
            ge |= ((1 << per) - 1) << (i * per)
    return ge << 16


# Each op: name, asm lines (operands %[d] %[d2] %[a] %[b] %[c]), init of d and d2
# ("0", "a", "b", "c"), flags-in, ISA restriction (None, 'arm', 'thumb'),
# model(a, b, c, d, d2, fl) -> (d, d2, fl).
OPS = []


def op(name, asm, model, fin=0, d='0', d2='0', isa=None):
    OPS.append(dict(name=name, asm=asm, model=model, fin=fin, d=d, d2=d2, isa=isa))


# --- shifts by register (amount = b & 0xff) ---
for t in ('lsl', 'lsr', 'asr', 'ror'):
    for cin in (0, 1):
        def m(a, b, c, d, d2, fl, t=t):
            r, cc = shift_c(t, a, b & 0xff, (fl >> 29) & 1)
            return r, d2, setc(nz(r, fl), cc)
        op('%ss_reg_c%d' % (t, cin), ['%ss %%[d], %%[a], %%[b]' % t], m, fin=C if cin else 0)
    def m(a, b, c, d, d2, fl, t=t):
        return shift_c(t, a, b & 0xff, 0)[0], d2, fl
    op('%s_reg' % t, ['%s %%[d], %%[a], %%[b]' % t], m, fin=V)

# --- shifts by immediate ---
for t, n in (('lsl', 1), ('lsl', 31), ('lsr', 1), ('lsr', 32), ('asr', 7), ('asr', 32), ('ror', 7), ('ror', 31)):
    def m(a, b, c, d, d2, fl, t=t, n=n):
        r, cc = shift_c(t, a, n, (fl >> 29) & 1)
        return r, d2, setc(nz(r, fl), cc)
    op('%ss_imm%d' % (t, n), ['%ss %%[d], %%[a], #%d' % (t, n)], m)
for cin in (0, 1):
    def m(a, b, c, d, d2, fl):
        r, cc = shift_c('rrx', a, 0, (fl >> 29) & 1)
        return r, d2, setc(nz(r, fl), cc)
    op('rrxs_c%d' % cin, ['rrxs %[d], %[a]'], m, fin=C if cin else 0)

# --- add/sub family ---
def m_adds(a, b, c, d, d2, fl):
    r, fl = addflags(fl, a, b, 0); return r, d2, fl
op('adds', ['adds %[d], %[a], %[b]'], m_adds)
for cin in (0, 1):
    def m(a, b, c, d, d2, fl):
        r, fl = addflags(fl, a, b, (fl >> 29) & 1); return r, d2, fl
    op('adcs_c%d' % cin, ['adcs %[d], %[a], %[b]'], m, fin=C if cin else 0)
    def m(a, b, c, d, d2, fl):
        r, fl = addflags(fl, a, ~b & M, (fl >> 29) & 1); return r, d2, fl
    op('sbcs_c%d' % cin, ['sbcs %[d], %[a], %[b]'], m, fin=C if cin else 0)
    def m(a, b, c, d, d2, fl):
        r, fl = addflags(fl, b, ~a & M, (fl >> 29) & 1); return r, d2, fl
    op('rscs_c%d' % cin, ['rscs %[d], %[a], %[b]'], m, fin=C if cin else 0, isa='arm')
def m(a, b, c, d, d2, fl):
    r, fl = addflags(fl, a, ~b & M, 1); return r, d2, fl
op('subs', ['subs %[d], %[a], %[b]'], m)
def m(a, b, c, d, d2, fl):
    r, fl = addflags(fl, b, ~a & M, 1); return r, d2, fl
op('rsbs', ['rsbs %[d], %[a], %[b]'], m)
def m(a, b, c, d, d2, fl):
    r, fl = addflags(fl, 0, ~a & M, 1); return r, d2, fl
op('negs', ['rsbs %[d], %[a], #0'], m)
def m(a, b, c, d, d2, fl):
    r, fl = addflags(fl, a, (b << 3) & M, 0); return r, d2, fl
op('adds_lsl3', ['adds %[d], %[a], %[b], lsl #3'], m)
def m(a, b, c, d, d2, fl):
    r, fl = addflags(fl, a, ~((s32(b) >> 5) & M) & M, 1); return r, d2, fl
op('subs_asr5', ['subs %[d], %[a], %[b], asr #5'], m)
def m(a, b, c, d, d2, fl):
    _, fl = addflags(fl, a, ~b & M, 1); return d, d2, fl
op('cmp', ['cmp %[a], %[b]'], m)
def m(a, b, c, d, d2, fl):
    _, fl = addflags(fl, a, b, 0); return d, d2, fl
op('cmn', ['cmn %[a], %[b]'], m)
def m(a, b, c, d, d2, fl):
    _, fl = addflags(fl, a, ~((b << 1) & M) & M, 1); return d, d2, fl
op('cmp_lsl1', ['cmp %[a], %[b], lsl #1'], m)
def m(a, b, c, d, d2, fl):
    sh, cc = shift_c('lsr', b, 1, 0)
    return d, d2, setc(nz(a & sh, fl), cc)
op('tst_lsr1', ['tst %[a], %[b], lsr #1'], m, fin=V)
def m(a, b, c, d, d2, fl):
    return d, d2, nz(a ^ b, fl)
op('teq_c1', ['teq %[a], %[b]'], m, fin=C | V)
def m(a, b, c, d, d2, fl):
    r, fl = addflags(fl, a, b, 0)
    return r, d2, fl
op('add_reg_shifted_reg', ['adds %[d], %[a], %[b], ror %[a]'],
   lambda a, b, c, d, d2, fl: (lambda r: (r[0], d2, r[1]))(addflags(fl, a, shift_c('ror', b, a & 0xff, 0)[0], 0)),
   isa='arm')

# --- logical with shifter carry ---
def m(a, b, c, d, d2, fl):
    sh, cc = shift_c('ror', b, 1, (fl >> 29) & 1); r = a & sh
    return r, d2, setc(nz(r, fl), cc)
op('ands_ror1', ['ands %[d], %[a], %[b], ror #1'], m)
def m(a, b, c, d, d2, fl):
    sh, cc = shift_c('asr', b, 31, 0); r = a ^ sh
    return r, d2, setc(nz(r, fl), cc)
op('eors_asr31', ['eors %[d], %[a], %[b], asr #31'], m)
def m(a, b, c, d, d2, fl):
    sh, cc = shift_c('lsr', b, 32, 0); r = a | sh
    return r, d2, setc(nz(r, fl), cc)
op('orrs_lsr32', ['orrs %[d], %[a], %[b], lsr #32'], m)
def m(a, b, c, d, d2, fl):
    r = a & ~b & M
    return r, d2, nz(r, fl)
op('bics_c1', ['bics %[d], %[a], %[b]'], m, fin=C)
def m(a, b, c, d, d2, fl):
    sh, cc = shift_c('rrx', b, 0, (fl >> 29) & 1); r = ~sh & M
    return r, d2, setc(nz(r, fl), cc)
op('mvns_rrx_c1', ['mvns %[d], %[b], rrx'], m, fin=C)
def m(a, b, c, d, d2, fl):
    r = a & 0xff000000
    return r, d2, setc(nz(r, fl), 1)
op('ands_imm_rot', ['ands %[d], %[a], #0xff000000'], m)
def m(a, b, c, d, d2, fl):
    r = a & 0x3fc
    return r, d2, setc(nz(r, fl), 0)
op('ands_imm_rot2_c1', ['ands %[d], %[a], #0x3fc'], m, fin=C)
def m(a, b, c, d, d2, fl):
    r = a & 0xff
    return r, d2, nz(r, fl)
op('ands_imm_c1', ['ands %[d], %[a], #0xff'], m, fin=C)
def m(a, b, c, d, d2, fl):
    r = a | (~b & M)
    return r, d2, fl
op('orn', ['orn %[d], %[a], %[b]'], m, isa='thumb')

# --- multiplies ---
op('mul', ['mul %[d], %[a], %[b]'], lambda a, b, c, d, d2, fl: ((a * b) & M, d2, fl))
def m(a, b, c, d, d2, fl):
    r = (a * b) & M
    return r, d2, nz(r, fl)
op('muls_cv', ['muls %[d], %[a], %[b]'], m, fin=C | V, isa='arm')
op('mla', ['mla %[d], %[a], %[b], %[c]'], lambda a, b, c, d, d2, fl: ((a * b + c) & M, d2, fl))
op('mls', ['mls %[d], %[a], %[b], %[c]'], lambda a, b, c, d, d2, fl: ((c - a * b) & M, d2, fl))
def m(a, b, c, d, d2, fl):
    p = a * b; return p & M, p >> 32, fl
op('umull', ['umull %[d], %[d2], %[a], %[b]'], m)
def m(a, b, c, d, d2, fl):
    p = (s32(a) * s32(b)) & 0xffffffffffffffff; return p & M, p >> 32, fl
op('smull', ['smull %[d], %[d2], %[a], %[b]'], m)
def m(a, b, c, d, d2, fl):
    p = (a * b + (d2 << 32 | d)) & 0xffffffffffffffff; return p & M, p >> 32, fl
op('umlal', ['umlal %[d], %[d2], %[a], %[b]'], m, d='c', d2='b')
def m(a, b, c, d, d2, fl):
    p = (s32(a) * s32(b) + s32(d2) * (1 << 32) + d) & 0xffffffffffffffff; return p & M, p >> 32, fl
op('smlal', ['smlal %[d], %[d2], %[a], %[b]'], m, d='c', d2='b')
def m(a, b, c, d, d2, fl):
    p = a * b + d + d2; return p & M, p >> 32, fl
op('umaal', ['umaal %[d], %[d2], %[a], %[b]'], m, d='c', d2='a')
def m(a, b, c, d, d2, fl):
    p = (s32(a) * s32(b)) & 0xffffffffffffffff
    lo, hi = p & M, p >> 32
    fl &= ~(N | Z)
    if hi >> 31: fl |= N
    if p == 0: fl |= Z
    return lo, hi, fl
op('smulls', ['smulls %[d], %[d2], %[a], %[b]'], m, fin=C | V, isa='arm')
for x in 'bt':
    for y in 'bt':
        def m(a, b, c, d, d2, fl, x=x, y=y):
            ha = sx(a >> 16 if x == 't' else a, 16); hb = sx(b >> 16 if y == 't' else b, 16)
            return (ha * hb) & M, d2, fl
        op('smul%s%s' % (x, y), ['smul%s%s %%[d], %%[a], %%[b]' % (x, y)], m)
def m(a, b, c, d, d2, fl):
    r = sx(a, 16) * sx(b >> 16, 16) + s32(c)
    q = r != s32(r)
    return r & M, d2, fl | (Q if q else 0)
op('smlabt', ['smlabt %[d], %[a], %[b], %[c]'], m)
for y in 'bt':
    def m(a, b, c, d, d2, fl, y=y):
        hb = sx(b >> 16 if y == 't' else b, 16)
        return ((s32(a) * hb) >> 16) & M, d2, fl
    op('smulw%s' % y, ['smulw%s %%[d], %%[a], %%[b]' % y], m)
def m(a, b, c, d, d2, fl):
    r = ((s32(a) * sx(b, 16)) >> 16) + s32(c)
    return r & M, d2, fl | (Q if r != s32(r) else 0)
op('smlawb', ['smlawb %[d], %[a], %[b], %[c]'], m)
def dual(a, b, xch):
    if xch: b = ror(b, 16)
    return sx(a, 16) * sx(b, 16), sx(a >> 16, 16) * sx(b >> 16, 16)
for xch in ('', 'x'):
    def m(a, b, c, d, d2, fl, xch=xch):
        p1, p2 = dual(a, b, xch); r = p1 + p2
        return r & M, d2, fl | (Q if r != s32(r) else 0)
    op('smuad' + xch, ['smuad%s %%[d], %%[a], %%[b]' % xch], m)
    def m(a, b, c, d, d2, fl, xch=xch):
        p1, p2 = dual(a, b, xch); return (p1 - p2) & M, d2, fl
    op('smusd' + xch, ['smusd%s %%[d], %%[a], %%[b]' % xch], m)
def m(a, b, c, d, d2, fl):
    p1, p2 = dual(a, b, ''); r = p1 + p2 + s32(c)
    return r & M, d2, fl | (Q if r != s32(r) else 0)
op('smlad', ['smlad %[d], %[a], %[b], %[c]'], m)
def m(a, b, c, d, d2, fl):
    p1, p2 = dual(a, b, 'x'); r = p1 - p2 + s32(c)
    return r & M, d2, fl | (Q if r != s32(r) else 0)
op('smlsdx', ['smlsdx %[d], %[a], %[b], %[c]'], m)
def m(a, b, c, d, d2, fl):
    p1, p2 = dual(a, b, ''); r = (p1 + p2 + (d2 << 32 | d)) & 0xffffffffffffffff
    return r & M, r >> 32, fl
op('smlald', ['smlald %[d], %[d2], %[a], %[b]'], m, d='c', d2='b')
def m(a, b, c, d, d2, fl):
    return ((s32(a) * s32(b)) >> 32) & M, d2, fl
op('smmul', ['smmul %[d], %[a], %[b]'], m)
def m(a, b, c, d, d2, fl):
    return ((s32(a) * s32(b) + 0x80000000) >> 32) & M, d2, fl
op('smmulr', ['smmulr %[d], %[a], %[b]'], m)
def m(a, b, c, d, d2, fl):
    return (((s32(c) << 32) + s32(a) * s32(b)) >> 32) & M, d2, fl
op('smmla', ['smmla %[d], %[a], %[b], %[c]'], m)
def m(a, b, c, d, d2, fl):
    return (((s32(c) << 32) - s32(a) * s32(b) + 0x80000000) >> 32) & M, d2, fl
op('smmlsr', ['smmlsr %[d], %[a], %[b], %[c]'], m)

# --- divide ---
def m(a, b, c, d, d2, fl):
    if b == 0: return 0, d2, fl
    x, y = s32(a), s32(b)
    q = abs(x) // abs(y)
    if (x < 0) != (y < 0): q = -q
    return q & M, d2, fl
op('sdiv', ['sdiv %[d], %[a], %[b]'], m)
op('udiv', ['udiv %[d], %[a], %[b]'], lambda a, b, c, d, d2, fl: ((a // b) if b else 0, d2, fl))

# --- bit manipulation ---
op('clz', ['clz %[d], %[a]'], lambda a, b, c, d, d2, fl: (32 - a.bit_length(), d2, fl))
op('rbit', ['rbit %[d], %[a]'], lambda a, b, c, d, d2, fl: (int('{:032b}'.format(a)[::-1], 2), d2, fl))
op('rev', ['rev %[d], %[a]'], lambda a, b, c, d, d2, fl: (int.from_bytes(a.to_bytes(4, 'little'), 'big'), d2, fl))
op('rev16', ['rev16 %[d], %[a]'], lambda a, b, c, d, d2, fl: (((a & 0x00ff00ff) << 8 | (a >> 8) & 0x00ff00ff) & M, d2, fl))
op('revsh', ['revsh %[d], %[a]'], lambda a, b, c, d, d2, fl: (sx((a & 0xff) << 8 | (a >> 8) & 0xff, 16) & M, d2, fl))
op('ubfx_3_9', ['ubfx %[d], %[a], #3, #9'], lambda a, b, c, d, d2, fl: ((a >> 3) & 0x1ff, d2, fl))
op('sbfx_5_17', ['sbfx %[d], %[a], #5, #17'], lambda a, b, c, d, d2, fl: (sx(a >> 5, 17) & M, d2, fl))
op('sbfx_0_32', ['sbfx %[d], %[a], #0, #32'], lambda a, b, c, d, d2, fl: (a, d2, fl))
op('ubfx_31_1', ['ubfx %[d], %[a], #31, #1'], lambda a, b, c, d, d2, fl: (a >> 31, d2, fl))
op('bfi_4_12', ['bfi %[d], %[a], #4, #12'], lambda a, b, c, d, d2, fl: ((d & ~(0xfff << 4) | (a & 0xfff) << 4) & M, d2, fl), d='b')
op('bfi_0_32', ['bfi %[d], %[a], #0, #32'], lambda a, b, c, d, d2, fl: (a, d2, fl), d='b')
op('bfc_8_8', ['bfc %[d], #8, #8'], lambda a, b, c, d, d2, fl: (d & ~0xff00, d2, fl), d='a')

# --- extend, pack ---
op('sxtb_ror8', ['sxtb %[d], %[a], ror #8'], lambda a, b, c, d, d2, fl: (sx(ror(a, 8), 8) & M, d2, fl))
op('sxth', ['sxth %[d], %[a]'], lambda a, b, c, d, d2, fl: (sx(a, 16) & M, d2, fl))
op('uxtb_ror24', ['uxtb %[d], %[a], ror #24'], lambda a, b, c, d, d2, fl: (ror(a, 24) & 0xff, d2, fl))
op('uxth_ror16', ['uxth %[d], %[a], ror #16'], lambda a, b, c, d, d2, fl: (a >> 16, d2, fl))
op('sxtab', ['sxtab %[d], %[a], %[b]'], lambda a, b, c, d, d2, fl: ((a + sx(b, 8)) & M, d2, fl))
op('uxtah_ror8', ['uxtah %[d], %[a], %[b], ror #8'], lambda a, b, c, d, d2, fl: ((a + (ror(b, 8) & 0xffff)) & M, d2, fl))
op('sxtb16', ['sxtb16 %[d], %[a]'], lambda a, b, c, d, d2, fl: (pack([sx(a, 8), sx(a >> 16, 8)], 16), d2, fl))
op('uxtb16_ror8', ['uxtb16 %[d], %[a], ror #8'], lambda a, b, c, d, d2, fl: (ror(a, 8) & 0x00ff00ff, d2, fl))
op('sxtab16', ['sxtab16 %[d], %[a], %[b]'], lambda a, b, c, d, d2, fl: (pack([a + sx(b, 8), (a >> 16) + sx(b >> 16, 8)], 16), d2, fl))
op('pkhbt_lsl8', ['pkhbt %[d], %[a], %[b], lsl #8'], lambda a, b, c, d, d2, fl: ((a & 0xffff) | ((b << 8) & 0xffff0000), d2, fl))
op('pkhtb_asr12', ['pkhtb %[d], %[a], %[b], asr #12'], lambda a, b, c, d, d2, fl: ((a & 0xffff0000) | ((s32(b) >> 12) & 0xffff), d2, fl))

# --- saturation ---
for n, sh, shn in ((8, '', 0), (16, ', lsl #4', 4), (1, '', 0), (32, '', 0), (12, ', asr #3', -3)):
    def m(a, b, c, d, d2, fl, n=n, shn=shn):
        v = s32(a << shn) if shn >= 0 else s32(a) >> -shn
        r, q = ssat(v, n)
        return r & M, d2, fl | (Q if q else 0)
    op('ssat%d%s' % (n, sh.replace(', ', '_').replace(' #', '')), ['ssat %%[d], #%d, %%[a]%s' % (n, sh)], m)
for n, sh, shn in ((8, '', 0), (0, '', 0), (31, '', 0), (16, ', asr #4', -4), (4, ', lsl #2', 2)):
    def m(a, b, c, d, d2, fl, n=n, shn=shn):
        v = s32(a << shn) if shn >= 0 else s32(a) >> -shn
        r, q = usat(v, n)
        return r & M, d2, fl | (Q if q else 0)
    op('usat%d%s' % (n, sh.replace(', ', '_').replace(' #', '')), ['usat %%[d], #%d, %%[a]%s' % (n, sh)], m)
def m(a, b, c, d, d2, fl):
    rs, q = [], False
    for h in lanes(a, 16):
        r, qq = ssat(sx(h, 16), 4); rs.append(r); q |= qq
    return pack(rs, 16), d2, fl | (Q if q else 0)
op('ssat16_4', ['ssat16 %[d], #4, %[a]'], m)
def m(a, b, c, d, d2, fl):
    rs, q = [], False
    for h in lanes(a, 16):
        r, qq = usat(sx(h, 16), 8); rs.append(r); q |= qq
    return pack(rs, 16), d2, fl | (Q if q else 0)
op('usat16_8', ['usat16 %[d], #8, %[a]'], m)
def m(a, b, c, d, d2, fl):
    r, q = ssat(s32(a) + s32(b), 32); return r & M, d2, fl | (Q if q else 0)
op('qadd', ['qadd %[d], %[a], %[b]'], m)
def m(a, b, c, d, d2, fl):
    r, q = ssat(s32(a) - s32(b), 32); return r & M, d2, fl | (Q if q else 0)
op('qsub', ['qsub %[d], %[a], %[b]'], m)
def m(a, b, c, d, d2, fl):
    db, q1 = ssat(2 * s32(b), 32); r, q2 = ssat(s32(a) + db, 32)
    return r & M, d2, fl | (Q if q1 or q2 else 0)
op('qdadd', ['qdadd %[d], %[a], %[b]'], m)
def m(a, b, c, d, d2, fl):
    db, q1 = ssat(2 * s32(b), 32); r, q2 = ssat(s32(a) - db, 32)
    return r & M, d2, fl | (Q if q1 or q2 else 0)
op('qdsub', ['qdsub %[d], %[a], %[b]'], m)
def m(a, b, c, d, d2, fl):
    return d, d2, fl
op('q_sticky', ['qadd %[d], %[a], %[b]', 'mov %[d], #0'], lambda a, b, c, d, d2, fl: (0, d2, fl | (Q if ssat(s32(a) + s32(b), 32)[1] else 0)))

# --- parallel add/sub ---
def par(kind, w, signed, fn, ge_fn=None, sat=None, halve=False, xmode=None):
    def m(a, b, c, d, d2, fl):
        la, lb = lanes(a, w), lanes(b, w)
        if signed:
            la = [sx(v, w) for v in la]; lb = [sx(v, w) for v in lb]
        if xmode:  # asx / sax on 16-bit lanes
            if xmode == 'asx':
                rs = [la[0] - lb[1], la[1] + lb[0]]
                ges = [rs[0] >= 0, rs[1] >= (0 if signed else 0x10000)]
            else:
                rs = [la[0] + lb[1], la[1] - lb[0]]
                ges = [rs[0] >= (0 if signed else 0x10000), rs[1] >= 0]
        else:
            rs = [fn(x, y) for x, y in zip(la, lb)]
            ges = [ge_fn(r) for r in rs] if ge_fn else None
        if halve:
            rs = [r >> 1 for r in rs]
        if sat == 's':
            rs = [ssat(r, w)[0] for r in rs]
        elif sat == 'u':
            rs = [usat(r, w)[0] for r in rs]
        r = pack(rs, w)
        if ge_fn or (xmode and not sat and not halve):
            fl = (fl & ~0x000f0000) | ge_bits(ges, w)
        return r, d2, fl
    return m
add = lambda x, y: x + y
sub = lambda x, y: x - y
op('sadd16', ['sadd16 %[d], %[a], %[b]'], par('', 16, True, add, lambda r: r >= 0))
op('ssub16', ['ssub16 %[d], %[a], %[b]'], par('', 16, True, sub, lambda r: r >= 0))
op('sasx', ['sasx %[d], %[a], %[b]'], par('', 16, True, None, xmode='asx'))
op('ssax', ['ssax %[d], %[a], %[b]'], par('', 16, True, None, xmode='sax'))
op('sadd8', ['sadd8 %[d], %[a], %[b]'], par('', 8, True, add, lambda r: r >= 0))
op('ssub8', ['ssub8 %[d], %[a], %[b]'], par('', 8, True, sub, lambda r: r >= 0))
op('uadd16', ['uadd16 %[d], %[a], %[b]'], par('', 16, False, add, lambda r: r >= 0x10000))
op('usub16', ['usub16 %[d], %[a], %[b]'], par('', 16, False, sub, lambda r: r >= 0))
op('uasx', ['uasx %[d], %[a], %[b]'], par('', 16, False, None, xmode='asx'))
op('usax', ['usax %[d], %[a], %[b]'], par('', 16, False, None, xmode='sax'))
op('uadd8', ['uadd8 %[d], %[a], %[b]'], par('', 8, False, add, lambda r: r >= 0x100))
op('usub8', ['usub8 %[d], %[a], %[b]'], par('', 8, False, sub, lambda r: r >= 0))
op('qadd16', ['qadd16 %[d], %[a], %[b]'], par('', 16, True, add, sat='s'))
op('qsub8', ['qsub8 %[d], %[a], %[b]'], par('', 8, True, sub, sat='s'))
op('qasx', ['qasx %[d], %[a], %[b]'], par('', 16, True, None, sat='s', xmode='asx'))
op('uqadd8', ['uqadd8 %[d], %[a], %[b]'], par('', 8, False, add, sat='u'))
op('uqsub16', ['uqsub16 %[d], %[a], %[b]'], par('', 16, False, sub, sat='u'))
op('uqsax', ['uqsax %[d], %[a], %[b]'], par('', 16, False, None, sat='u', xmode='sax'))
op('shadd16', ['shadd16 %[d], %[a], %[b]'], par('', 16, True, add, halve=True))
op('shsub8', ['shsub8 %[d], %[a], %[b]'], par('', 8, True, sub, halve=True))
op('uhadd8', ['uhadd8 %[d], %[a], %[b]'], par('', 8, False, add, halve=True))
op('uhsub16', ['uhsub16 %[d], %[a], %[b]'], par('', 16, False, sub, halve=True))
op('shasx', ['shasx %[d], %[a], %[b]'], par('', 16, True, None, halve=True, xmode='asx'))
op('usad8', ['usad8 %[d], %[a], %[b]'], lambda a, b, c, d, d2, fl: (sum(abs(x - y) for x, y in zip(lanes(a, 8), lanes(b, 8))), d2, fl))
op('usada8', ['usada8 %[d], %[a], %[b], %[c]'], lambda a, b, c, d, d2, fl: ((c + sum(abs(x - y) for x, y in zip(lanes(a, 8), lanes(b, 8)))) & M, d2, fl))
def m(a, b, c, d, d2, fl):
    _, _, fl = par('', 8, False, add, lambda r: r >= 0x100)(a, b, c, d, d2, fl)
    ge = (fl >> 16) & 0xf
    r = pack([x if (ge >> i) & 1 else y for i, (x, y) in enumerate(zip(lanes(a, 8), lanes(b, 8)))], 8)
    return r, d2, fl
op('uadd8_sel', ['uadd8 %[d], %[a], %[b]', 'sel %[d], %[a], %[b]'], m)
def m(a, b, c, d, d2, fl):
    _, _, fl = par('', 16, True, sub, lambda r: r >= 0)(a, b, c, d, d2, fl)
    ge = (fl >> 16) & 0xf
    r = pack([x if (ge >> i) & 1 else y for i, (x, y) in enumerate(zip(lanes(b, 8), lanes(c, 8)))], 8)
    return r, d2, fl
op('ssub16_sel', ['ssub16 %[d], %[a], %[b]', 'sel %[d], %[b], %[c]'], m)


def fnv(h, w):
    return ((h ^ w) * 16777619) & M


def cval(a, b):
    return ((a ^ 0x5a5a5a5a) + b) & M


def run(o):
    h = 2166136261
    rows = []
    for a in INPUTS:
        for b in INPUTS:
            c = cval(a, b)
            init = {'0': 0, 'a': a, 'b': b, 'c': c}
            d, d2, fl = o['model'](a, b, c, init[o['d']], init[o['d2']], o['fin'])
            d &= M; d2 &= M; fl &= FLAGMASK
            rows.append((a, b, d, d2, fl))
            h = fnv(fnv(fnv(h, d), d2), fl)
    return h, rows


def emit():
    out = ['/* Generated by gen/gen_bits.py: do not edit. */', '']
    for i, o in enumerate(OPS):
        guard = {'arm': '#if !defined(__thumb__)', 'thumb': '#if defined(__thumb__)'}.get(o['isa'])
        h, _ = run(o)
        if guard:
            out.append(guard)
        asm = '\\n\\t'.join(o['asm'])
        out.append('static void op_%s(uint32_t a, uint32_t b, uint32_t c, struct res *r)' % o['name'])
        out.append('{')
        out.append('    uint32_t d = %s, d2 = %s, f;' % (o['d'], o['d2']))
        out.append('    __asm__ volatile("msr APSR_nzcvqg, %%[fin]\\n\\t%s\\n\\tmrs %%[f], APSR"' % asm)
        out.append('        : [d] "+&r"(d), [d2] "+&r"(d2), [f] "=&r"(f)')
        out.append('        : [a] "r"(a), [b] "r"(b), [c] "r"(c), [fin] "r"(0x%08xu) : "cc");' % o['fin'])
        out.append('    (void)c; r->d = d; r->d2 = d2; r->f = f & 0x%08xu;' % FLAGMASK)
        out.append('}')
        if guard:
            out.append('#endif')
    out.append('')
    out.append('static const struct op ops[] = {')
    for o in OPS:
        guard = {'arm': '#if !defined(__thumb__)', 'thumb': '#if defined(__thumb__)'}.get(o['isa'])
        h, _ = run(o)
        if guard:
            out.append(guard)
        out.append('    { "%s", op_%s, 0x%08xu },' % (o['name'], o['name'], h))
        if guard:
            out.append('#endif')
    out.append('};')
    out.append('static const uint32_t inputs[%d] = {' % len(INPUTS))
    out.append('    ' + ', '.join('0x%08xu' % x for x in INPUTS))
    out.append('};')
    return '\n'.join(out) + '\n'


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == '--dump':
        o = [o for o in OPS if o['name'] == sys.argv[2]][0]
        h, rows = run(o)
        for a, b, d, d2, fl in rows:
            print('  a=%08x b=%08x d=%08x d2=%08x f=%08x' % (a, b, d, d2, fl))
        print('hash %08x' % h)
    else:
        sys.stdout.write(emit())

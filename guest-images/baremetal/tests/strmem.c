/* strmem: memory and string workout.
 * memcpy/memmove/memset for every source/destination alignment 0..7 and
 * length 0..70 against byte-at-a-time references (with guard bytes), overlapping
 * memmove both ways, strlen/strcmp/strncmp/strchr/strcpy, byte/halfword
 * sign and zero extension through structs, struct copies, and printf/snprintf
 * formatting (%d %u %x %08x %s %c %llu %lld, widths, flags, precision). */
#include "rt.h"

static uint8_t src[160], dst[160], ref[160];

static void fill_pattern(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) { seed = seed * 1664525u + 1013904223u; p[i] = (uint8_t)(seed >> 24); }
}

static uint32_t hashbuf(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

static int test_memcpy(void)
{
    int bad = 0;
    for (int sa = 0; sa < 8; sa++)
        for (int da = 0; da < 8; da++)
            for (int len = 0; len <= 70; len++) {
                fill_pattern(src, sizeof(src), (uint32_t)(sa * 1000 + da * 100 + len));
                memset(dst, 0xa5, sizeof(dst));
                memset(ref, 0xa5, sizeof(ref));
                for (int i = 0; i < len; i++) ref[16 + da + i] = src[16 + sa + i];
                void *r = memcpy(dst + 16 + da, src + 16 + sa, (size_t)len);
                if (r != dst + 16 + da || memcmp(dst, ref, sizeof(dst)) != 0) bad++;
            }
    return bad;
}

static int test_memset(void)
{
    int bad = 0;
    for (int da = 0; da < 8; da++)
        for (int len = 0; len <= 70; len++) {
            memset(dst, 0x5a, sizeof(dst));
            for (int i = 0; i < (int)sizeof(ref); i++) ref[i] = (i >= 16 + da && i < 16 + da + len) ? (uint8_t)(0x100 - len) : 0x5a;
            memset(dst + 16 + da, 0x100 - len, (size_t)len);
            if (memcmp(dst, ref, sizeof(dst)) != 0) bad++;
        }
    return bad;
}

static int test_memmove(void)
{
    int bad = 0;
    for (int off = -9; off <= 9; off++)
        for (int len = 0; len <= 64; len += 3) {
            fill_pattern(dst, sizeof(dst), (uint32_t)(off * 77 + len));
            memcpy(ref, dst, sizeof(ref));
            uint8_t t[160];
            for (int i = 0; i < len; i++) t[i] = ref[40 + i];
            for (int i = 0; i < len; i++) ref[40 + off + i] = t[i];
            memmove(dst + 40 + off, dst + 40, (size_t)len);
            if (memcmp(dst, ref, sizeof(dst)) != 0) bad++;
        }
    return bad;
}

struct mixed {
    int8_t sb;
    uint8_t ub;
    int16_t sh;
    uint16_t uh;
    int32_t w;
    int64_t dw;
};

static __attribute__((noinline)) int64_t sum_mixed(const struct mixed *m) { return m->sb + m->ub + m->sh + m->uh + m->w + m->dw; }
static __attribute__((noinline)) void copy_mixed(struct mixed *d, const struct mixed *s) { *d = *s; }

struct big { uint32_t v[23]; };
static __attribute__((noinline)) struct big make_big(uint32_t seed)
{
    struct big b;
    for (int i = 0; i < 23; i++) b.v[i] = seed + (uint32_t)i * 0x01010101u;
    return b;
}

int main(void)
{
    check_i32("memcpy alignment/length cases failing", test_memcpy(), 0);
    check_i32("memset alignment/length cases failing", test_memset(), 0);
    check_i32("memmove overlap cases failing", test_memmove(), 0);

    char s[64];
    strcpy(s, "Hello, ARM world");
    check_i32("strlen", (int32_t)strlen(s), 16);
    check_i32("strcmp(eq)", strcmp(s, "Hello, ARM world"), 0);
    check_true("strcmp(lt)", strcmp("abc", "abd") < 0);
    check_true("strcmp(gt, high byte)", strcmp("\xff", "a") > 0);
    check_i32("strncmp(5)", strncmp(s, "Hello there", 5), 0);
    check_i32("strchr(',') offset", (int32_t)(strchr(s, ',') - s), 5);
    check_true("strchr missing", strchr(s, 'z') == 0);
    check_true("strchr nul", strchr(s, 0) == s + 16);

    volatile struct mixed m = { -100, 200, -30000, 60000, -2000000000, -9000000000000000000ll };
    struct mixed m2;
    copy_mixed(&m2, (const struct mixed *)&m);
    check_i64("sum_mixed", sum_mixed(&m2), -100 + 200 - 30000 + 60000 - 2000000000ll - 9000000000000000000ll);
    check_i32("mixed.sb", m2.sb, -100);
    check_i32("mixed.uh", m2.uh, 60000);
    struct big b = make_big(0x10203040u);
    check_u32("big.v[22]", b.v[22], 0x10203040u + 22u * 0x01010101u);
    check_u32("hash(big)", hashbuf((const uint8_t *)&b, sizeof(b)), 0x59bd2499);

    char buf[128];
    snprintf(buf, sizeof(buf), "%d|%u|%x|%X|%08x|%o", -42, 4000000000u, 0xbeefu, 0xbeefu, 0x1234u, 8u);
    check_str("fmt ints", buf, "-42|4000000000|beef|BEEF|00001234|10");
    snprintf(buf, sizeof(buf), "%d|%d|%i", INT32_MIN, INT32_MAX, 0);
    check_str("fmt int limits", buf, "-2147483648|2147483647|0");
    snprintf(buf, sizeof(buf), "%lld|%llu|%llx", (long long)INT64_MIN, 18446744073709551615ull, 0x123456789abcdefull);
    check_str("fmt 64-bit", buf, "-9223372036854775808|18446744073709551615|123456789abcdef");
    snprintf(buf, sizeof(buf), "[%5d][%-5d][%05d][%+d][% d][%5s][%-5s][%.2s][%c%c]", 42, 42, -42, 7, 7, "ab", "ab", "xyz", 'o', 'k');
    check_str("fmt widths", buf, "[   42][42   ][-0042][+7][ 7][   ab][ab   ][xy][ok]");
    snprintf(buf, sizeof(buf), "[%#x][%#o][%.5d][%*d][%-*d][%%][%hhu][%hd]", 255u, 8u, 42, 4, 7, 3, 9, 0x1ff, 0x18000);
    check_str("fmt misc", buf, "[0xff][010][00042][   7][9  ][%][255][-32768]");
    int n = snprintf(buf, 8, "%s", "truncated output");
    check_i32("snprintf return", n, 16);
    check_str("snprintf truncation", buf, "truncat");

    return finish("strmem");
}

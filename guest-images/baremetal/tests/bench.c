/* bench: a CPU-bound benchmark guest (0.6-0.9 s under qemu-system-arm on
 * the development machine).  Phases: CRC-32 (table-driven) over a 256 KiB
 * buffer, 96 times; quicksort of 64 Ki pseudo-random integers, 16 times;
 * 30 million rounds of MurmurHash3-style integer hashing; a sieve of
 * Eratosthenes up to 2^20; a 48x48 integer matrix multiply, 40 times.  Each
 * phase prints a checksum; the combined checksum is checked against a value
 * computed off-target (gen/host-run.sh bench).  No timers: time it from
 * outside. */
#include "rt.h"


#define BUF (256 * 1024)
#define NSORT (64 * 1024)
static uint8_t buf[BUF];
static uint32_t crc_tab[256];
static int32_t arr[NSORT];
static uint8_t sieve[1 << 20];
static int32_t ma[48][48], mb[48][48], mc[48][48];

static uint32_t crc32(const uint8_t *p, size_t n, uint32_t c)
{
    c = ~c;
    while (n--) c = crc_tab[(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}

static void qsort32(int32_t *v, int lo, int hi)
{
    while (lo < hi) {
        int32_t p = v[lo + (hi - lo) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (v[i] < p) i++;
            while (v[j] > p) j--;
            if (i <= j) { int32_t t = v[i]; v[i] = v[j]; v[j] = t; i++; j--; }
        }
        if (j - lo < hi - i) { qsort32(v, lo, j); lo = i; }
        else { qsort32(v, i, hi); hi = j; }
    }
}

static uint32_t fmix(uint32_t h)
{
    h ^= h >> 16; h *= 0x85ebca6bu;
    h ^= h >> 13; h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

int main(void)
{
    uint32_t total = 0;

    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & -(c & 1));
        crc_tab[i] = c;
    }
    uint32_t x = 1;
    for (int i = 0; i < BUF; i++) { x = x * 1664525u + 1013904223u; buf[i] = (uint8_t)(x >> 24); }
    uint32_t crc = 0;
    for (int r = 0; r < 96; r++) crc = crc32(buf, BUF, crc);
    printf("crc32    0x%08x\n", crc);
    total = fmix(total ^ crc);

    uint32_t sorth = 0;
    for (int r = 0; r < 16; r++) {
        for (int i = 0; i < NSORT; i++) { x = x * 1664525u + 1013904223u; arr[i] = (int32_t)(x ^ (x >> 15)); }
        qsort32(arr, 0, NSORT - 1);
        for (int i = 0; i < NSORT; i += 97) sorth = fmix(sorth + (uint32_t)arr[i]);
        for (int i = 1; i < NSORT; i++) if (arr[i - 1] > arr[i]) sorth = 0xbad;
    }
    printf("sort     0x%08x\n", sorth);
    total = fmix(total ^ sorth);

    uint32_t h = 0x9747b28cu;
    for (uint32_t i = 0; i < 30000000; i++) {
        uint32_t k = fmix(i) * 0xcc9e2d51u;
        k = (k << 15) | (k >> 17);
        k *= 0x1b873593u;
        h ^= k;
        h = (h << 13) | (h >> 19);
        h = h * 5 + 0xe6546b64u;
    }
    h = fmix(h ^ 30000000u);
    printf("hash     0x%08x\n", h);
    total = fmix(total ^ h);

    memset(sieve, 1, sizeof(sieve));
    sieve[0] = sieve[1] = 0;
    for (uint32_t i = 2; i * i < sizeof(sieve); i++)
        if (sieve[i])
            for (uint32_t j = i * i; j < sizeof(sieve); j += i) sieve[j] = 0;
    uint32_t primes = 0, psum = 0;
    for (uint32_t i = 0; i < sizeof(sieve); i++) if (sieve[i]) { primes++; psum += i; }
    printf("sieve    %u primes below 2^20, sum %u\n", primes, psum);
    total = fmix(total ^ primes ^ psum);

    for (int i = 0; i < 48; i++)
        for (int j = 0; j < 48; j++) { ma[i][j] = (i * 7 + j * 3) % 17 - 8; mb[i][j] = (i * 5 + j * 11) % 13 - 6; }
    uint32_t mh = 0;
    for (int r = 0; r < 40; r++) {
        for (int i = 0; i < 48; i++)
            for (int j = 0; j < 48; j++) {
                int32_t s = 0;
                for (int k = 0; k < 48; k++) s += ma[i][k] * mb[k][j];
                mc[i][j] = s;
            }
        for (int i = 0; i < 48; i++)
            for (int j = 0; j < 48; j++) { mh = fmix(mh + (uint32_t)mc[i][j]); ma[i][j] = mc[i][j] % 19; }
    }
    printf("matmul   0x%08x\n", mh);
    total = fmix(total ^ mh);

    check_u32("bench checksum", total, 0x5a9a8103u);
    return finish("bench");
}

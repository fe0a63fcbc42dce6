/* crc: checksums and hashes with well-known check values.
 * CRC-32 (table-driven, slice-by-4 and bitwise; CRC32("123456789") =
 * 0xCBF43926), CRC-32C (0xE3069283), CRC-16/CCITT-FALSE (0x29B1), Adler-32
 * ("Wikipedia" = 0x11E60398), FNV-1a, SHA-256 ("abc", "" and a two-block
 * message), and a 64 KiB pseudo-random buffer checked three ways. */
#include "rt.h"

static uint32_t crc_table[4][256];
static uint32_t crc32c_table[256];

static void make_tables(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i, d = i;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
            d = (d & 1) ? (d >> 1) ^ 0x82F63B78u : d >> 1;
        }
        crc_table[0][i] = c;
        crc32c_table[i] = d;
    }
    for (int i = 0; i < 256; i++)
        for (int t = 1; t < 4; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
}

static uint32_t crc32_table(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    while (n--) c = crc_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}

static uint32_t crc32_slice4(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    while (n && ((uintptr_t)p & 3)) { c = crc_table[0][(c ^ *p++) & 0xff] ^ (c >> 8); n--; }
    while (n >= 4) {
        c ^= *(const uint32_t *)p;
        c = crc_table[3][c & 0xff] ^ crc_table[2][(c >> 8) & 0xff] ^
            crc_table[1][(c >> 16) & 0xff] ^ crc_table[0][c >> 24];
        p += 4; n -= 4;
    }
    while (n--) c = crc_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}

static uint32_t crc32_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & -(c & 1));
    }
    return ~c;
}

static uint32_t crc32c(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    while (n--) c = crc32c_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}

static uint16_t crc16_ccitt(const uint8_t *p, size_t n)
{
    uint16_t c = 0xffff;
    while (n--) {
        c ^= (uint16_t)(*p++ << 8);
        for (int k = 0; k < 8; k++) c = (c & 0x8000) ? (uint16_t)((c << 1) ^ 0x1021) : (uint16_t)(c << 1);
    }
    return c;
}

static uint32_t adler32(const uint8_t *p, size_t n)
{
    uint32_t a = 1, b = 0;
    while (n--) { a = (a + *p++) % 65521; b = (b + a) % 65521; }
    return b << 16 | a;
}

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    while (n--) h = (h ^ *p++) * 16777619u;
    return h;
}

/* SHA-256 (FIPS 180-4). */
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};
#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t *st, const uint8_t *blk)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)blk[4 * i] << 24 | (uint32_t)blk[4 * i + 1] << 16 | (uint32_t)blk[4 * i + 2] << 8 | blk[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    st[0] += a; st[1] += b; st[2] += c; st[3] += d; st[4] += e; st[5] += f; st[6] += g; st[7] += h;
}

static void sha256(const uint8_t *p, size_t n, char *hex)
{
    uint32_t st[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    uint8_t blk[64];
    size_t done = 0;
    while (n - done >= 64) { sha256_block(st, p + done); done += 64; }
    size_t rem = n - done;
    memset(blk, 0, 64);
    memcpy(blk, p + done, rem);
    blk[rem] = 0x80;
    if (rem >= 56) { sha256_block(st, blk); memset(blk, 0, 64); }
    uint64_t bits = (uint64_t)n * 8;
    for (int i = 0; i < 8; i++) blk[63 - i] = (uint8_t)(bits >> (8 * i));
    sha256_block(st, blk);
    for (int i = 0; i < 8; i++) snprintf(hex + 8 * i, 9, "%08x", (unsigned)st[i]);
}

static uint8_t buf[65536 + 8];

int main(void)
{
    static const char check[] = "123456789";
    const uint8_t *c9 = (const uint8_t *)check;
    make_tables();
    check_u32("crc32_table(\"123456789\")", crc32_table(c9, 9), 0xCBF43926);
    check_u32("crc32_slice4(\"123456789\")", crc32_slice4(c9, 9), 0xCBF43926);
    check_u32("crc32_bitwise(\"123456789\")", crc32_bitwise(c9, 9), 0xCBF43926);
    check_u32("crc32c(\"123456789\")", crc32c(c9, 9), 0xE3069283);
    check_u32("crc16_ccitt(\"123456789\")", crc16_ccitt(c9, 9), 0x29B1);
    check_u32("adler32(\"Wikipedia\")", adler32((const uint8_t *)"Wikipedia", 9), 0x11E60398);
    check_u32("fnv1a(\"\")", fnv1a(c9, 0), 0x811c9dc5);
    check_u32("fnv1a(\"a\")", fnv1a((const uint8_t *)"a", 1), 0xe40c292c);
    check_u32("crc32(\"The quick brown fox jumps over the lazy dog\")",
              crc32_table((const uint8_t *)"The quick brown fox jumps over the lazy dog", 43), 0x414FA339);

    char hex[65];
    sha256((const uint8_t *)"abc", 3, hex);
    check_str("sha256(\"abc\")", hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha256((const uint8_t *)"", 0, hex);
    check_str("sha256(\"\")", hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m2 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256((const uint8_t *)m2, strlen(m2), hex);
    check_str("sha256(\"abcdbcdecdef...nopq\")", hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");

    uint32_t x = 0x9e3779b9u;
    for (size_t i = 0; i < sizeof(buf); i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        buf[i] = (uint8_t)(x >> 11);
    }
    uint32_t t = crc32_table(buf, 65536);
    check_u32("crc32(64 KiB)", t, 0xcac73d85);
    check_u32("crc32_slice4(64 KiB)", crc32_slice4(buf, 65536), t);
    check_u32("crc32_slice4(64 KiB, offset 1)", crc32_slice4(buf + 1, 65536), crc32_table(buf + 1, 65536));
    check_u32("crc32_bitwise(4 KiB)", crc32_bitwise(buf, 4096), crc32_table(buf, 4096));
    check_u32("crc32c(64 KiB)", crc32c(buf, 65536), 0xbe67f5b4);
    check_u32("adler32(64 KiB)", adler32(buf, 65536), 0x7c627b77);
    sha256(buf, 65536, hex);
    check_str("sha256(64 KiB)", hex, "55bd1808aa838805927ebb7749b3d8dc96f7a8652434ffb7da3bbe8e0eda1356");

    return finish("crc");
}

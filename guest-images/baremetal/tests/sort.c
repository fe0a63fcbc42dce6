/* sort: quicksort, heapsort, merge sort and insertion sort on pseudo-random
 * arrays (32-bit signed, 64-bit unsigned, strings via pointer arrays), each
 * result checked for order and for being a permutation (sum and xor
 * preserved), plus a hash of the sorted data against a constant computed
 * off-target.  Exercises loads/stores, compares, branches and recursion. */
#include "rt.h"

#define N 3000

static uint32_t rng = 12345;
static uint32_t lcg(void) { rng = rng * 1103515245u + 12345u; return rng; }

static int32_t a[N], b[N], tmp[N];
static uint64_t q[N];

static void swap32(int32_t *x, int32_t *y) { int32_t t = *x; *x = *y; *y = t; }

static void quicksort(int32_t *v, int lo, int hi)
{
    while (lo < hi) {
        int32_t p = v[lo + (hi - lo) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (v[i] < p) i++;
            while (v[j] > p) j--;
            if (i <= j) { swap32(&v[i], &v[j]); i++; j--; }
        }
        /* recurse into the smaller half, loop on the larger */
        if (j - lo < hi - i) { quicksort(v, lo, j); lo = i; }
        else { quicksort(v, i, hi); hi = j; }
    }
}

static void sift(int32_t *v, int start, int end)
{
    int root = start;
    while (2 * root + 1 <= end) {
        int child = 2 * root + 1, sw = root;
        if (v[sw] < v[child]) sw = child;
        if (child + 1 <= end && v[sw] < v[child + 1]) sw = child + 1;
        if (sw == root) return;
        swap32(&v[root], &v[sw]);
        root = sw;
    }
}

static void heapsort(int32_t *v, int n)
{
    for (int s = (n - 2) / 2; s >= 0; s--) sift(v, s, n - 1);
    for (int e = n - 1; e > 0; e--) { swap32(&v[e], &v[0]); sift(v, 0, e - 1); }
}

static void mergesort(int32_t *v, int n, int32_t *t)
{
    for (int w = 1; w < n; w *= 2) {
        for (int i = 0; i < n; i += 2 * w) {
            int m = i + w < n ? i + w : n, e = i + 2 * w < n ? i + 2 * w : n;
            int x = i, y = m, k = i;
            while (x < m && y < e) t[k++] = v[x] <= v[y] ? v[x++] : v[y++];
            while (x < m) t[k++] = v[x++];
            while (y < e) t[k++] = v[y++];
        }
        memcpy(v, t, (size_t)n * sizeof(*v));
    }
}

static void insertion64(uint64_t *v, int n)
{
    for (int i = 1; i < n; i++) {
        uint64_t x = v[i];
        int j = i - 1;
        while (j >= 0 && v[j] > x) { v[j + 1] = v[j]; j--; }
        v[j + 1] = x;
    }
}

static int cmpstr(const void *x, const void *y) { return strcmp(*(const char *const *)x, *(const char *const *)y); }

/* A generic qsort (like libc's) used for the string pointers. */
static void gqsort(void *base, int n, size_t sz, int (*cmp)(const void *, const void *))
{
    char *v = base;
    char t[16];
    for (int gap = n / 2; gap > 0; gap /= 2)          /* shell sort */
        for (int i = gap; i < n; i++)
            for (int j = i - gap; j >= 0 && cmp(v + j * sz, v + (j + gap) * sz) > 0; j -= gap) {
                memcpy(t, v + j * sz, sz);
                memcpy(v + j * sz, v + (j + gap) * sz, sz);
                memcpy(v + (j + gap) * sz, t, sz);
            }
}

static uint32_t hash32(const int32_t *v, int n)
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < n; i++) h = (h ^ (uint32_t)v[i]) * 16777619u;
    return h;
}

static int sorted32(const int32_t *v, int n)
{
    for (int i = 1; i < n; i++) if (v[i - 1] > v[i]) return 0;
    return 1;
}

static void fill(void)
{
    for (int i = 0; i < N; i++) a[i] = (int32_t)lcg();
    memcpy(b, a, sizeof(a));
}

static uint32_t sum_of(const int32_t *v, int n) { uint32_t s = 0; for (int i = 0; i < n; i++) s += (uint32_t)v[i]; return s; }
static uint32_t xor_of(const int32_t *v, int n) { uint32_t s = 0; for (int i = 0; i < n; i++) s ^= (uint32_t)v[i]; return s; }

static char words[200][12];
static char *wp[200];

int main(void)
{
    fill();
    uint32_t s0 = sum_of(a, N), x0 = xor_of(a, N);
    quicksort(a, 0, N - 1);
    check_true("quicksort sorted", sorted32(a, N));
    check_true("quicksort permutation", sum_of(a, N) == s0 && xor_of(a, N) == x0);
    uint32_t ref = hash32(a, N);
    check_u32("quicksort hash", ref, 0xc44290b1);
    printf("min %d max %d median %d\n", (int)a[0], (int)a[N - 1], (int)a[N / 2]);

    memcpy(a, b, sizeof(a));
    heapsort(a, N);
    check_u32("heapsort hash", hash32(a, N), ref);
    memcpy(a, b, sizeof(a));
    mergesort(a, N, tmp);
    check_u32("mergesort hash", hash32(a, N), ref);

    /* Already sorted, reversed and all-equal inputs. */
    quicksort(a, 0, N - 1);
    check_u32("quicksort sorted input", hash32(a, N), ref);
    for (int i = 0; i < N / 2; i++) swap32(&a[i], &a[N - 1 - i]);
    heapsort(a, N);
    check_u32("heapsort reversed input", hash32(a, N), ref);
    for (int i = 0; i < N; i++) a[i] = 42;
    quicksort(a, 0, N - 1);
    check_true("quicksort all-equal", sorted32(a, N) && a[0] == 42 && a[N - 1] == 42);

    for (int i = 0; i < 1000; i++) q[i] = (uint64_t)lcg() << 32 | lcg();
    insertion64(q, 1000);
    int ok = 1;
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < 1000; i++) {
        if (i && q[i - 1] > q[i]) ok = 0;
        h = (h ^ q[i]) * 0x100000001b3ull;
    }
    check_true("insertion64 sorted", ok);
    check_u64("insertion64 hash", h, 0xa02521bca1c89c39ull);
    printf("u64 min %llu max %llu\n", (unsigned long long)q[0], (unsigned long long)q[999]);

    for (int i = 0; i < 200; i++) {
        int len = 3 + (int)(lcg() >> 28) % 8;
        for (int k = 0; k < len; k++) words[i][k] = (char)('a' + (lcg() >> 24) % 26);
        words[i][len] = 0;
        wp[i] = words[i];
    }
    gqsort(wp, 200, sizeof(char *), cmpstr);
    ok = 1;
    for (int i = 1; i < 200; i++) if (strcmp(wp[i - 1], wp[i]) > 0) ok = 0;
    check_true("string sort sorted", ok);
    printf("first %s, last %s, 100th %s\n", wp[0], wp[199], wp[100]);
    check_str("string 100", wp[100], "nctaq");
    check_str("string 0", wp[0], "afe");

    return finish("sort");
}

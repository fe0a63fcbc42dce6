/* numeric: small floating-point kernels with deterministic output.
 * A Mandelbrot set in ASCII (double), an n-body simulation (the Computer
 * Language Benchmarks Game's 5 bodies, energy before and after), a float
 * matrix multiply, Gauss-Jordan inversion, and series for pi and e.  Results
 * are printed as scaled integers and checked against values computed
 * off-target (identical IEEE arithmetic on the build machine,
 * gen/host-run.sh numeric). */
#include "rt.h"


static uint64_t dbits(double d) { union { double d; uint64_t u; } v = { .d = d }; return v.u; }

/* Prints x with `dec` decimals using only integer arithmetic on the result. */
static void print_fixed(const char *what, double x, int dec)
{
    double scale = 1.0;
    for (int i = 0; i < dec; i++) scale *= 10.0;
    int neg = x < 0;
    if (neg) x = -x;
    uint64_t v = (uint64_t)(x * scale + 0.5);
    uint64_t ip = v, fp = 0, p = 1;
    for (int i = 0; i < dec; i++) p *= 10;
    ip = v / p;
    fp = v % p;
    printf("%s = %s%llu.%0*llu\n", what, neg ? "-" : "", (unsigned long long)ip, dec, (unsigned long long)fp);
}

static uint32_t mandel(void)
{
    uint32_t h = 2166136261u;
    char line[80];
    for (int y = 0; y < 24; y++) {
        double ci = -1.2 + y * 0.1;
        for (int x = 0; x < 64; x++) {
            double cr = -2.1 + x * 0.045, zr = 0, zi = 0;
            int it = 0;
            while (it < 200 && zr * zr + zi * zi < 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2.0 * zr * zi + ci;
                zr = t;
                it++;
            }
            line[x] = " .:-=+*#%@"[it >= 200 ? 9 : it % 9];
            h = (h ^ (uint32_t)it) * 16777619u;
        }
        line[64] = 0;
        printf("|%s|\n", line);
    }
    return h;
}

/* n-body */
#define PI 3.141592653589793
#define SOLAR_MASS (4 * PI * PI)
#define DAYS_PER_YEAR 365.24
struct body { double x, y, z, vx, vy, vz, mass; };
static struct body bodies[5] = {
    { 0, 0, 0, 0, 0, 0, SOLAR_MASS },
    { 4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
      1.66007664274403694e-03 * DAYS_PER_YEAR, 7.69901118419740425e-03 * DAYS_PER_YEAR,
      -6.90460016972063023e-05 * DAYS_PER_YEAR, 9.54791938424326609e-04 * SOLAR_MASS },
    { 8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
      -2.76742510726862411e-03 * DAYS_PER_YEAR, 4.99852801234917238e-03 * DAYS_PER_YEAR,
      2.30417297573763929e-05 * DAYS_PER_YEAR, 2.85885980666130812e-04 * SOLAR_MASS },
    { 1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
      2.96460137564761618e-03 * DAYS_PER_YEAR, 2.37847173959480950e-03 * DAYS_PER_YEAR,
      -2.96589568540237556e-05 * DAYS_PER_YEAR, 4.36624404335156298e-05 * SOLAR_MASS },
    { 1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
      2.68067772490389322e-03 * DAYS_PER_YEAR, 1.62824170038242295e-03 * DAYS_PER_YEAR,
      -9.51592254519715870e-05 * DAYS_PER_YEAR, 5.15138902046611451e-05 * SOLAR_MASS },
};

static void offset_momentum(void)
{
    double px = 0, py = 0, pz = 0;
    for (int i = 0; i < 5; i++) {
        px += bodies[i].vx * bodies[i].mass;
        py += bodies[i].vy * bodies[i].mass;
        pz += bodies[i].vz * bodies[i].mass;
    }
    bodies[0].vx = -px / SOLAR_MASS;
    bodies[0].vy = -py / SOLAR_MASS;
    bodies[0].vz = -pz / SOLAR_MASS;
}

static double energy(void)
{
    double e = 0;
    for (int i = 0; i < 5; i++) {
        struct body *b = &bodies[i];
        e += 0.5 * b->mass * (b->vx * b->vx + b->vy * b->vy + b->vz * b->vz);
        for (int j = i + 1; j < 5; j++) {
            struct body *c = &bodies[j];
            double dx = b->x - c->x, dy = b->y - c->y, dz = b->z - c->z;
            e -= b->mass * c->mass / __builtin_sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

static void advance(double dt)
{
    for (int i = 0; i < 5; i++) {
        struct body *b = &bodies[i];
        for (int j = i + 1; j < 5; j++) {
            struct body *c = &bodies[j];
            double dx = b->x - c->x, dy = b->y - c->y, dz = b->z - c->z;
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * __builtin_sqrt(d2));
            b->vx -= dx * c->mass * mag; b->vy -= dy * c->mass * mag; b->vz -= dz * c->mass * mag;
            c->vx += dx * b->mass * mag; c->vy += dy * b->mass * mag; c->vz += dz * b->mass * mag;
        }
    }
    for (int i = 0; i < 5; i++) {
        bodies[i].x += dt * bodies[i].vx;
        bodies[i].y += dt * bodies[i].vy;
        bodies[i].z += dt * bodies[i].vz;
    }
}

static float ma[12][12], mb[12][12], mc[12][12];
static double inv[6][12];

int main(void)
{
    check_u32("mandelbrot iteration hash", mandel(), 0x9c668eb8u);

    offset_momentum();
    double e0 = energy();
    print_fixed("nbody energy before", e0, 9);
    for (int i = 0; i < 2000; i++) advance(0.01);
    double e1 = energy();
    print_fixed("nbody energy after 2000 steps", e1, 9);
    check_u64("nbody energy before (bits)", dbits(e0), 0xbfc5a441459acc23ull);
    check_u64("nbody energy after (bits)", dbits(e1), 0xbfc5a4236f17f1b8ull);

    for (int i = 0; i < 12; i++)
        for (int j = 0; j < 12; j++) {
            ma[i][j] = (float)(i + 1) / (float)(j + 2);
            mb[i][j] = (float)(i * 12 + j) * 0.125f - 3.0f;
        }
    for (int i = 0; i < 12; i++)
        for (int j = 0; j < 12; j++) {
            float s = 0;
            for (int k = 0; k < 12; k++) s += ma[i][k] * mb[k][j];
            mc[i][j] = s;
        }
    double trace = 0;
    uint32_t mh = 2166136261u;
    for (int i = 0; i < 12; i++) {
        trace += mc[i][i];
        for (int j = 0; j < 12; j++) {
            union { float f; uint32_t u; } v = { .f = mc[i][j] };
            mh = (mh ^ v.u) * 16777619u;
        }
    }
    print_fixed("matmul trace", trace, 4);
    check_u32("matmul hash", mh, 0xbadfc739u);

    /* Gauss-Jordan inversion of a 6x6 Hilbert-like matrix; A * A^-1 = I. */
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 12; j++)
            inv[i][j] = j < 6 ? 1.0 / (double)(i + j + 1) + (i == j ? 1.0 : 0.0) : (j - 6 == i ? 1.0 : 0.0);
    for (int c = 0; c < 6; c++) {
        int p = c;
        for (int r = c + 1; r < 6; r++) if (__builtin_fabs(inv[r][c]) > __builtin_fabs(inv[p][c])) p = r;
        for (int j = 0; j < 12; j++) { double t = inv[c][j]; inv[c][j] = inv[p][j]; inv[p][j] = t; }
        double d = inv[c][c];
        for (int j = 0; j < 12; j++) inv[c][j] /= d;
        for (int r = 0; r < 6; r++) {
            if (r == c) continue;
            double f = inv[r][c];
            for (int j = 0; j < 12; j++) inv[r][j] -= f * inv[c][j];
        }
    }
    double maxerr = 0;
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++) {
            double s = 0;
            for (int k = 0; k < 6; k++) s += (1.0 / (double)(i + k + 1) + (i == k ? 1.0 : 0.0)) * inv[k][6 + j];
            double e = __builtin_fabs(s - (i == j ? 1.0 : 0.0));
            if (e > maxerr) maxerr = e;
        }
    check_true("inverse residual < 1e-12", maxerr < 1e-12);
    print_fixed("inverse[0][0]", inv[0][6], 12);
    check_u64("inverse[5][5] (bits)", dbits(inv[5][11]), 0x3fee5aeec1996908ull);

    /* pi by the Leibniz series with Euler averaging, e by its series, both in double;
     * and a float Kahan sum. */
    double s = 0, prev = 0;
    for (int k = 0; k < 100000; k++) { prev = s; s += (k & 1 ? -4.0 : 4.0) / (2 * k + 1); }
    double pi = (s + prev) / 2;
    print_fixed("pi (Leibniz, 1e5 terms, averaged)", pi, 10);
    check_u64("pi (bits)", dbits(pi), 0x400921fb5445e442ull);
    double e = 1, term = 1;
    for (int k = 1; k < 20; k++) { term /= k; e += term; }
    print_fixed("e", e, 15);
    /* one ulp above the correctly rounded e: the partial sums round */
    check_u64("e (bits)", dbits(e), 0x4005bf0a8b14576aull);
    float ks = 0, kc = 0, naive = 0;
    for (int k = 1; k <= 100000; k++) {
        float y = 1.0f / (float)k - kc;
        float t = ks + y;
        kc = (t - ks) - y;
        ks = t;
        naive += 1.0f / (float)k;
    }
    print_fixed("harmonic(1e5) Kahan float", ks, 6);
    print_fixed("harmonic(1e5) naive float", naive, 6);
    return finish("numeric");
}

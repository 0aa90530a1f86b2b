/* The floor of simdeck's linear interface exchange on this machine, in C (issue 14).
 *
 * Two processes on one node (fork): a sender holding a source N x N float64 field and a receiver
 * holding an N x N target, the same grid shifted by half a spacing along both axes (bilinear:
 * each target point combines 4 source points, last dimension first, as simdeck does:
 * h[j] = wx0[j]*s[i][j] + wx1[j]*s[i][j+1], t[i][j] = wy0[i]*h_i[j] + wy1[i]*h_{i+1}[j]; compile
 * with -ffp-contract=off for simdeck's bits). Variants, interleaved rep by rep in one run, timed on
 * the receiver from "go" to "target complete":
 *   a    redistribute: the receiver copies the sender's 8 MB with one process_vm_readv
 *   b    sender-pipelined: the sender maps bands of BAND rows into an 8 MB private buffer and
 *        publishes each (a counter in a shared mapping); the receiver process_vm_readv's each
 *        band into the target as soon as it is published
 *   bh   the same, the sender building band k in one of 4 hot buffers, waiting (if needed) for
 *        the receiver to have copied band k-4 (simdeck's MAPPED_HOT)
 *   c    receiver-fused: the receiver process_vm_readv's K source rows at a time into a small
 *        buffer (K+1 rows, the last one kept) and maps them straight into the target
 *   cr   c, each target row built in a row buffer and then copied into the target (what a
 *        WebAssembly kernel whose output lives in its own memory pays: one in-cache copy per row)
 *   cm   c plus a whole 8 MB memcpy afterwards (an extra DRAM-sized copy, the worst case)
 *   d    split: the sender maps the first half in bands (as b), the receiver maps the second
 *        half fused (as c) and copies the sender's bands between its chunks
 *   dw   split, both push: the sender maps target rows [0, f*N) in bands built in one hot buffer and
 *        writes each into the receiver's target (process_vm_writev); the receiver maps the rest
 *        fused (as c); done when both are
 *   dr   dw with the receiver's rows built in a row buffer and copied (as cr)
 *   m    one process, no peer: the whole map of a local source into a local target (reference)
 *   mh   one process: the whole map into one hot band buffer (the sender's compute alone)
 *   cp   one process: memcpy of 8 MB
 * The sender waits for "go" on a futex (it uses no CPU while idle). The first reps are checked
 * against a reference computed in the receiver, byte for byte.
 *
 * usage: couple_floor [-n N] [-r reps] [-k K] [-b band_rows] [-f split] [-v variants,comma,separated] [-s]
 *   -s: streaming (non-temporal) stores where a row goes straight into an 8 MB array (not in the
 *       hot buffers, not in the row buffer of cr); WebAssembly has no such store
 *   -p: pin the receiver to CPU 0 and the sender to CPU 1 (unpinned, the two sometimes share one
 *       core for a whole run on a loaded 2-core machine, and every two-process variant is slow)
 * Prints one line per variant: median, min, p25, p75 (ms) and median / median(a); JSON with -j.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <math.h>
#include <immintrin.h>
#include <unistd.h>

#define MAXV 16
#define HOT 4

typedef struct {
  _Atomic uint32_t go;        /* rep sequence number, futex */
  _Atomic uint32_t variant;
  _Atomic uint32_t done;      /* sender's finished rep sequence number, futex */
  _Atomic uint32_t bands;     /* bands published in this rep */
  _Atomic uint32_t copied;    /* bands the receiver has copied in this rep */
  uint64_t src_addr, out_addr, hot_addr[HOT], tgt_addr;
  int split;                  /* dw/dr: the sender maps target rows [0, split) */
  int quit;
} shared_t;

static double SPLIT = 0.5;
static int PIN = 0; /* -p: receiver on CPU 0, sender on CPU 1 */
static void pin(int cpu) {
  if (!PIN) return;
  cpu_set_t set; CPU_ZERO(&set); CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) perror("sched_setaffinity");
}
static int N = 1000, REPS = 200, K = 8, BAND = 32;
static double *wx0, *wx1, *wy0, *wy1;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void futex_wait(_Atomic uint32_t *a, uint32_t v) {
  syscall(SYS_futex, a, FUTEX_WAIT, v, NULL, NULL, 0);
}
static void futex_wake(_Atomic uint32_t *a) { syscall(SYS_futex, a, FUTEX_WAKE, 1, NULL, NULL, 0); }

/* spin (then yield) until *a >= v */
static void spin_ge(_Atomic uint32_t *a, uint32_t v) {
  int n = 0;
  while (atomic_load_explicit(a, memory_order_acquire) < v) {
    if (++n < 20000) __builtin_ia32_pause();
    else sched_yield();
  }
}

static void weights(void) {
  /* target point j at source coordinate j + 0.5: pair (j, j+1) with weights 0.5/0.5; the last
   * pair is (N-2, N-1), extrapolating (weights -0.5, 1.5) */
  wx0 = malloc(N * sizeof(double)); wx1 = malloc(N * sizeof(double));
  wy0 = malloc(N * sizeof(double)); wy1 = malloc(N * sizeof(double));
  for (int j = 0; j < N; j++) {
    double x = j + 0.5;
    int i0 = (int)x; if (i0 > N - 2) i0 = N - 2;
    double f = x - i0;
    wx0[j] = wy0[j] = 1 - f;
    wx1[j] = wy1[j] = f;
  }
}
static int pair_of(int j) { return j > N - 2 ? N - 2 : j; }

/* h = source row s weighted along the last dimension */
static void hrow(const double *restrict s, double *restrict h) {
  for (int j = 0; j < N - 1; j++) h[j] = wx0[j] * s[j] + wx1[j] * s[j + 1];
  h[N - 1] = wx0[N - 1] * s[N - 2] + wx1[N - 1] * s[N - 1];
}
static int NT = 0; /* -s: streaming (non-temporal) stores for rows written straight into a big array */
static void combine(const double *restrict h0, const double *restrict h1, double a, double b, double *restrict t, int big) {
#ifdef __AVX__
  if (NT && big && ((uintptr_t)t & 31) == 0) {
    __m256d va = _mm256_set1_pd(a), vb = _mm256_set1_pd(b);
    int j = 0;
    for (; j + 4 <= N; j += 4)
      _mm256_stream_pd(t + j, _mm256_add_pd(_mm256_mul_pd(va, _mm256_loadu_pd(h0 + j)), _mm256_mul_pd(vb, _mm256_loadu_pd(h1 + j))));
    for (; j < N; j++) t[j] = a * h0[j] + b * h1[j];
    return;
  }
#endif
  for (int j = 0; j < N; j++) t[j] = a * h0[j] + b * h1[j];
}

/* target rows [r0, r1) from source rows src(i) (a function of the source row index) */
typedef const double *(*rowfn)(void *ctx, int i);
static int big_dst = 1;
static void map_rows(int r0, int r1, rowfn src, void *ctx, double *t, double *h /* 2 rows */, double *tmp) {
  int have = -1; /* source row held in h[(have)&1] */
  for (int i = r0; i < r1; i++) {
    int p = pair_of(i);
    if (have != p) { hrow(src(ctx, p), h + (p & 1) * N); }
    hrow(src(ctx, p + 1), h + ((p + 1) & 1) * N);
    have = p + 1;
    double *dst = tmp ? tmp : t + (size_t)i * N;
    combine(h + (p & 1) * N, h + ((p + 1) & 1) * N, wy0[i], wy1[i], dst, !tmp && big_dst);
    if (tmp) memcpy(t + (size_t)i * N, tmp, N * sizeof(double));
  }
}
static const double *flat_row(void *ctx, int i) { return (const double *)ctx + (size_t)i * N; }

static void fill_source(double *s) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) s[(size_t)i * N + j] = sin(0.001 * i * 7 + 1) * 3 + cos(0.0013 * j * 5) + i * 1e-3 - j * 2e-3;
}

/* ---------------- sender ---------------- */
static void sender(shared_t *sh) {
  prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
  size_t bytes = (size_t)N * N * sizeof(double);
  double *s = aligned_alloc(64, bytes), *out = aligned_alloc(64, bytes);
  double *hot[HOT];
  for (int k = 0; k < HOT; k++) { hot[k] = aligned_alloc(64, (size_t)BAND * N * sizeof(double)); memset(hot[k], 0, (size_t)BAND * N * sizeof(double)); }
  double *h = aligned_alloc(64, 2 * N * sizeof(double));
  fill_source(s);
  memset(out, 0, bytes);
  sh->src_addr = (uint64_t)(uintptr_t)s;
  sh->out_addr = (uint64_t)(uintptr_t)out;
  for (int k = 0; k < HOT; k++) sh->hot_addr[k] = (uint64_t)(uintptr_t)hot[k];
  uint32_t seq = 0;
  atomic_store(&sh->done, 0);
  futex_wake(&sh->done);
  for (;;) {
    while (atomic_load_explicit(&sh->go, memory_order_acquire) == seq) futex_wait(&sh->go, seq);
    seq++;
    if (sh->quit) break;
    int v = atomic_load(&sh->variant);
    int nb = (N + BAND - 1) / BAND;
    if (v == 'b' || v == 'd') {
      int last = v == 'd' ? (N / 2 + BAND - 1) / BAND : nb;
      for (int b = 0; b < last; b++) {
        int r0 = b * BAND, r1 = r0 + BAND > N ? N : r0 + BAND;
        if (v == 'd' && r1 > N / 2) r1 = N / 2;
        map_rows(r0, r1, flat_row, s, out, h, NULL);
        atomic_store_explicit(&sh->bands, b + 1, memory_order_release);
      }
    } else if (v == 'w') {
      /* rows [0, split) in bands built in one hot buffer, each written into the receiver's target */
      for (int r0 = 0; r0 < sh->split; r0 += BAND) {
        int r1 = r0 + BAND > sh->split ? sh->split : r0 + BAND;
        big_dst = 0;
        map_rows(r0, r1, flat_row, s, hot[0] - (size_t)r0 * N, h, NULL);
        big_dst = 1;
        size_t len = (size_t)(r1 - r0) * N * sizeof(double);
        struct iovec l = {hot[0], len}, r = {(void *)(uintptr_t)(sh->tgt_addr + (uint64_t)r0 * N * sizeof(double)), len};
        if (process_vm_writev(getppid(), &l, 1, &r, 1, 0) != (ssize_t)len) { perror("process_vm_writev"); exit(2); }
      }
    } else if (v == 'h') {
      for (int b = 0; b < nb; b++) {
        int r0 = b * BAND, r1 = r0 + BAND > N ? N : r0 + BAND;
        if (b >= HOT) spin_ge(&sh->copied, b - HOT + 1);
        big_dst = 0;
        map_rows(r0, r1, flat_row, s, hot[b % HOT] - (size_t)r0 * N, h, NULL);
        big_dst = 1;
        atomic_store_explicit(&sh->bands, b + 1, memory_order_release);
      }
    }
    atomic_store_explicit(&sh->done, seq, memory_order_release);
    futex_wake(&sh->done);
  }
  exit(0);
}

/* ---------------- receiver ---------------- */
static pid_t peer;
static void readv1(void *dst, uint64_t remote, size_t len) {
  struct iovec l = {dst, len}, r = {(void *)(uintptr_t)remote, len};
  while (len > 0) {
    ssize_t n = process_vm_readv(peer, &l, 1, &r, 1, 0);
    if (n <= 0) { perror("process_vm_readv"); exit(2); }
    len -= n; l.iov_base = (char *)l.iov_base + n; l.iov_len = len;
    r.iov_base = (char *)r.iov_base + n; r.iov_len = len;
  }
}

typedef struct { double *buf; int first; } chunk_ctx;
static const double *chunk_row(void *ctx, int i) {
  chunk_ctx *c = ctx;
  return c->buf + (size_t)(i - c->first) * N;
}

/* receiver-fused rows [r0, r1): reads source rows K at a time into buf (K+1 rows); between chunks
 * calls poll (if any) */
static void fused(shared_t *sh, double *t, double *buf, double *h, double *tmp, int r0, int r1, void (*poll)(void)) {
  int lo = pair_of(r0);             /* first source row needed */
  int hi = pair_of(r1 - 1) + 1;     /* last source row needed */
  chunk_ctx c = {buf, lo};
  int held = 0;                     /* source rows lo.. held in buf: [c.first, c.first + held) */
  int i = r0;
  while (i < r1) {
    /* keep the last held row, read the next K */
    if (held > 0) { memmove(buf, buf + (size_t)(held - 1) * N, N * sizeof(double)); c.first += held - 1; held = 1; }
    int want = c.first + held + K > hi + 1 ? hi + 1 - (c.first + held) : K;
    readv1(buf + (size_t)held * N, sh->src_addr + (uint64_t)(c.first + held) * N * sizeof(double), (size_t)want * N * sizeof(double));
    held += want;
    int top = c.first + held - 1;   /* target rows whose pair (p, p+1) is held */
    int end = i;
    while (end < r1 && pair_of(end) + 1 <= top) end++;
    map_rows(i, end, chunk_row, &c, t, h, tmp);
    i = end;
    if (poll) poll();
  }
}

static shared_t *gsh; static double *gt; static int gnext, glast;
static void poll_bands(void) {
  uint32_t ready = atomic_load_explicit(&gsh->bands, memory_order_acquire);
  while ((uint32_t)gnext < ready && gnext < glast) {
    int r0 = gnext * BAND, r1 = r0 + BAND > N / 2 ? N / 2 : r0 + BAND;
    readv1(gt + (size_t)r0 * N, gsh->out_addr + (uint64_t)r0 * N * sizeof(double), (size_t)(r1 - r0) * N * sizeof(double));
    gnext++;
  }
}

static int cmpd(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }

int main(int argc, char **argv) {
  prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
  const char *vars = "a,b,bh,c,cr,cm,d,dw,dr,m,mh,cp";
  int json = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-n")) N = atoi(argv[++i]);
    else if (!strcmp(argv[i], "-r")) REPS = atoi(argv[++i]);
    else if (!strcmp(argv[i], "-k")) K = atoi(argv[++i]);
    else if (!strcmp(argv[i], "-b")) BAND = atoi(argv[++i]);
    else if (!strcmp(argv[i], "-v")) vars = argv[++i];
    else if (!strcmp(argv[i], "-j")) json = 1;
    else if (!strcmp(argv[i], "-s")) NT = 1;
    else if (!strcmp(argv[i], "-p")) PIN = 1;
    else if (!strcmp(argv[i], "-f")) SPLIT = atof(argv[++i]);
    else { fprintf(stderr, "usage: couple_floor [-n N] [-r reps] [-k K] [-b band_rows] [-f split] [-v a,b,bh,c,cr,cm,d,dw,dr,m,mh,cp] [-s] [-p] [-j]\n"); return 1; }
  }
  weights();
  shared_t *sh = mmap(NULL, sizeof(shared_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  memset(sh, 0, sizeof *sh);
  atomic_store(&sh->done, UINT32_MAX);
  pid_t pid = fork();
  if (pid == 0) { pin(1); sender(sh); }
  pin(0);
  peer = pid;
  while (atomic_load(&sh->done) == UINT32_MAX) futex_wait(&sh->done, UINT32_MAX);

  size_t bytes = (size_t)N * N * sizeof(double);
  double *t = aligned_alloc(64, bytes), *ref = aligned_alloc(64, bytes), *src = aligned_alloc(64, bytes), *junk = aligned_alloc(64, bytes);
  double *buf = aligned_alloc(64, (size_t)(K + 1) * N * sizeof(double)), *h = aligned_alloc(64, 2 * N * sizeof(double)), *tmp = aligned_alloc(64, N * sizeof(double));
  memset(t, 0, bytes); memset(junk, 0, bytes);
  fill_source(src);
  map_rows(0, N, flat_row, src, ref, h, NULL);

  char names[MAXV][4]; int nv = 0;
  { char *copy = strdup(vars), *save, *tok = strtok_r(copy, ",", &save);
    for (; tok && nv < MAXV; tok = strtok_r(NULL, ",", &save)) { strncpy(names[nv], tok, 3); names[nv][3] = 0; nv++; } }
  double *times = malloc(sizeof(double) * nv * REPS);
  double *hotl = aligned_alloc(64, (size_t)BAND * N * sizeof(double));
  memset(hotl, 0, (size_t)BAND * N * sizeof(double));
  sh->tgt_addr = (uint64_t)(uintptr_t)t;
  sh->split = (int)(N * SPLIT);
  uint32_t seq = 0;
  int nb = (N + BAND - 1) / BAND;
  gsh = sh; gt = t;
  for (int rep = -3; rep < REPS; rep++) {
    for (int vi = 0; vi < nv; vi++) {
      int v = (vi + (rep < 0 ? 0 : rep)) % nv; /* the order rotates rep by rep */
      const char *name = names[v];
      int code = !strcmp(name, "bh") ? 'h' : name[0];
      if (!strcmp(name, "cr")) code = 'r';
      if (!strcmp(name, "cm")) code = 'M';
      if (!strcmp(name, "m")) code = 'm';
      if (!strcmp(name, "mh")) code = 'H';
      if (!strcmp(name, "cp")) code = 'p';
      if (!strcmp(name, "dw")) code = 'w';
      if (!strcmp(name, "dr")) code = 'W';
      memset(t, 0, 64); /* the first row's start, so a variant that writes nothing fails the check */
      atomic_store(&sh->bands, 0);
      atomic_store(&sh->copied, 0);
      atomic_store(&sh->variant, code == 'd' ? 'd' : code == 'h' ? 'h' : code == 'b' ? 'b' : (code == 'w' || code == 'W') ? 'w' : 'x');
      double t0 = now();
      atomic_store_explicit(&sh->go, ++seq, memory_order_release);
      futex_wake(&sh->go);
      switch (code) {
        case 'a': readv1(t, sh->src_addr, bytes); break;
        case 'b':
        case 'h':
          for (int b = 0; b < nb; b++) {
            int r0 = b * BAND, r1 = r0 + BAND > N ? N : r0 + BAND;
            spin_ge(&sh->bands, b + 1);
            uint64_t from = code == 'b' ? sh->out_addr + (uint64_t)r0 * N * 8 : sh->hot_addr[b % HOT];
            readv1(t + (size_t)r0 * N, from, (size_t)(r1 - r0) * N * 8);
            atomic_store_explicit(&sh->copied, b + 1, memory_order_release);
          }
          break;
        case 'c': fused(sh, t, buf, h, NULL, 0, N, NULL); break;
        case 'r': fused(sh, t, buf, h, tmp, 0, N, NULL); break;
        case 'M': fused(sh, t, buf, h, NULL, 0, N, NULL); memcpy(junk, t, bytes); break;
        case 'd':
          gnext = 0; glast = (N / 2 + BAND - 1) / BAND;
          fused(sh, t, buf, h, NULL, N / 2, N, poll_bands);
          while (gnext < glast) { spin_ge(&sh->bands, gnext + 1); poll_bands(); }
          break;
        case 'm': map_rows(0, N, flat_row, src, t, h, NULL); break;
        case 'H':
          big_dst = 0;
          for (int r0 = 0; r0 < N; r0 += BAND) map_rows(r0, r0 + BAND > N ? N : r0 + BAND, flat_row, src, hotl - (size_t)r0 * N, h, NULL);
          big_dst = 1;
          break;
        case 'p': memcpy(t, src, bytes); break;
        case 'w': fused(sh, t, buf, h, NULL, sh->split, N, NULL); spin_ge(&sh->done, seq); break;
        case 'W': fused(sh, t, buf, h, tmp, sh->split, N, NULL); spin_ge(&sh->done, seq); break;
        default: fprintf(stderr, "unknown variant %s\n", name); return 1;
      }
      double t1 = now();
      while (atomic_load_explicit(&sh->done, memory_order_acquire) != seq) futex_wait(&sh->done, atomic_load(&sh->done));
      if (rep >= 0) times[v * REPS + rep] = (t1 - t0) * 1e3;
      if (rep < 1 && code != 'H' && memcmp(code == 'a' || code == 'p' ? src : ref, t, bytes) != 0) { fprintf(stderr, "variant %s: wrong result\n", name); return 3; }
    }
  }
  sh->quit = 1;
  atomic_store_explicit(&sh->go, ++seq, memory_order_release);
  futex_wake(&sh->go);
  waitpid(pid, NULL, 0);

  double med[MAXV];
  for (int v = 0; v < nv; v++) { qsort(times + v * REPS, REPS, sizeof(double), cmpd); med[v] = times[v * REPS + REPS / 2]; }
  double base = 0;
  for (int v = 0; v < nv; v++) if (!strcmp(names[v], "a")) base = med[v];
  double la[3]; getloadavg(la, 3);
  if (json) printf("{\"n\":%d,\"reps\":%d,\"k\":%d,\"band\":%d,\"load\":%.2f,\"medians\":{", N, REPS, K, BAND, la[0]);
  else printf("N=%d reps=%d K=%d band=%d rows split=%.2f%s%s, load %.2f\nvariant  median    min      p25      p75     /a\n", N, REPS, K, BAND, SPLIT, NT ? ", streaming stores" : "", PIN ? ", pinned" : "", la[0]);
  for (int v = 0; v < nv; v++) {
    double *x = times + v * REPS;
    if (json) printf("%s\"%s\":%.4f", v ? "," : "", names[v], med[v]);
    else printf("%-7s %7.3f  %7.3f  %7.3f  %7.3f  %5.2f\n", names[v], med[v], x[0], x[REPS / 4], x[3 * REPS / 4], base > 0 ? med[v] / base : 0);
  }
  if (json) printf("}}\n");
  return 0;
}

/* Collectives on every rank of MPI_COMM_WORLD (peer for simdeck's benchmarks).
 *
 * usage: collectives [-t trials] [-m target_ms] [-w warmup_ms] [name...]
 *   names (default: all, in this order):
 *     barrier         MPI_Barrier
 *     bcast_8B        MPI_Bcast of 8 bytes from rank 0
 *     bcast_1MiB      MPI_Bcast of 1 MiB from rank 0
 *     allreduce_8B    MPI_Allreduce of one double, MPI_SUM
 *     allreduce_1MiB  MPI_Allreduce of 131072 doubles (1 MiB), MPI_SUM
 *     allgather_8B    MPI_Allgather of 8 bytes per rank
 *     allgather_1MiB  MPI_Allgather of 1 MiB in total (floor(1 MiB / nranks / 8) doubles per rank)
 * For each: warm up, calibrate K (calls per trial) so that a trial takes about target_ms, then
 * `trials` trials of K calls, each trial started by a barrier. A trial's value is the slowest
 * rank's elapsed time / K (MPI_Wtime). Reported: median over trials in microseconds per call.
 * Rank 0 prints one JSON object on stdout; nothing else goes to stdout.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#define MAX_TRIALS 1000
#define MIB (1L << 20)

enum kind { BARRIER, BCAST, ALLREDUCE, ALLGATHER };
struct op { const char *name; enum kind kind; long bytes; /* per call; allgather: total */ };
static const struct op OPS[] = {
  {"barrier", BARRIER, 0},
  {"bcast_8B", BCAST, 8},
  {"bcast_1MiB", BCAST, MIB},
  {"allreduce_8B", ALLREDUCE, 8},
  {"allreduce_1MiB", ALLREDUCE, MIB},
  {"allgather_8B", ALLGATHER, -8}, /* negative: bytes per rank */
  {"allgather_1MiB", ALLGATHER, MIB},
};
#define NOPS ((int)(sizeof OPS / sizeof OPS[0]))

static double *sbuf, *rbuf;
static int rank, size;

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y ? 1 : 0;
}

static double median(const double *xs, int n) {
  double *s = malloc(n * sizeof *s);
  memcpy(s, xs, n * sizeof *s);
  qsort(s, n, sizeof *s, cmp_double);
  double m = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
  free(s);
  return m;
}

/* per-rank element count (doubles) of an op on this communicator size */
static long count_of(const struct op *op) {
  if (op->kind == ALLGATHER) return op->bytes < 0 ? -op->bytes / 8 : op->bytes / 8 / size;
  return op->bytes / 8;
}

/* k calls; returns the slowest rank's elapsed seconds, on every rank */
static double run(const struct op *op, long k) {
  long n = count_of(op);
  double t0 = MPI_Wtime();
  for (long i = 0; i < k; i++) {
    switch (op->kind) {
      case BARRIER: MPI_Barrier(MPI_COMM_WORLD); break;
      case BCAST: MPI_Bcast(sbuf, (int)n, MPI_DOUBLE, 0, MPI_COMM_WORLD); break;
      case ALLREDUCE: MPI_Allreduce(sbuf, rbuf, (int)n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD); break;
      case ALLGATHER: MPI_Allgather(sbuf, (int)n, MPI_DOUBLE, rbuf, (int)n, MPI_DOUBLE, MPI_COMM_WORLD); break;
    }
  }
  double t = MPI_Wtime() - t0, tmax;
  MPI_Allreduce(&t, &tmax, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return tmax;
}

static void json_string(const char *s) {
  putchar('"');
  for (; *s && *s != '\n'; s++) {
    if (*s == '"' || *s == '\\') printf("\\%c", *s);
    else if ((unsigned char)*s < 0x20) putchar(' ');
    else putchar(*s);
  }
  putchar('"');
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);

  int trials = 15;
  double target = 0.030, warmup = 0.010;
  int want[NOPS], nwant = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-t") && i + 1 < argc) trials = atoi(argv[++i]);
    else if (!strcmp(argv[i], "-m") && i + 1 < argc) target = atof(argv[++i]) / 1e3;
    else if (!strcmp(argv[i], "-w") && i + 1 < argc) warmup = atof(argv[++i]) / 1e3;
    else {
      int j = 0;
      while (j < NOPS && strcmp(OPS[j].name, argv[i])) j++;
      if (j == NOPS || nwant == NOPS) {
        if (rank == 0) fprintf(stderr, "collectives: unknown or repeated name: %s\n", argv[i]);
        MPI_Abort(MPI_COMM_WORLD, 2);
      }
      want[nwant++] = j;
    }
  }
  if (trials < 1 || trials > MAX_TRIALS || target <= 0) {
    if (rank == 0) fprintf(stderr, "collectives: needs 1..%d trials, target > 0\n", MAX_TRIALS);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  if (nwant == 0) for (nwant = 0; nwant < NOPS; nwant++) want[nwant] = nwant;

  /* big enough for any op: 1 MiB send, receive of 1 MiB or 8 B * size */
  long cap = MIB + 8L * size;
  if (posix_memalign((void **)&sbuf, 4096, cap) || posix_memalign((void **)&rbuf, 4096, cap)) {
    fprintf(stderr, "collectives: out of memory\n");
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  for (long i = 0; i < cap / 8; i++) { sbuf[i] = rank + i * 1e-6; rbuf[i] = 0; }

  char lib[MPI_MAX_LIBRARY_VERSION_STRING];
  int liblen;
  MPI_Get_library_version(lib, &liblen);
  if (rank == 0) {
    printf("{\"impl\":\"c\",\"library\":");
    json_string(lib);
    printf(",\"nranks\":%d,\"trials\":%d,\"target_ms\":%g,\"results\":[", size, trials, target * 1e3);
  }
  double per[MAX_TRIALS];
  for (int w = 0; w < nwant; w++) {
    const struct op *op = &OPS[want[w]];
    /* warm-up and calibration; every rank sees the same (max) times, so agrees on k and K */
    double t = 0, wstart = MPI_Wtime(), el;
    long k = 1;
    for (;;) {
      t = run(op, k);
      el = MPI_Wtime() - wstart;
      MPI_Bcast(&el, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
      if (t >= target / 8 && el >= warmup) break;
      if (t < target / 8) k *= 2;
    }
    long K = (long)ceil(k * target / (t > 0 ? t : 1e-9));
    if (K < 1) K = 1;
    for (int i = 0; i < trials; i++) {
      MPI_Barrier(MPI_COMM_WORLD);
      per[i] = run(op, K) / K;
    }
    if (rank == 0) {
      long n = count_of(op);
      long per_rank = op->kind == BARRIER ? 0 : n * 8;
      long total = op->kind == ALLGATHER ? n * 8 * size : per_rank;
      double med = median(per, trials), mn = per[0], mx = per[0];
      for (int i = 1; i < trials; i++) { if (per[i] < mn) mn = per[i]; if (per[i] > mx) mx = per[i]; }
      printf("%s{\"name\":\"%s\",\"path\":\"buffer\",\"op\":\"%s\",\"bytes\":%ld,\"total_bytes\":%ld,\"iters\":%ld,"
             "\"us\":%.6g,\"min_us\":%.6g,\"max_us\":%.6g,\"trial_us\":[",
             w ? "," : "", op->name,
             op->kind == BARRIER ? "barrier" : op->kind == BCAST ? "bcast" : op->kind == ALLREDUCE ? "allreduce" : "allgather",
             per_rank, total, K, med * 1e6, mn * 1e6, mx * 1e6);
      for (int i = 0; i < trials; i++) printf("%s%.6g", i ? "," : "", per[i] * 1e6);
      printf("]}");
    }
  }
  if (rank == 0) printf("]}\n");
  fflush(stdout);
  free(sbuf);
  free(rbuf);
  MPI_Finalize();
  return 0;
}

/* Ping-pong between ranks 0 and 1 with blocking MPI_Send/MPI_Recv (peer for simdeck's benchmarks).
 *
 * usage: pingpong [-t trials] [-m target_ms] [-w warmup_ms] size...
 *   size: bytes, with optional K/M/G suffix (binary): 8 1K 64K 1M 4M 64M
 * For each size: warm up for warmup_ms, calibrate K (iterations per trial) so one trial takes
 * about target_ms, then run `trials` trials of K round trips. Per trial value = elapsed / K / 2
 * (half round trip). Reported: median over trials (and min, max, each trial). Bandwidth in GB/s
 * = bytes / median half round trip / 1e9. Ranks beyond 1 only take part in the calibration
 * broadcasts. Rank 0 prints one JSON object on stdout; nothing else goes to stdout.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#define MAX_TRIALS 1000
#define MAX_SIZES 64

static long parse_size(const char *s) {
  char *end;
  double v = strtod(s, &end);
  long mult = 1;
  if (*end == 'k' || *end == 'K') mult = 1L << 10;
  else if (*end == 'm' || *end == 'M') mult = 1L << 20;
  else if (*end == 'g' || *end == 'G') mult = 1L << 30;
  else if (*end != '\0') return -1;
  return (long)(v * mult);
}

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

/* k round trips between ranks 0 and 1; returns elapsed seconds on rank 0 (0 elsewhere). */
static double run(int rank, char *sbuf, char *rbuf, long bytes, long k) {
  double t0 = MPI_Wtime();
  if (rank == 0) {
    for (long i = 0; i < k; i++) {
      MPI_Send(sbuf, (int)bytes, MPI_BYTE, 1, 1, MPI_COMM_WORLD);
      MPI_Recv(rbuf, (int)bytes, MPI_BYTE, 1, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
  } else if (rank == 1) {
    for (long i = 0; i < k; i++) {
      MPI_Recv(rbuf, (int)bytes, MPI_BYTE, 0, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      MPI_Send(sbuf, (int)bytes, MPI_BYTE, 0, 1, MPI_COMM_WORLD);
    }
  }
  return MPI_Wtime() - t0;
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
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);

  int trials = 15;
  double target = 0.030, warmup = 0.010;
  long sizes[MAX_SIZES];
  int nsizes = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-t") && i + 1 < argc) trials = atoi(argv[++i]);
    else if (!strcmp(argv[i], "-m") && i + 1 < argc) target = atof(argv[++i]) / 1e3;
    else if (!strcmp(argv[i], "-w") && i + 1 < argc) warmup = atof(argv[++i]) / 1e3;
    else {
      long b = parse_size(argv[i]);
      if (b <= 0 || b > 0x7fffffffL || nsizes == MAX_SIZES) {
        if (rank == 0) fprintf(stderr, "pingpong: bad size or too many sizes: %s\n", argv[i]);
        MPI_Abort(MPI_COMM_WORLD, 2);
      }
      sizes[nsizes++] = b;
    }
  }
  if (size < 2 || trials < 1 || trials > MAX_TRIALS || target <= 0) {
    if (rank == 0) fprintf(stderr, "pingpong: needs >= 2 ranks, 1..%d trials, target > 0\n", MAX_TRIALS);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  if (nsizes == 0) {
    long def[] = {8, 1024, 65536, 1L << 20, 4L << 20, 64L << 20};
    nsizes = 6;
    memcpy(sizes, def, sizeof def);
  }
  long maxb = 0;
  for (int i = 0; i < nsizes; i++) if (sizes[i] > maxb) maxb = sizes[i];
  char *sbuf = NULL, *rbuf = NULL;
  if (posix_memalign((void **)&sbuf, 4096, maxb) || posix_memalign((void **)&rbuf, 4096, maxb)) {
    fprintf(stderr, "pingpong: out of memory\n");
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  memset(sbuf, rank + 1, maxb);
  memset(rbuf, 0, maxb);

  char lib[MPI_MAX_LIBRARY_VERSION_STRING];
  int liblen;
  MPI_Get_library_version(lib, &liblen);

  if (rank == 0) {
    printf("{\"impl\":\"c\",\"library\":");
    json_string(lib);
    printf(",\"nranks\":%d,\"trials\":%d,\"target_ms\":%g,\"results\":[", size, trials, target * 1e3);
  }
  double per[MAX_TRIALS];
  for (int s = 0; s < nsizes; s++) {
    long bytes = sizes[s];
    /* Warm-up, then calibration: grow k until a run lasts >= target/8 (rank 0's clock,
       broadcast so every rank agrees on k and K). */
    double t = 0;
    long k = 1;
    double wstart = MPI_Wtime();
    for (;;) {
      t = run(rank, sbuf, rbuf, bytes, k);
      MPI_Bcast(&t, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
      double w = MPI_Wtime() - wstart;
      MPI_Bcast(&w, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
      if (t >= target / 8 && w >= warmup) break;
      if (t < target / 8) k *= 2;
    }
    long K = (long)ceil(k * target / (t > 0 ? t : 1e-9));
    if (K < 1) K = 1;
    for (int i = 0; i < trials; i++) {
      MPI_Barrier(MPI_COMM_WORLD);
      per[i] = run(rank, sbuf, rbuf, bytes, K) / K / 2;
    }
    if (rank == 0) {
      double med = median(per, trials), mn = per[0], mx = per[0];
      for (int i = 1; i < trials; i++) { if (per[i] < mn) mn = per[i]; if (per[i] > mx) mx = per[i]; }
      printf("%s{\"path\":\"buffer\",\"bytes\":%ld,\"iters\":%ld,\"half_rtt_us\":%.6g,\"gbps\":%.6g,\"min_us\":%.6g,\"max_us\":%.6g,\"trial_us\":[",
             s ? "," : "", bytes, K, med * 1e6, bytes / med / 1e9, mn * 1e6, mx * 1e6);
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

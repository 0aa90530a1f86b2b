/* heat2d with C + MPI: the peer of simdeck's heat2d benchmark (test/bench/heat2d.bench.mjs).
 *
 * usage: heat2d [-n N] [-t trials] [-k steps_per_trial] [-w warmup_steps] [-h halo_calls]
 *
 * The same algorithm as test/bench/decks/heat2d.ts: an N x N field split in slabs of rows
 * (rank r owns rows start_r .. start_r + rows_r - 1, the first N % p ranks one row more, as
 * simdeck's Grid splits [N, N] on 2 ranks), one ghost layer, and heat_step from
 * native-examples/heat2d/heat.c (linked in, compiled with the same -O2). Halos are exchanged with
 * MPI_Sendrecv (MPI_PROC_NULL past the edges). Measured, each as `trials` trials whose value is
 * the slowest rank's time / calls (MPI_Allreduce MAX), reported as the median:
 *   step:    halo exchange + heat_step + swap
 *   overlap: MPI_Irecv/MPI_Isend, heat_step on the rows that need no ghosts, MPI_Waitall,
 *            heat_step on the two edge rows (through a 3-row scratch block), swap
 *   kernel:  heat_step + swap alone
 *   halo:    the halo exchange alone (-h calls per trial)
 * The variants' trials interleave (step, overlap, kernel, halo, step, ...), as in the deck.
 * Every variant computes the same field, so after the run the global sum of u (printed as
 * "total") equals simdeck's bit for bit. Rank 0 prints one JSON object on stdout.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void heat_step(int nx, int ny, const double *u, double *unew, double alpha);

#define MAX_TRIALS 1000

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y ? 1 : 0;
}

static double median(double *xs, int n) {
  double *s = malloc(n * sizeof *s);
  memcpy(s, xs, n * sizeof *s);
  qsort(s, n, sizeof *s, cmp_double);
  double m = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
  free(s);
  return m;
}

static int nx, ny, up, down;
static double *u, *v, *tmp;
static const double alpha = 0.2;

static void halo(double *a) {
  /* first owned row up, receive the row below into the bottom ghost row; then the reverse */
  MPI_Sendrecv(a + ny, ny, MPI_DOUBLE, up, 1, a + (long)(nx - 1) * ny, ny, MPI_DOUBLE, down, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  MPI_Sendrecv(a + (long)(nx - 2) * ny, ny, MPI_DOUBLE, down, 2, a, ny, MPI_DOUBLE, up, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
}

static void swap(void) { double *t = u; u = v; v = t; }

static void step(void) { halo(u); heat_step(nx, ny, u, v, alpha); swap(); }

static void kernel_only(void) { heat_step(nx, ny, u, v, alpha); swap(); }

static void overlap(void) {
  MPI_Request r[4];
  MPI_Irecv(u, ny, MPI_DOUBLE, up, 2, MPI_COMM_WORLD, &r[0]);
  MPI_Irecv(u + (long)(nx - 1) * ny, ny, MPI_DOUBLE, down, 1, MPI_COMM_WORLD, &r[1]);
  MPI_Isend(u + ny, ny, MPI_DOUBLE, up, 1, MPI_COMM_WORLD, &r[2]);
  MPI_Isend(u + (long)(nx - 2) * ny, ny, MPI_DOUBLE, down, 2, MPI_COMM_WORLD, &r[3]);
  heat_step(nx - 2, ny, u + ny, v + ny, alpha);          /* rows 2 .. nx-3 need no ghosts */
  MPI_Waitall(4, r, MPI_STATUSES_IGNORE);
  heat_step(3, ny, u, tmp, alpha);                       /* row 1 */
  memcpy(v + ny, tmp + ny, ny * sizeof *v);
  heat_step(3, ny, u + (long)(nx - 3) * ny, tmp, alpha); /* row nx-2 */
  memcpy(v + (long)(nx - 2) * ny, tmp + ny, ny * sizeof *v);
  swap();
}

static void halo_only(void) { halo(u); }

/* one trial: `calls` calls of f; the slowest rank's µs per call */
static double trial(void (*f)(void), int calls) {
  MPI_Barrier(MPI_COMM_WORLD);
  double t0 = MPI_Wtime();
  for (int i = 0; i < calls; i++) f();
  double mine = MPI_Wtime() - t0, slowest;
  MPI_Allreduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return slowest / calls * 1e6;
}

static void print_trials(const char *name, double med, const double *xs, int n, int last) {
  printf("\"%s\":{\"us\":%.3f,\"trial_us\":[", name, med);
  for (int i = 0; i < n; i++) printf("%s%.3f", i ? "," : "", xs[i]);
  printf("]}%s", last ? "" : ",");
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int N = 2048, trials = 15, k = 20, warm = 20, hcalls = 2000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "-n")) N = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "-t")) trials = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "-k")) k = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "-w")) warm = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "-h")) hcalls = atoi(argv[i + 1]);
  }
  if (trials > MAX_TRIALS) trials = MAX_TRIALS;
  int rows = N / size + (rank < N % size ? 1 : 0);
  int first = rank * (N / size) + (rank < N % size ? rank : N % size);
  nx = rows + 2; ny = N + 2;
  up = rank > 0 ? rank - 1 : MPI_PROC_NULL;
  down = rank < size - 1 ? rank + 1 : MPI_PROC_NULL;
  u = calloc((size_t)nx * ny, sizeof *u);
  v = calloc((size_t)nx * ny, sizeof *v);
  tmp = calloc((size_t)3 * ny, sizeof *tmp);
  /* the bench deck's initial field: a hot square in the middle */
  for (int i = 1; i <= rows; i++) {
    int gi = first + i - 1;
    for (int j = 1; j <= N; j++)
      if (abs(2 * gi - N) < N / 4 && abs(2 * (j - 1) - N) < N / 4) u[(long)i * ny + j] = 1.0;
  }
  for (int i = 0; i < warm; i++) step();
  double st[MAX_TRIALS], ov[MAX_TRIALS], ke[MAX_TRIALS], ha[MAX_TRIALS];
  /* the variants' trials interleave, so that the machine's drift over the run reaches them alike */
  for (int t = 0; t < trials; t++) {
    st[t] = trial(step, k);
    ov[t] = trial(overlap, k);
    ke[t] = trial(kernel_only, k);
    ha[t] = trial(halo_only, hcalls);
  }
  double m_step = median(st, trials), m_over = median(ov, trials), m_kern = median(ke, trials), m_halo = median(ha, trials);
  double local = 0, total = 0;
  for (int i = 1; i < nx - 1; i++) for (int j = 1; j < ny - 1; j++) local += u[(long)i * ny + j];
  MPI_Allreduce(&local, &total, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0) {
    char lib[MPI_MAX_LIBRARY_VERSION_STRING];
    int len;
    MPI_Get_library_version(lib, &len);
    for (char *c = lib; *c; c++) {
      if (*c == '\n' || *c == '"' || *c == '\\') { *c = '\0'; break; }
      if ((unsigned char)*c < 0x20) *c = ' ';
    }
    printf("{\"impl\":\"c\",\"library\":\"%s\",\"nranks\":%d,\"n\":%d,\"trials\":%d,\"steps_per_trial\":%d,\"halo_calls\":%d,\"warmup\":%d,",
           lib, size, N, trials, k, hcalls, warm);
    print_trials("step", m_step, st, trials, 0);
    print_trials("overlap", m_over, ov, trials, 0);
    print_trials("kernel", m_kern, ke, trials, 0);
    print_trials("halo", m_halo, ha, trials, 0);
    printf("\"total\":%.17g}\n", total);
  }
  free(u); free(v); free(tmp);
  MPI_Finalize();
  return 0;
}

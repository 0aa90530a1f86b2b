/* MPI_Init + MPI_Finalize and nothing else: the C baseline for job start-up wall time
   (launcher + init + teardown), next to mpi4py's `from mpi4py import MPI`. */
#include <mpi.h>

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Finalize();
  return 0;
}

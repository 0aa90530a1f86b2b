/*
 * Explicit 5-point heat stencil on one rank's block.
 *
 * The block is nx x ny points, row-major (u[i*ny + j], i = 0..nx-1 slowest), and includes one
 * ghost layer on every side: rows 0 and nx-1, columns 0 and ny-1. Only interior points are
 * updated; the ghost layer of unew is copied from u, so the two arrays can be swapped after a
 * step and the next halo exchange overwrites the ghosts.
 *
 * The array parameters use C99 array-parameter syntax, so simdeck reads their lengths (nx*ny)
 * from this file and checks them before every call.
 */
void heat_step(int nx, int ny, const double u[nx * ny], double unew[nx * ny], double alpha)
{
    for (int j = 0; j < ny; j++) {
        unew[j] = u[j];
        unew[(nx - 1) * ny + j] = u[(nx - 1) * ny + j];
    }
    for (int i = 1; i < nx - 1; i++) {
        const double *up = u + (i - 1) * ny, *uc = u + i * ny, *dn = u + (i + 1) * ny;
        double *out = unew + i * ny;
        out[0] = uc[0];
        out[ny - 1] = uc[ny - 1];
        for (int j = 1; j < ny - 1; j++)
            out[j] = uc[j] + alpha * (up[j] + dn[j] + uc[j - 1] + uc[j + 1] - 4.0 * uc[j]);
    }
}

/* Sum of the interior points (ghosts excluded). */
double heat_interior_sum(int nx, int ny, const double u[nx * ny])
{
    double s = 0.0;
    for (int i = 1; i < nx - 1; i++)
        for (int j = 1; j < ny - 1; j++)
            s += u[i * ny + j];
    return s;
}

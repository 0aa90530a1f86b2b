/*
 * Stencil kernels for the decomposition conformance decks, in the style of heat.c: each works
 * on one block with one ghost layer on every side, updates the interior and copies the ghost
 * layer from u to unew (so that two arrays can be swapped after a step).
 */

/* 9-point explicit diffusion on an nx x ny row-major block (needs the corner ghosts: 'box'). */
void heat9_step(int nx, int ny, const double u[nx * ny], double unew[nx * ny], double alpha)
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
            out[j] = uc[j] + alpha * (up[j - 1] + up[j] + up[j + 1] + uc[j - 1] + uc[j + 1]
                                      + dn[j - 1] + dn[j] + dn[j + 1] - 8.0 * uc[j]);
    }
}

/* 7-point explicit diffusion on an nx x ny x nz row-major block (faces only: 'star'). */
void heat7_step(int nx, int ny, int nz, const double u[nx * ny * nz], double unew[nx * ny * nz], double alpha)
{
    for (int i = 0; i < nx; i++)
        for (int j = 0; j < ny; j++)
            for (int k = 0; k < nz; k++) {
                long c = ((long)i * ny + j) * nz + k;
                if (i == 0 || j == 0 || k == 0 || i == nx - 1 || j == ny - 1 || k == nz - 1) {
                    unew[c] = u[c];
                    continue;
                }
                unew[c] = u[c] + alpha * (u[c - (long)ny * nz] + u[c + (long)ny * nz] + u[c - nz] + u[c + nz]
                                          + u[c - 1] + u[c + 1] - 6.0 * u[c]);
            }
}

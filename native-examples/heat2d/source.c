/*
 * A heat source for the steered heat2d deck: adds amount * s[k] to u[k] over a block (ghosts
 * included; s is 0 on ghost points). s marks where the source is (1 inside, 0 outside).
 */
void add_source(int n, double u[n], const double s[n], double amount)
{
    for (int k = 0; k < n; k++)
        u[k] += amount * s[k];
}

/*
 * A solver that owns its time loop, as many existing C codes do: n points relax toward a target
 * temperature at a given rate, du/dt = rate * (target - u), by explicit Euler steps.
 *
 * Once per iteration the loop calls `steer` (a function pointer handed out by simdeck's
 * Simulation.runNative) with the step count, time and dt; the call runs the deck's hooks and
 * steering and refreshes params = { rate, target }; a non-zero answer means stop. The loop
 * records the rate it used at each step in seen[], so a test can tell at which step a change
 * arrived.
 *
 * The array parameters use C99 array-parameter syntax, so simdeck checks their lengths.
 */
typedef int (*steer_fn)(int step, double time, double dt, double *params);

int relax_run(int n, double u[n], double dt, int max_steps, double seen[max_steps], void *steer)
{
    steer_fn cb = (steer_fn)steer;
    double params[2] = { 0.0, 0.0 };   /* rate, target: written by every call */
    double t = 0.0;
    int step = 0;
    for (;;) {
        if (cb(step, t, dt, params) != 0 || step == max_steps)
            break;
        seen[step] = params[0];
        for (int i = 0; i < n; i++)
            u[i] += dt * params[0] * (params[1] - u[i]);
        t = (step + 1) * dt;
        step++;
    }
    return step;
}

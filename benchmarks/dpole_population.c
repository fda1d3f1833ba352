/* The population reference for evornn's pole-balancing kernel: P different networks, each run for
   one episode that ends at the first failure (as in evolution), networks spread over OpenMP
   threads with a dynamic schedule. Physics and network as in dpole_limit.c (the same
   arithmetic, in the same order as evornn/problems/pole_kernels.py): double pole without
   velocities, a fully recurrent network of H = 5 sigmoid units, no bias parameters, inputs
   x/4.8, theta1/0.52, theta2/0.52 and a bias input 1.0; unit 0 is the output a,
   F = (a - 0.5) * 20 N. Like evornn's damping evaluation, each episode keeps a ring buffer of
   |x| + |xdot| + |theta1| + |theta1dot| after the last WINDOW balanced steps and sums it
   (oldest first) when at least WINDOW steps were balanced.

   Usage: dpole_population WEIGHTS_FILE P MAX_STEPS WINDOW REPS THREADS START_ANGLE_RAD [SCHEDULE]
   WEIGHTS_FILE holds P x 45 weights, each network in evornn's frnn order (W_in (5 x 4)
   row-major, then W_rec (5 x 5) row-major). SCHEDULE: "dynamic" (default; chunks of one network)
   or "static" (contiguous blocks, one per thread, as Numba's prange). The whole population is evaluated REPS times
   inside one timing. Prints the seconds of that timing on the first line, then one line
   "steps jiggle" per network (jiggle with 17 significant digits).

   gcc -O3 -march=native -fopenmp -o dpole_population dpole_population.c -lm */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define H 5
#define NIN 4
#define NW (H * NIN + H * H)
#define MAX_WINDOW 1000

static const double G = -9.8, MC = 1.0, M1 = 0.1, L1 = 0.5, M2 = 0.01, L2 = 0.05;
static const double MUP = 0.000002, TAU = 0.01;
static const double X_LIMIT = 2.4, ANGLE_LIMIT = 0.628329;

static inline void derivs(double f, const double s[6], double d[6]) {
    double s1 = sin(s[2]), c1 = cos(s[2]);
    double r1 = MUP * s[3] / (M1 * L1);
    double f1 = M1 * L1 * s[3] * s[3] * s1 + 0.75 * M1 * c1 * (r1 + G * s1);
    double m1 = M1 * (1.0 - 0.75 * c1 * c1);
    double s2 = sin(s[4]), c2 = cos(s[4]);
    double r2 = MUP * s[5] / (M2 * L2);
    double f2 = M2 * L2 * s[5] * s[5] * s2 + 0.75 * M2 * c2 * (r2 + G * s2);
    double m2 = M2 * (1.0 - 0.75 * c2 * c2);
    double xdd = (f + f1 + f2) / (MC + m1 + m2);
    d[0] = s[1];
    d[1] = xdd;
    d[2] = s[3];
    d[3] = -0.75 * (xdd * c1 + G * s1 + r1) / L1;
    d[4] = s[5];
    d[5] = -0.75 * (xdd * c2 + G * s2 + r2) / L2;
}

static inline void rk4(double f, double s[6]) {
    double k1[6], k2[6], k3[6], k4[6], y[6];
    int i;
    derivs(f, s, k1);
    for (i = 0; i < 6; i++) y[i] = s[i] + 0.5 * TAU * k1[i];
    derivs(f, y, k2);
    for (i = 0; i < 6; i++) y[i] = s[i] + 0.5 * TAU * k2[i];
    derivs(f, y, k3);
    for (i = 0; i < 6; i++) y[i] = s[i] + TAU * k3[i];
    derivs(f, y, k4);
    for (i = 0; i < 6; i++) s[i] = s[i] + TAU / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
}

/* One episode of network w: returns the steps balanced (at most max_steps); *jiggle the sum. */
static long episode(const double *w, long max_steps, int window, double angle, double *jiggle) {
    const double *w_in = w, *w_rec = w + H * NIN;
    double s[6] = {0, 0, angle, 0, 0, 0}, h[H] = {0}, hn[H], in[NIN], buf[MAX_WINDOW];
    long t = 0;
    int ring = 0;
    while (t < max_steps) {
        in[0] = s[0] / 4.8;
        in[1] = s[2] / 0.52;
        in[2] = s[4] / 0.52;
        in[3] = 1.0;
        for (int i = 0; i < H; i++) {
            double u = 0.0, v = 0.0;
            for (int j = 0; j < NIN; j++) u += w_in[i * NIN + j] * in[j];
            for (int j = 0; j < H; j++) v += w_rec[i * H + j] * h[j];
            hn[i] = 1.0 / (1.0 + exp(-(u + v)));
        }
        for (int i = 0; i < H; i++) h[i] = hn[i];
        if (!isfinite(h[0])) break;
        double a = h[0] < 0.0 ? 0.0 : (h[0] > 1.0 ? 1.0 : h[0]);
        double f = (a - 0.5) * 20.0;
        rk4(f, s);
        rk4(f, s);
        if (!(fabs(s[0]) <= X_LIMIT && fabs(s[2]) <= ANGLE_LIMIT && fabs(s[4]) <= ANGLE_LIMIT)) break;
        if (window > 0) {
            buf[ring] = fabs(s[0]) + fabs(s[1]) + fabs(s[2]) + fabs(s[3]);
            ring = ring + 1 < window ? ring + 1 : 0;
        }
        t++;
    }
    double jig = 0.0;
    if (window > 0 && t >= window)
        for (int j = 0; j < window; j++) jig += buf[(t + j) % window];
    *jiggle = jig;
    return t;
}

int main(int argc, char **argv) {
    if (argc != 8 && argc != 9) {
        fprintf(stderr, "usage: %s WEIGHTS_FILE P MAX_STEPS WINDOW REPS THREADS START_ANGLE_RAD [SCHEDULE]\n",
                argv[0]);
        return 2;
    }
    int P = atoi(argv[2]), window = atoi(argv[4]), reps = atoi(argv[5]), threads = atoi(argv[6]);
    long max_steps = atol(argv[3]);
    double angle = atof(argv[7]);
    int dynamic = argc == 8 || strcmp(argv[8], "dynamic") == 0;
    if (P < 1 || window < 0 || window > MAX_WINDOW || reps < 1 || threads < 1
        || (!dynamic && strcmp(argv[8], "static") != 0)) {
        fprintf(stderr, "bad arguments (WINDOW at most %d; SCHEDULE dynamic or static)\n", MAX_WINDOW);
        return 2;
    }
    double *W = malloc(sizeof(double) * NW * P), *jiggle = malloc(sizeof(double) * P);
    long *steps = malloc(sizeof(long) * P);
    FILE *fp = fopen(argv[1], "r");
    if (!fp) { perror(argv[1]); return 2; }
    for (long i = 0; i < (long)NW * P; i++)
        if (fscanf(fp, "%lf", &W[i]) != 1) { fprintf(stderr, "need %d x %d weights\n", P, NW); return 2; }
    fclose(fp);
    omp_set_num_threads(threads);
    omp_set_schedule(dynamic ? omp_sched_dynamic : omp_sched_static, dynamic ? 1 : 0);
    #pragma omp parallel
    { }                                            /* start the thread pool outside the timing */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int r = 0; r < reps; r++) {
        #pragma omp parallel for schedule(runtime)
        for (int p = 0; p < P; p++) steps[p] = episode(W + (long)p * NW, max_steps, window, angle, &jiggle[p]);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double dt = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    printf("%.9f\n", dt);
    for (int p = 0; p < P; p++) printf("%ld %.17g\n", steps[p], jiggle[p]);
    free(W); free(jiggle); free(steps);
    return 0;
}

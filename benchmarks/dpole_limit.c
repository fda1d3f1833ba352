/* The speed reference for evornn's pole-balancing kernel: a plain C program of the benchmark
   workload, written from the equations of ../shared/reference/pole-balancing.md (Wieland 1991
   as coded by Gomez: classic RK4, tau = 0.01 s, two RK4 steps per network step).

   Workload: double pole without velocities; a fully recurrent network (Williams & Zipser 1989)
   of H = 5 sigmoid units, no bias parameters, inputs x/4.8, theta1/0.52, theta2/0.52 and a bias
   input 1.0; unit 0 is the output a, F = (a - 0.5) * 20 N. On failure the cart and the network
   are reset and the run goes on, so every episode is exactly STEPS network steps long.
   Arithmetic is written in the same order as evornn/problems/pole_kernels.py.

   Usage: dpole_limit WEIGHTS_FILE STEPS EPISODES START_ANGLE_RAD
   WEIGHTS_FILE holds the 45 weights in evornn's frnn order: W_in (5 x 4) row-major, then
   W_rec (5 x 5) row-major. Prints: ns_per_step total_steps total_failures */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define H 5
#define NIN 4
#define NW (H * NIN + H * H)

static const double G = -9.8, MC = 1.0, M1 = 0.1, L1 = 0.5, M2 = 0.01, L2 = 0.05;
static const double MUP = 0.000002, TAU = 0.01;
static const double X_LIMIT = 2.4, ANGLE_LIMIT = 0.628329;

/* d = ds/dt for state s = (x, xdot, theta1, theta1dot, theta2, theta2dot) under force f */
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

/* One episode of exactly `steps` network steps with restarts; returns the number of failures. */
static long run(const double *w, long steps, double angle) {
    const double *w_in = w, *w_rec = w + H * NIN;
    double s[6] = {0, 0, angle, 0, 0, 0}, h[H] = {0}, hn[H], in[NIN];
    long failures = 0;
    for (long t = 0; t < steps; t++) {
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
        double a = h[0] < 0.0 ? 0.0 : (h[0] > 1.0 ? 1.0 : h[0]);
        double f = (a - 0.5) * 20.0;
        rk4(f, s);
        rk4(f, s);
        if (!(fabs(s[0]) <= X_LIMIT && fabs(s[2]) <= ANGLE_LIMIT && fabs(s[4]) <= ANGLE_LIMIT)) {
            failures++;
            s[0] = s[1] = s[3] = s[4] = s[5] = 0.0;
            s[2] = angle;
            for (int i = 0; i < H; i++) h[i] = 0.0;
        }
    }
    return failures;
}

int main(int argc, char **argv) {
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: %s WEIGHTS_FILE STEPS EPISODES START_ANGLE_RAD [cpu]\n", argv[0]);
        return 2;
    }
    double w[NW];
    FILE *fp = fopen(argv[1], "r");
    if (!fp) { perror(argv[1]); return 2; }
    for (int i = 0; i < NW; i++)
        if (fscanf(fp, "%lf", &w[i]) != 1) { fprintf(stderr, "need %d weights\n", NW); return 2; }
    fclose(fp);
    long steps = atol(argv[2]);
    int episodes = atoi(argv[3]);
    double angle = atof(argv[4]);
    struct timespec t0, t1;
    long failures = 0;
    /* "cpu": the process's CPU time instead of wall time (a shared machine) */
    clockid_t clock = argc == 6 && strcmp(argv[5], "cpu") == 0 ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC;
    clock_gettime(clock, &t0);
    for (int e = 0; e < episodes; e++) failures += run(w, steps, angle);
    clock_gettime(clock, &t1);
    double dt = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    long total = steps * episodes;
    printf("%.3f %ld %ld\n", dt / total * 1e9, total, failures);
    return 0;
}

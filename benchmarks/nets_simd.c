// C SIMD reference for benchmarks/bench_nets.py: Elman, LSTM and GRU populations, 8 individuals
// (float64 lanes) per AVX-512 vector, written from the equations in evornn/nets/cells/*.py.
//
// Build (bench_nets.py does this into benchmarks/bin/ at run time):
//   gcc -O3 -march=native -ffast-math -fopenmp -fPIC [-DROWS=4] -c nets_simd.c -o nets_simd.o
//   gcc -shared -fopenmp nets_simd.o -o nets_simd.so -lm
// -ffast-math with #pragma omp simd lets gcc call glibc's libmvec vector functions
// (_ZGVeN8v_tanh, _ZGVeN8v_exp on AVX-512) instead of the scalar tanh/exp. It is left out of the
// link: gcc 12 would add crtfastmath.o, whose constructor sets flush-to-zero for the whole process.
//
// Layout. The population is cut into blocks of LN = 8 individuals (the caller pads the last one).
// Block b's weights are W[b][k][l]: parameter k of the evornn chromosome (same order, same
// meaning: W_in, W_rec, b, out.W, out.b, each block row-major as net.unflatten gives it) for lane l,
// so that every loop over lanes is one vector. Outputs Y[b][t][o][l]. Each block runs over the
// whole sequence (its weights stay in L1/L2), OpenMP spreads the blocks over the threads.
//
// Equations (s = sigmoid = 1 / (1 + exp(-a)), state starts at zero, readout y = out_act(W h + b)):
//   Elman: h = act(W_in x + W_rec h + b)                        (act: 0 linear, 1 s, 2 tanh, 3 relu)
//   LSTM (forget gate, no peepholes, gate order i, f, g, o):
//     i = s(.), f = s(.), g = tanh(.), o = s(.) of W_in[q] x + W_rec[q] h + b[q];
//     c = f * c + i * g;  h = o * tanh(c)
//   GRU (Cho et al. 2014, gate order r, z, n): r = s(W_r x + U_r h + b_r), z = s(W_z x + U_z h + b_z),
//     n = tanh(W_n x + U_n (r * h) + b_n);  h = (1 - z) * n + z * h
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#define LN 8
#define A64 __attribute__((aligned(64)))

int simd_lanes(void) { return LN; }
void set_threads(int n) { omp_set_num_threads(n); }
int get_threads(void) { return omp_get_max_threads(); }

static double *alloc(size_t n) {
  size_t bytes = ((n * sizeof(double) + 63) / 64) * 64;
  double *p = aligned_alloc(64, bytes ? bytes : 64);
  if (p) memset(p, 0, bytes);
  return p;
}

// a[0:n][lane] = act(a), one vector at a time.
static inline void activate(double *restrict a, int n, int act) {
  for (int i = 0; i < n; i++) {
    double *v = a + (size_t)i * LN;
    if (act == 1) {
#pragma omp simd
      for (int l = 0; l < LN; l++) v[l] = 1.0 / (1.0 + exp(-v[l]));
    } else if (act == 2) {
#pragma omp simd
      for (int l = 0; l < LN; l++) v[l] = tanh(v[l]);
    } else if (act == 3) {
#pragma omp simd
      for (int l = 0; l < LN; l++) v[l] = v[l] < 0.0 ? 0.0 : v[l];
    }
  }
}

// out[r] (r < R) = bias[r] + M[r, :NI] . x (x shared by all lanes) + U[r, :H] . h (per lane).
// M is (R, NI), U is (R, H), both [param][lane]; h is [H][lane]; out is [R][lane].
// ROWS rows at a time, each with its own accumulator vector (ROWS = 1: one FMA dependency chain per
// row, the plain loop; -DROWS=4: four independent chains sharing each h[j] load). Same sums, same
// order, same results either way.
#ifndef ROWS
#define ROWS 1
#endif
static inline void affine_rows(const double *restrict m, const double *restrict u, const double *restrict bias,
                               const double *restrict x, const double *restrict h, int nr, int NI, int H,
                               double *restrict out) {
  double acc[ROWS][LN] A64;
  for (int q = 0; q < nr; q++) {
#pragma omp simd aligned(acc : 64)
    for (int l = 0; l < LN; l++) acc[q][l] = 0.0;
  }
  for (int j = 0; j < NI; j++) {
    const double xj = x[j];
    for (int q = 0; q < nr; q++) {
#pragma omp simd aligned(acc : 64)
      for (int l = 0; l < LN; l++) acc[q][l] += m[(q * NI + j) * LN + l] * xj;
    }
  }
  for (int j = 0; j < H; j++) {
    for (int q = 0; q < nr; q++) {
#pragma omp simd aligned(acc : 64)
      for (int l = 0; l < LN; l++) acc[q][l] += u[(q * H + j) * LN + l] * h[j * LN + l];
    }
  }
  for (int q = 0; q < nr; q++) {
#pragma omp simd aligned(acc : 64)
    for (int l = 0; l < LN; l++) out[q * LN + l] = acc[q][l] + bias[q * LN + l];
  }
}

static inline void affine(const double *restrict M, const double *restrict U, const double *restrict bias,
                          const double *restrict x, const double *restrict h, int R, int NI, int H,
                          double *restrict out) {
  int r = 0;
  for (; r + ROWS <= R; r += ROWS)
    affine_rows(M + (size_t)r * NI * LN, U + (size_t)r * H * LN, bias + (size_t)r * LN, x, h, ROWS, NI, H,
                out + (size_t)r * LN);
  for (; r < R; r++)
    affine_rows(M + (size_t)r * NI * LN, U + (size_t)r * H * LN, bias + (size_t)r * LN, x, h, 1, NI, H,
                out + (size_t)r * LN);
}

// Dense readout y[t] = out_act(Wo h + bo) into Y[t][NO][lane].
static inline void readout(const double *restrict Wo, const double *restrict bo, const double *restrict h,
                           int H, int NO, int out_act, double *restrict y) {
  for (int o = 0; o < NO; o++) {
    double acc[LN] A64;
#pragma omp simd aligned(acc : 64)
    for (int l = 0; l < LN; l++) acc[l] = 0.0;
    for (int j = 0; j < H; j++) {
#pragma omp simd aligned(acc : 64)
      for (int l = 0; l < LN; l++) acc[l] += Wo[(o * H + j) * LN + l] * h[j * LN + l];
    }
#pragma omp simd aligned(acc : 64)
    for (int l = 0; l < LN; l++) y[o * LN + l] = acc[l] + bo[o * LN + l];
  }
  activate(y, NO, out_act);
}

static void elman_block(const double *restrict W, const double *restrict X, int T, int NI, int H, int NO,
                        int act, int out_act, double *restrict Y, double *restrict ws) {
  const double *Win = W, *Wrec = Win + (size_t)H * NI * LN, *b = Wrec + (size_t)H * H * LN;
  const double *Wo = b + (size_t)H * LN, *bo = Wo + (size_t)NO * H * LN;
  double *h = ws, *a = ws + (size_t)H * LN;
  memset(h, 0, sizeof(double) * H * LN);
  for (int t = 0; t < T; t++) {
    affine(Win, Wrec, b, X + (size_t)t * NI, h, H, NI, H, a);
    activate(a, H, act);
    memcpy(h, a, sizeof(double) * H * LN);
    readout(Wo, bo, h, H, NO, out_act, Y + (size_t)t * NO * LN);
  }
}

static void lstm_block(const double *restrict W, const double *restrict X, int T, int NI, int H, int NO,
                       int out_act, double *restrict Y, double *restrict ws) {
  const double *Win = W, *Wrec = Win + (size_t)4 * H * NI * LN, *b = Wrec + (size_t)4 * H * H * LN;
  const double *Wo = b + (size_t)4 * H * LN, *bo = Wo + (size_t)NO * H * LN;
  double *h = ws, *c = h + (size_t)H * LN, *a = c + (size_t)H * LN;   // a: [4][H][lane]
  memset(h, 0, sizeof(double) * 2 * H * LN);
  const int m = H * LN;
  for (int t = 0; t < T; t++) {
    affine(Win, Wrec, b, X + (size_t)t * NI, h, 4 * H, NI, H, a);   // the four gates' rows in order
    double *ai = a, *af = a + m, *ag = a + 2 * m, *ao = a + 3 * m;
    for (int i = 0; i < H; i++) {
#pragma omp simd
      for (int k = i * LN; k < (i + 1) * LN; k++) {
        const double ig = 1.0 / (1.0 + exp(-ai[k])), fg = 1.0 / (1.0 + exp(-af[k]));
        const double og = 1.0 / (1.0 + exp(-ao[k]));
        const double ct = fg * c[k] + ig * tanh(ag[k]);
        c[k] = ct;
        h[k] = og * tanh(ct);
      }
    }
    readout(Wo, bo, h, H, NO, out_act, Y + (size_t)t * NO * LN);
  }
}

static void gru_block(const double *restrict W, const double *restrict X, int T, int NI, int H, int NO,
                      int out_act, double *restrict Y, double *restrict ws) {
  const double *Win = W, *Wrec = Win + (size_t)3 * H * NI * LN, *b = Wrec + (size_t)3 * H * H * LN;
  const double *Wo = b + (size_t)3 * H * LN, *bo = Wo + (size_t)NO * H * LN;
  double *h = ws, *rh = h + (size_t)H * LN, *a = rh + (size_t)H * LN;   // a: [3][H][lane]
  memset(h, 0, sizeof(double) * H * LN);
  const int m = H * LN;
  for (int t = 0; t < T; t++) {
    const double *x = X + (size_t)t * NI;
    affine(Win, Wrec, b, x, h, 2 * H, NI, H, a);                       // r and z rows
    double *ar = a, *az = a + m, *an = a + 2 * m;
    for (int i = 0; i < H; i++) {
#pragma omp simd
      for (int k = i * LN; k < (i + 1) * LN; k++) {
        rh[k] = h[k] * (1.0 / (1.0 + exp(-ar[k])));
        az[k] = 1.0 / (1.0 + exp(-az[k]));
      }
    }
    affine(Win + (size_t)2 * H * NI * LN, Wrec + (size_t)2 * H * H * LN, b + (size_t)2 * H * LN, x, rh,
           H, NI, H, an);                                              // n row, on r * h
    for (int i = 0; i < H; i++) {
#pragma omp simd
      for (int k = i * LN; k < (i + 1) * LN; k++) {
        const double n = tanh(an[k]), z = az[k];
        h[k] = (1.0 - z) * n + z * h[k];
      }
    }
    readout(Wo, bo, h, H, NO, out_act, Y + (size_t)t * NO * LN);
  }
}

// Parameters per individual of each architecture (with its dense readout), for the caller's check.
int n_params(int cell, int NI, int H, int NO) {
  const int G = cell == 0 ? 1 : cell == 1 ? 4 : 3;
  return G * H * NI + G * H * H + G * H + NO * H + NO;
}

// cell: 0 elman, 1 lstm, 2 gru. W: nblocks * nparams * LN; X: T * NI (shared by every individual);
// Y: nblocks * T * NO * LN. Returns 0, or -1 if nparams does not match, -2 if out of memory.
int run(int cell, const double *W, int nblocks, int nparams, const double *X, int T, int NI, int H, int NO,
        int act, int out_act, double *Y) {
  if (nparams != n_params(cell, NI, H, NO)) return -1;
  int err = 0;
#pragma omp parallel
  {
    double *ws = alloc((size_t)6 * H * LN);
    if (!ws) {
#pragma omp atomic write
        err = -2;
      }
#pragma omp for schedule(dynamic)
    for (int bk = 0; bk < nblocks; bk++) {
        if (!ws) continue;
        const double *w = W + (size_t)bk * nparams * LN;
        double *y = Y + (size_t)bk * T * NO * LN;
        if (cell == 0) elman_block(w, X, T, NI, H, NO, act, out_act, y, ws);
        else if (cell == 1) lstm_block(w, X, T, NI, H, NO, out_act, y, ws);
        else gru_block(w, X, T, NI, H, NO, out_act, y, ws);
      }
    free(ws);
  }
  return err;
}

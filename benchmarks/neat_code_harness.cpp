// NEAT's C++ code (neat1.2.1) on printed genomes, for benchmarks/neat_code_check.py.
//   neat_code_harness gen FILE   each genome's generalization count (pole2_epoch's loop: flush, 625 starts)
//   neat_code_harness fit FILE   each genome's damping fitness (pole2_evaluate, the non-Markov evaluation)
// One line per genome on stdout: its id and the value. Build: g++ -O2 -w -DNO_SCREEN_OUT -I<code>/include
// this file <code>/build/*.o (all but neatmain.o); the code's own output goes to its stdout, so ours is stderr.
#include <cstdio>
#include <cstring>
#include <fstream>
#include "neat.h"
#include "organism.h"
#include "experiments.h"
using namespace NEAT;

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: %s gen|fit FILE\n", argv[0]); return 2; }
  bool gen = strcmp(argv[1], "gen") == 0;
  std::ifstream in(argv[2]);
  double v[5] = {0.05, 0.25, 0.5, 0.75, 0.95};
  char word[256];
  int id;
  CartPole *cart = new CartPole(true, false);
  while (in >> word) {
    if (strcmp(word, "genomestart") != 0) continue;
    in >> id;
    Organism *org = new Organism(0.0, new Genome(id, in), 1);
    cart->nmarkov_long = false;
    cart->generalization_test = false;
    if (!gen) {
      pole2_evaluate(org, false, cart);
      fprintf(stderr, "%d %.17g\n", id, org->fitness);
    } else {
      int score = 0;
      for (int a = 0; a < 5; ++a) for (int b = 0; b < 5; ++b) for (int c = 0; c < 5; ++c) for (int d = 0; d < 5; ++d) {
        cart->state[0] = v[a] * 4.32 - 2.16;
        cart->state[1] = v[b] * 2.70 - 1.35;
        cart->state[2] = v[c] * 0.12566304 - 0.06283152;
        cart->state[3] = v[d] * 0.30019504 - 0.15009752;
        cart->state[4] = cart->state[5] = 0.0;
        cart->generalization_test = true;
        org->net->flush();
        if (pole2_evaluate(org, false, cart)) score++;
      }
      fprintf(stderr, "%d %d\n", id, score);
    }
    delete org;
  }
  return 0;
}

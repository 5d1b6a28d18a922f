// Loads and attaches bench/floor.bpf.c, says so on stderr, and holds it until SIGINT/SIGTERM.
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "floor.skel.h"

int main() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, nullptr);

  floor_bpf* skel = floor_bpf__open_and_load();
  if (!skel || floor_bpf__attach(skel) != 0) {
    std::fprintf(stderr, "ctrace_bench_floor: cannot load or attach the floor programs (root?)\n");
    floor_bpf__destroy(skel);
    return 1;
  }
  std::fprintf(stderr, "Collecting events (floor)\n");
  int sig = 0;
  sigwait(&set, &sig);
  floor_bpf__destroy(skel);
  return 0;
}

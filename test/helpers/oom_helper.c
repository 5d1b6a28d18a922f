/* ctrace_oom_helper MIB: allocates MIB MiB of anonymous memory, 1 MiB at a time, touching every
 * page, then exits 0; in a memory cgroup with a lower limit the OOM killer ends it first (the
 * oomkill tests). Prints the MiB it holds on stderr every 16 MiB. Static: it runs in busybox
 * containers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int main(int argc, char** argv) {
  if (argc != 2 || atol(argv[1]) <= 0) {
    fprintf(stderr, "usage: ctrace_oom_helper MIB\n");
    return 2;
  }
  long mib = atol(argv[1]);
  for (long i = 0; i < mib; ++i) {
    char* p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      perror("ctrace_oom_helper: mmap");
      return 1;
    }
    memset(p, 0x5a, 1 << 20);
    if ((i + 1) % 16 == 0) fprintf(stderr, "ctrace_oom_helper: %ld MiB\n", i + 1);
  }
  return 0;
}

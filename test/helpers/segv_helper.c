/* ctrace_segv_helper [core]: dies of SIGSEGV (a write through a null pointer), for the exit
 * tests. Without "core" RLIMIT_CORE is 0 (no core file, no core flag); with it RLIMIT_CORE is
 * unlimited and the working directory /tmp, so that a core_pattern of "core" writes one and
 * the exit status has WCOREDUMP set. Static: it runs in busybox containers. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int main(int argc, char** argv) {
  int core = argc > 1 && strcmp(argv[1], "core") == 0;
  struct rlimit rl = {core ? RLIM_INFINITY : 0, core ? RLIM_INFINITY : 0};
  if (setrlimit(RLIMIT_CORE, &rl) != 0) perror("ctrace_segv_helper: setrlimit");
  if (core && chdir("/tmp") != 0) perror("ctrace_segv_helper: chdir /tmp");
  *(volatile int*)0 = 1;
  return 0;
}

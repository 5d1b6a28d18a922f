/* ctrace_signal_helper: signals sent and received by exact syscalls, for the signal tests.
 *   kill PID SIG             kill(2): process-directed, SI_USER
 *   tgkill TGID TID SIG      tgkill(2): thread-directed, SI_TKILL
 *   queue PID SIG VALUE      sigqueue(3) (rt_sigqueueinfo): SI_QUEUE
 *   catch SIG N              handles SIG, prints "ready" on stdout, exits 0 after N of them
 *   ignore SIG               SIG_IGN for SIG, prints "ready", then waits to be killed
 *   block                    blocks every signal, prints "ready", then waits to be killed: what
 *                            is sent stays pending (a second standard one is ALREADY_PENDING)
 * A sender exits 0, or 1 with the errno on stderr. Static: it runs in busybox containers. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile sig_atomic_t caught;
static void on_signal(int sig) {
  (void)sig;
  caught++;
}

static int sent(int r, const char* what) {
  if (r == 0) return 0;
  fprintf(stderr, "ctrace_signal_helper: %s: %s\n", what, strerror(errno));
  return 1;
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  if (strcmp(mode, "kill") == 0 && argc == 4) return sent(kill(atoi(argv[2]), atoi(argv[3])), "kill");
  if (strcmp(mode, "tgkill") == 0 && argc == 5)
    return sent((int)syscall(SYS_tgkill, atoi(argv[2]), atoi(argv[3]), atoi(argv[4])), "tgkill");
  if (strcmp(mode, "queue") == 0 && argc == 5) {
    union sigval v = {.sival_int = atoi(argv[4])};
    return sent(sigqueue(atoi(argv[2]), atoi(argv[3]), v), "sigqueue");
  }
  if (strcmp(mode, "catch") == 0 && argc == 4) {
    int sig = atoi(argv[2]), n = atoi(argv[3]);
    sigset_t block, wait;
    sigemptyset(&block);
    sigaddset(&block, sig);
    sigprocmask(SIG_BLOCK, &block, &wait);
    sigdelset(&wait, sig);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(sig, &sa, NULL);
    printf("ready\n");
    fflush(stdout);
    while (caught < n) sigsuspend(&wait);
    return 0;
  }
  if (strcmp(mode, "ignore") == 0 && argc == 3) {
    signal(atoi(argv[2]), SIG_IGN);
    printf("ready\n");
    fflush(stdout);
    for (;;) pause();
  }
  if (strcmp(mode, "block") == 0 && argc == 2) {
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    printf("ready\n");
    fflush(stdout);
    for (;;) pause();
  }
  fprintf(stderr,
          "usage: ctrace_signal_helper kill PID SIG | tgkill TGID TID SIG | queue PID SIG VALUE | "
          "catch SIG N | ignore SIG | block\n");
  return 2;
}

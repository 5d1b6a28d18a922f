/* ctrace_exec_helper: the execs whose events have edge cases, for the exec tests.
 *   fd PATH ARG...         execveat(open(PATH, O_PATH), "", argv, envp, AT_EMPTY_PATH)
 *   at DIR NAME ARG...     execveat(open(DIR), NAME, argv, envp, 0): a name relative to a dirfd
 *   thread PATH ARG...     a second thread calls execve(PATH, argv): it takes over the pid
 * argv is [PATH or NAME, ARG...]. Exits 1 with the errno on stderr when the exec fails.
 * Static: it runs in busybox containers. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char** environ;
static char** exec_argv;

static void* exec_in_thread(void* arg) {
  (void)arg;
  execve(exec_argv[0], exec_argv, environ);
  perror("ctrace_exec_helper: execve");
  _exit(1);
}

int main(int argc, char** argv) {
  if (argc >= 3 && strcmp(argv[1], "fd") == 0) {
    int fd = open(argv[2], O_PATH | O_CLOEXEC);
    if (fd < 0) {
      perror("ctrace_exec_helper: open");
      return 1;
    }
    syscall(SYS_execveat, fd, "", argv + 2, environ, AT_EMPTY_PATH);
    perror("ctrace_exec_helper: execveat");
    return 1;
  }
  if (argc >= 4 && strcmp(argv[1], "at") == 0) {
    int dfd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
      perror("ctrace_exec_helper: open");
      return 1;
    }
    syscall(SYS_execveat, dfd, argv[3], argv + 3, environ, 0);
    perror("ctrace_exec_helper: execveat");
    return 1;
  }
  if (argc >= 3 && strcmp(argv[1], "thread") == 0) {
    pthread_t t;
    exec_argv = argv + 2;
    pthread_create(&t, NULL, exec_in_thread, NULL);
    for (;;) pause();
  }
  fprintf(stderr, "usage: ctrace_exec_helper fd PATH ARG... | at DIR NAME ARG... | thread PATH ARG...\n");
  return 2;
}

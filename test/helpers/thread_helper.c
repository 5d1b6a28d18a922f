/* ctrace_thread_helper: thread exits, for the exit tests.
 *   exit CODE N       N threads end with pthread_exit, then the main thread exits CODE
 *   last CODE         the main thread ends first (pthread_exit), a worker exits CODE last
 * Static: it runs in busybox containers. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int code;

static void* quit(void* arg) {
  (void)arg;
  pthread_exit(NULL);
}

/* Whether the main thread has exited: a group leader that is gone stays a zombie until the
 * group ends, "State: Z" in its task's status. */
static int main_thread_gone(void) {
  char path[64], line[128];
  snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)getpid());
  FILE* f = fopen(path, "r");
  int gone = 0;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "State:", 6) == 0) gone = strchr(line, 'Z') != NULL;
  if (f) fclose(f);
  return gone;
}

static void* exit_last(void* arg) {
  (void)arg;
  while (!main_thread_gone()) usleep(1000);
  exit(code);
}

int main(int argc, char** argv) {
  pthread_t t;
  if (argc == 4 && strcmp(argv[1], "exit") == 0) {
    int n = atoi(argv[3]);
    for (int i = 0; i < n; ++i) {
      pthread_create(&t, NULL, quit, NULL);
      pthread_join(t, NULL);
    }
    return atoi(argv[2]);
  }
  if (argc == 3 && strcmp(argv[1], "last") == 0) {
    code = atoi(argv[2]);
    pthread_create(&t, NULL, exit_last, NULL);
    pthread_exit(NULL);
  }
  fprintf(stderr, "usage: ctrace_thread_helper exit CODE N | last CODE\n");
  return 2;
}

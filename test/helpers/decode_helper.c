/* ctrace_decode_helper PORT: the calls people read first in a dump, once each, for the
 * record decoding test (compared with strace -f of the same helper):
 *   openat(AT_FDCWD, "/etc/hostname", O_RDONLY|O_CLOEXEC)
 *   socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0) + connect to 127.0.0.1:PORT
 *   openat(AT_FDCWD, "/nonexistent/ctrace-decode", O_RDONLY) -> ENOENT
 *   execve("/bin/true", ["true", "alpha", "beta"], envp) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

extern char** environ;

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: ctrace_decode_helper PORT\n");
    return 2;
  }
  int fd = openat(AT_FDCWD, "/etc/hostname", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) close(fd);
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)atoi(argv[1]));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(s, (struct sockaddr*)&addr, sizeof addr) != 0) perror("ctrace_decode_helper: connect");
  close(s);
  if (openat(AT_FDCWD, "/nonexistent/ctrace-decode", O_RDONLY) >= 0) return 1;
  char* const args[] = {"true", "alpha", "beta", NULL};
  execve("/bin/true", args, environ);
  perror("ctrace_decode_helper: execve");
  return 1;
}

/* ctrace_parity_helper DIR: one of each call whose arguments strace names, for the parity test
 * (run under strace -f and under ctrace record; the lines are compared field by field).
 * Raw syscall() where the C library would pick another call or add one. */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: ctrace_parity_helper DIR\n");
    return 2;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/parity-file", argv[1]);

  long cur = syscall(SYS_brk, 0);
  syscall(SYS_brk, cur + 8192);
  int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_CREAT | O_TRUNC, 0640);
  if (fd < 0) return 1;
  if (ftruncate(fd, 16384) != 0) return 1;
  int rd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
  char* p = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, rd, 4096);
  if (p == MAP_FAILED) return 1;
  syscall(SYS_mprotect, p, 4096, PROT_NONE);
  syscall(SYS_fcntl, fd, F_GETFL);
  syscall(SYS_fcntl, fd, F_SETFL, O_RDWR | O_NONBLOCK);
  syscall(SYS_fcntl, rd, F_GETFD);
  unsigned long fs = 0;
  syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
  char name[16];
  syscall(SYS_prctl, PR_GET_NAME, name, 0, 0, 0);
  syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  syscall(SYS_prctl, PR_SET_PDEATHSIG, 0, 0, 0, 0);
  syscall(SYS_prctl, PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0);
  syscall(SYS_prctl, PR_GET_KEEPCAPS, 0, 0, 0, 0);
  syscall(SYS_prctl, PR_SET_DUMPABLE, 1, 0, 0, 0);
  syscall(SYS_prctl, PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
  char node[4096];
  snprintf(node, sizeof node, "%s/parity-fifo", argv[1]);
  unlink(node);
  syscall(SYS_mknodat, AT_FDCWD, node, S_IFIFO | 0640, 0);
  unlink(node);
  snprintf(node, sizeof node, "%s/parity-null", argv[1]);
  unlink(node);
  syscall(SYS_mknodat, AT_FDCWD, node, S_IFCHR | 0600, makedev(1, 3));
  unlink(node);
  struct rlimit old;
  syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &old);
  syscall(SYS_access, path, R_OK | W_OK);
  syscall(SYS_lseek, fd, 100, SEEK_SET);
  syscall(SYS_lseek, fd, 0, SEEK_END);
  int word = 0;
  syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  struct termios t;
  syscall(SYS_ioctl, rd, TCGETS, &t);
  struct statx stx;
  syscall(SYS_statx, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
          STATX_TYPE | STATX_MODE | STATX_SIZE, &stx);
  struct stat st;
  syscall(SYS_newfstatat, rd, "", &st, AT_EMPTY_PATH);
  char rnd[8];
  syscall(SYS_getrandom, rnd, sizeof rnd, GRND_NONBLOCK);
  int s = (int)syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0);
  if (s >= 0) close(s);
  syscall(SYS_wait4, -1, NULL, WNOHANG, NULL);
  sigset_t set, was;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, &was, 8);
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &was, NULL, 8);
  close(rd);
  close(fd);
  syscall(SYS_brk, cur);
  return 0;
}

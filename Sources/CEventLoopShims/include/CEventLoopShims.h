// Linux APIs Glibc's Swift module does not export (epoll, eventfd, timerfd, signalfd, malloc_trim) and
// accept4, which glibc hides behind _GNU_SOURCE. Declarations only; no logic lives here.
#ifndef CEVENTLOOP_SHIMS_H
#define CEVENTLOOP_SHIMS_H

#include <errno.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <limits.h>
#include <sched.h>
#include <unistd.h>
#include <pthread.h>
#include <malloc.h>
#include <sys/random.h>

int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);
int pthread_setname_np(pthread_t thread, const char *name);

static inline int chatd_errno(void) { return errno; }
// IOV_MAX needs _XOPEN_SOURCE in <limits.h>; sysconf(3) gives the same value (1024 on Linux).
static inline int chatd_iov_max(void) { long v = sysconf(_SC_IOV_MAX); return v > 0 ? (int)v : 1024; }
static inline void chatd_sigset_add(sigset_t *set, int sig) { sigaddset(set, sig); }
static inline void chatd_sigset_empty(sigset_t *set) { sigemptyset(set); }

#endif

/*
 * The spawner in C: the same protocol as spawner-child.ts (spawner-protocol.ts
 * describes the frames), used when it was compiled (scripts/build-spawner.js).
 *
 * Why a second one: posix_spawn in glibc starts the child with
 * clone(CLONE_VM | CLONE_VFORK), so no page table is copied at all, where
 * Node's spawn (libuv) forks the whole process. Measured in BENCHMARKS.md,
 * shell: the Node helper still costs ~0.8 ms of its CPU per start, this one
 * a small fraction of that. Backpressure is a blocking write to the
 * orchestrator: while one is stuck, no child's pipe is read, so a fast writer
 * blocks in write(2) as on a pipe of its own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

enum { SPAWN = 1, DESTROY = 2, STARTED = 10, FAILED = 11, OUT = 12, ERR = 13, EXIT = 14, CLOSE = 15 };
enum { CHANNEL = 3, CHUNK = 65536 };

struct child {
  uint32_t id;
  pid_t pid;
  int fd[2]; /* stdout, stderr read ends; -1 once closed */
  int exited;
  char status[64]; /* the EXIT payload, sent again with CLOSE */
  struct child *next;
};

static struct child *children;
static char chunk[CHUNK + 9];

/* One writev per frame: every write wakes the orchestrator, so a frame is never split in two. */
static void send_frame(int kind, uint32_t id, const char *payload, size_t n) {
  char head[9];
  uint32_t size = (uint32_t)(5 + n);
  memcpy(head, &size, 4); /* little-endian: x86-64 and arm64 alike */
  head[4] = (char)kind;
  memcpy(head + 5, &id, 4);
  struct iovec iov[2] = { { head, 9 }, { (void *)payload, n } };
  int cnt = n > 0 ? 2 : 1;
  struct iovec *v = iov;
  while (cnt > 0) {
    ssize_t w = writev(CHANNEL, v, cnt);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return; /* the orchestrator is gone: the next read of the channel says so */
    while (cnt > 0 && (size_t)w >= v->iov_len) w -= (ssize_t)v->iov_len, v++, cnt--;
    if (cnt > 0) v->iov_base = (char *)v->iov_base + w, v->iov_len -= (size_t)w;
  }
}

static void orphaned(void) {
  for (struct child *c = children; c; c = c->next)
    if (!c->exited) kill(-c->pid, SIGKILL);
  _exit(0);
}

static void maybe_close(struct child **link) {
  struct child *c = *link;
  if (!c->exited || c->fd[0] >= 0 || c->fd[1] >= 0) return;
  send_frame(CLOSE, c->id, c->status, strlen(c->status));
  *link = c->next;
  free(c);
}

static void failed(uint32_t id, int err) {
  char msg[256];
  const char *name = strerrorname_np(err);
  int n = snprintf(msg, sizeof msg, "{\"code\":\"%s\",\"message\":\"spawn %s\"}", name ? name : "EIO", name ? name : "failed");
  send_frame(FAILED, id, msg, (size_t)n);
}

/* Payload: cwd, argc, argv..., NAME=value... as NUL-terminated strings. */
static void start(uint32_t id, char *p, size_t n) {
  if (n == 0 || p[n - 1] != '\0') { failed(id, EINVAL); return; }
  size_t count = 0;
  for (size_t i = 0; i < n; i++) count += p[i] == '\0';
  char **strs = malloc(count * sizeof *strs);
  count = 0;
  for (char *s = p; s < p + n; s += strlen(s) + 1) strs[count++] = s;
  if (count < 3) { free(strs); failed(id, EINVAL); return; }
  size_t argc = strtoul(strs[1], NULL, 10);
  if (argc < 1 || 2 + argc > count) { free(strs); failed(id, EINVAL); return; }
  /* One array: [slot for /bin/sh, argv..., NULL, env..., NULL]. */
  char **vec = malloc((count + 2) * sizeof *vec);
  char **argv = vec + 1, **envp = argv + argc + 1;
  memcpy(argv, strs + 2, argc * sizeof *vec);
  argv[argc] = NULL;
  memcpy(envp, strs + 2 + argc, (count - 2 - argc) * sizeof *vec);
  envp[count - 2 - argc] = NULL;
  const char *cwd = strs[0];
  free(strs);

  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) < 0) {
    int e = errno;
    free(vec);
    failed(id, e);
    return;
  }
  if (pipe2(err, O_CLOEXEC) < 0) {
    int e = errno;
    close(out[0]), close(out[1]);
    free(vec);
    failed(id, e);
    return;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  posix_spawn_file_actions_addchdir_np(&fa, cwd);
  posix_spawnattr_t at;
  posix_spawnattr_init(&at);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  /* As libuv does for Node's children: its own session and group, default signals, nothing blocked. */
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setsigdefault(&at, &all);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid;
  /* execvp's rules, as Node's spawn: a bare name is looked up on the child's PATH (relative entries from its cwd). */
  char found[4096];
  const char *file = argv[0];
  if (strchr(argv[0], '/') == NULL) {
    const char *path = "/usr/local/bin:/usr/bin:/bin";
    for (char **e = envp; *e; e++) if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
    file = NULL;
    for (const char *dir = path; dir && !file; dir = strchr(dir, ':') ? strchr(dir, ':') + 1 : NULL) {
      int len = (int)(strchr(dir, ':') ? (size_t)(strchr(dir, ':') - dir) : strlen(dir));
      if (len == 0) snprintf(found, sizeof found, "%s/%s", cwd, argv[0]);
      else if (dir[0] == '/') snprintf(found, sizeof found, "%.*s/%s", len, dir, argv[0]);
      else snprintf(found, sizeof found, "%s/%.*s/%s", cwd, len, dir, argv[0]);
      if (access(found, X_OK) == 0) file = found;
    }
  }
  int rc = file ? posix_spawn(&pid, file, &fa, &at, argv, envp) : ENOENT;
  if (rc == ENOEXEC) {
    /* execvp (what Node's spawn calls) runs a file without #! with /bin/sh; posix_spawn does not. */
    argv[-1] = "/bin/sh";
    argv[0] = (char *)file;
    rc = posix_spawn(&pid, "/bin/sh", &fa, &at, argv - 1, envp);
  }
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  free(vec);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(out[0]), close(err[0]);
    failed(id, rc);
    return;
  }
  struct child *c = calloc(1, sizeof *c);
  c->id = id, c->pid = pid, c->fd[0] = out[0], c->fd[1] = err[0], c->next = children;
  children = c;
  char msg[32];
  int m = snprintf(msg, sizeof msg, "{\"pid\":%d}", (int)pid);
  send_frame(STARTED, id, msg, (size_t)m);
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (struct child **link = &children; *link; link = &(*link)->next) {
      struct child *c = *link;
      if (c->pid != pid) continue;
      c->exited = 1;
      if (WIFSIGNALED(status)) snprintf(c->status, sizeof c->status, "{\"code\":null,\"signal\":\"SIG%s\"}", sigabbrev_np(WTERMSIG(status)));
      else snprintf(c->status, sizeof c->status, "{\"code\":%d,\"signal\":null}", WEXITSTATUS(status));
      send_frame(EXIT, c->id, c->status, strlen(c->status));
      maybe_close(link);
      break;
    }
  }
}

static char *in;
static size_t in_len, in_cap;

static void requests(void) {
  if (in_cap - in_len < CHUNK) in = realloc(in, in_cap = in_len + CHUNK * 2);
  ssize_t n = read(CHANNEL, in + in_len, in_cap - in_len);
  if (n < 0 && errno == EINTR) return;
  if (n <= 0) orphaned();
  in_len += (size_t)n;
  size_t at = 0;
  while (in_len - at >= 9) {
    uint32_t size, id;
    memcpy(&size, in + at, 4);
    if (in_len - at - 4 < size) break;
    memcpy(&id, in + at + 5, 4);
    int kind = (unsigned char)in[at + 4];
    if (kind == SPAWN) start(id, in + at + 9, size - 5);
    else if (kind == DESTROY) {
      for (struct child **link = &children; *link; link = &(*link)->next) {
        if ((*link)->id != id) continue;
        for (int k = 0; k < 2; k++) if ((*link)->fd[k] >= 0) close((*link)->fd[k]), (*link)->fd[k] = -1;
        maybe_close(link);
        break;
      }
    }
    at += 4 + size;
  }
  memmove(in, in + at, in_len - at);
  in_len -= at;
}

int main(void) {
  fcntl(CHANNEL, F_SETFD, FD_CLOEXEC);
  signal(SIGPIPE, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  for (;;) {
    size_t n = 2;
    for (struct child *c = children; c; c = c->next) n += 2;
    struct pollfd fds[n];
    struct child *owner[n];
    fds[0] = (struct pollfd){ .fd = CHANNEL, .events = POLLIN };
    fds[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
    size_t k = 2;
    for (struct child *c = children; c; c = c->next)
      for (int s = 0; s < 2; s++) owner[k] = c, fds[k++] = (struct pollfd){ .fd = c->fd[s], .events = POLLIN };
    if (poll(fds, k, -1) < 0) {
      if (errno == EINTR) continue;
      orphaned();
    }
    for (size_t i = 2; i < k; i++) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      struct child *c = owner[i];
      int s = c->fd[0] == fds[i].fd ? 0 : 1;
      ssize_t r = read(fds[i].fd, chunk, CHUNK);
      if (r > 0) {
        send_frame(s == 0 ? OUT : ERR, c->id, chunk, (size_t)r);
        continue;
      }
      if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      close(c->fd[s]);
      c->fd[s] = -1;
      for (struct child **link = &children; *link; link = &(*link)->next)
        if (*link == c) {
          maybe_close(link);
          break;
        }
      /* c may be freed: the rest of this round's fds are looked at again next round. */
      break;
    }
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo info;
      while (read(sfd, &info, sizeof info) > 0) {}
      reap();
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) requests();
  }
}

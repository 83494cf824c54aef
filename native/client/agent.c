/* See agent.h. POSIX only; Windows keeps the Node path. */
#include "agent.h"
#include "parse.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char *env_nonempty(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

/*
 * node's path.join normalises "a//b", "a/./b", "a/../b" and a trailing slash; such values are
 * rare enough that Node answers them rather than a second normaliser here.
 */
static int is_normal_path(const char *p) {
  const char *seg = p;
  if (!*p) return 0;
  if (strcmp(p, "/") == 0) return 1;
  for (;;) {
    const char *slash = strchr(seg, '/');
    size_t n = slash ? (size_t)(slash - seg) : strlen(seg);
    if (n == 0 && seg != p) return 0; /* "//" or a trailing slash */
    if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.')) return 0;
    if (!slash) return 1;
    seg = slash + 1;
  }
}

static int join(char *out, size_t cap, const char *base, const char *rest) {
  int n;
  if (!is_normal_path(base)) return -1;
  n = snprintf(out, cap, "%s%s%s", base, strcmp(base, "/") == 0 ? "" : "/", rest);
  return n > 0 && (size_t)n < cap ? 0 : -1;
}

#ifdef __linux__
/* shared/paths.ts loginRuntimeDir(): /run/user/<uid> when it is ours and private. */
static int login_runtime_dir(char *out, size_t cap) {
  struct stat st;
  int n = snprintf(out, cap, "/run/user/%lu", (unsigned long)getuid());
  if (n <= 0 || (size_t)n >= cap) return -1;
  if (lstat(out, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077) != 0) return -1;
  return 0;
}
#endif

int agent_socket_path(char *out, size_t cap) {
  const char *sock = env_nonempty("AUTHCTL_SOCK");
  const char *home;
  if (sock) {
    if (!is_normal_path(sock) || strlen(sock) >= cap) return -1;
    strcpy(out, sock);
    return 0;
  }
  home = env_nonempty("HOME");
  if (!home) home = env_nonempty("USERPROFILE");
  if (!home) home = "/";
#ifdef __APPLE__
  return join(out, cap, home, "Library/Application Support/authctl/run/agent.sock");
#else
  {
    const char *xdg = env_nonempty("XDG_RUNTIME_DIR");
    if (xdg) return join(out, cap, xdg, "authctl/agent.sock");
#ifdef __linux__
    {
      char runtime[64];
      if (login_runtime_dir(runtime, sizeof runtime) == 0) return join(out, cap, runtime, "authctl/agent.sock");
    }
#endif
    return join(out, cap, home, ".authctl/run/agent.sock");
  }
#endif
}

int user_config_path(char *out, size_t cap) {
  const char *dir = env_nonempty("AUTHCTL_CONFIG_DIR");
  const char *home = env_nonempty("HOME");
  if (!home) home = env_nonempty("USERPROFILE");
  if (!home) home = "/";
  if (dir) return join(out, cap, dir, "config.json");
#ifdef __APPLE__
  return join(out, cap, home, "Library/Preferences/authctl/config.json");
#else
  {
    const char *xdg = env_nonempty("XDG_CONFIG_HOME");
    if (xdg) return join(out, cap, xdg, "authctl/config.json");
    return join(out, cap, home, ".config/authctl/config.json");
  }
#endif
}

const char *system_config_path(void) {
#ifdef __APPLE__
  return "/Library/Application Support/authctl/config.json";
#else
  return "/etc/authctl/config.json";
#endif
}

int agent_check_socket_dir(const char *socket_path) {
  char dir[4096];
  const char *slash = strrchr(socket_path, '/');
  struct stat st;
  if (!slash) strcpy(dir, ".");
  else if (slash == socket_path) strcpy(dir, "/");
  else {
    size_t n = (size_t)(slash - socket_path);
    if (n >= sizeof dir) return -1;
    memcpy(dir, socket_path, n);
    dir[n] = '\0';
  }
  if (lstat(dir, &st) != 0) return 0; /* nothing there: the connect fails and Node autostarts */
  if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077) != 0) return -1;
  return 0;
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for fd to be ready for events before the deadline. */
static int wait_for(int fd, short events, long long deadline) {
  for (;;) {
    struct pollfd pfd;
    long long left = deadline - now_ms();
    int r;
    if (left <= 0) return -1;
    pfd.fd = fd;
    pfd.events = events;
    pfd.revents = 0;
    r = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
    if (r > 0) return 0;
    if (r < 0 && errno != EINTR) return -1;
  }
}

int agent_post(const char *socket_path, const char *path, const char *body, size_t body_len, int timeout_ms,
               char *resp, size_t cap, size_t *resp_len) {
  struct sockaddr_un addr;
  struct timeval tv;
  char head[512];
  long long deadline = now_ms() + timeout_ms;
  size_t sent = 0, got = 0, head_len;
  int fd, n, result = -1;

  if (strlen(socket_path) >= sizeof addr.sun_path) return -1;
  n = snprintf(head, sizeof head,
               "POST %s HTTP/1.1\r\nHost: authctl\r\nConnection: close\r\nContent-Type: application/json\r\n"
               "Content-Length: %lu\r\n\r\n",
               path, (unsigned long)body_len);
  if (n <= 0 || (size_t)n >= sizeof head) return -1;
  head_len = (size_t)n;

  fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  /* A full listen backlog would block connect(): bound it too. */
  tv.tv_sec = timeout_ms / 1000;
  tv.tv_usec = (timeout_ms % 1000) * 1000;
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  strcpy(addr.sun_path, socket_path);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) goto done;
  if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) goto done;

  /* write, not shutdown(SHUT_WR): node's HTTP server drops a half-closed request. */
  while (sent < head_len + body_len) {
    const char *p = sent < head_len ? head + sent : body + (sent - head_len);
    size_t left = sent < head_len ? head_len - sent : body_len - (sent - head_len);
    ssize_t w;
    if (wait_for(fd, POLLOUT, deadline) != 0) goto done;
    w = write(fd, p, left);
    if (w < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (w <= 0) goto done;
    sent += (size_t)w;
  }
  for (;;) {
    struct http_response parsed;
    ssize_t r;
    enum parse_result pr;
    if (wait_for(fd, POLLIN, deadline) != 0) goto done;
    r = read(fd, resp + got, cap - got);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (r < 0) goto done;
    got += (size_t)r;
    pr = http_parse(resp, got, &parsed);
    if (pr == PARSE_OK) break; /* Content-Length says it is all here: no need to wait for the close */
    if (pr == PARSE_BAD || r == 0 || got == cap) goto done;
  }
  *resp_len = got;
  result = 0;
done:
  close(fd);
  return result;
}

/*
 * authctl_native: the few system calls the agent needs that Node does not expose.
 * See "Security model" in DESIGN.md.
 *
 *   peerCredentials(fd) -> { uid, gid, pid }
 *       Credentials of the peer of a connected Unix domain socket, as the kernel
 *       recorded them at connect() time. Linux: getsockopt(SO_PEERCRED).
 *       macOS/BSD: getpeereid(), plus getsockopt(LOCAL_PEERPID) where defined.
 *       pid is -1 when the kernel does not tell (or, on Linux, when the peer is
 *       in a pid namespace we cannot see). Throws an Error on failure.
 *   hardenProcess() -> { nonDumpable, coreDisabled }
 *       Linux: prctl(PR_SET_DUMPABLE, 0) (no ptrace by same-uid processes, no
 *       core dump, /proc/<pid>/mem closed). Everywhere: RLIMIT_CORE = {0, 0}.
 *   isDumpable() -> boolean | null
 *       Linux: prctl(PR_GET_DUMPABLE) != 0; null elsewhere. For tests and doctor.
 *
 * On Windows every export throws an Error with code "ENOTSUP".
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* struct ucred */
#endif

#include <node_api.h>

#ifndef _WIN32
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif
#endif

/* Run an N-API call; on failure make sure an exception is pending and return NULL. */
#define CHECK(env, call)                                                     \
  do {                                                                       \
    if ((call) != napi_ok) {                                                 \
      bool pending_ = false;                                                 \
      napi_is_exception_pending((env), &pending_);                           \
      if (!pending_) napi_throw_error((env), NULL, "authctl_native: " #call " failed"); \
      return NULL;                                                           \
    }                                                                        \
  } while (0)

#ifdef _WIN32

static napi_value Unsupported(napi_env env, napi_callback_info info) {
  (void)info;
  napi_throw_error(env, "ENOTSUP", "authctl_native: unsupported on Windows");
  return NULL;
}
#define PeerCredentials Unsupported
#define HardenProcess Unsupported
#define IsDumpable Unsupported

#else /* POSIX */

/* Throw Error("<syscall>: <strerror> (errno N)") with .syscall and .errno (positive C errno). */
static napi_value ThrowErrno(napi_env env, const char *syscall, int err) {
  char text[256];
  napi_value message, error, value;
  snprintf(text, sizeof text, "%s: %s (errno %d)", syscall, strerror(err), err);
  if (napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message) != napi_ok ||
      napi_create_error(env, NULL, message, &error) != napi_ok) {
    napi_throw_error(env, NULL, text);
    return NULL;
  }
  if (napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &value) == napi_ok)
    napi_set_named_property(env, error, "syscall", value);
  if (napi_create_int32(env, err, &value) == napi_ok)
    napi_set_named_property(env, error, "errno", value);
  napi_throw(env, error);
  return NULL;
}

static napi_value SetInt(napi_env env, napi_value obj, const char *name, double v) {
  napi_value value;
  CHECK(env, napi_create_double(env, v, &value));
  CHECK(env, napi_set_named_property(env, obj, name, value));
  return obj;
}

static napi_value SetBool(napi_env env, napi_value obj, const char *name, bool v) {
  napi_value value;
  CHECK(env, napi_get_boolean(env, v, &value));
  CHECK(env, napi_set_named_property(env, obj, name, value));
  return obj;
}

static napi_value PeerCredentials(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  napi_valuetype type = napi_undefined;
  double number = -1;
  int fd;
  struct sockaddr_storage addr;
  socklen_t addrlen = sizeof addr;
  double uid, gid, pid = -1;

  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc >= 1) CHECK(env, napi_typeof(env, argv[0], &type));
  if (type == napi_number) CHECK(env, napi_get_value_double(env, argv[0], &number));
  if (type != napi_number || !(number >= 0 && number <= 2147483647.0) || number != (double)(int)number) {
    napi_throw_type_error(env, NULL, "peerCredentials: fd must be a non-negative integer");
    return NULL;
  }
  fd = (int)number;

  /* Refuse anything but a Unix domain socket: on Linux SO_PEERCRED "succeeds" on
   * TCP sockets too, with made-up values. */
  memset(&addr, 0, sizeof addr);
  if (getsockname(fd, (struct sockaddr *)&addr, &addrlen) != 0)
    return ThrowErrno(env, "getsockname", errno);
  if (addr.ss_family != AF_UNIX) {
    napi_throw_error(env, NULL, "peerCredentials: not a Unix domain socket");
    return NULL;
  }

#if defined(__linux__)
  {
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
      return ThrowErrno(env, "getsockopt(SO_PEERCRED)", errno);
    /* An unconnected socket has no peer credentials: the kernel reports uid/gid -1. */
    if (cred.uid == (uid_t)-1) return ThrowErrno(env, "getsockopt(SO_PEERCRED)", ENOTCONN);
    uid = cred.uid;
    gid = cred.gid;
    if (cred.pid > 0) pid = cred.pid; /* 0: peer outside our pid namespace */
  }
#else
  {
    uid_t peer_uid;
    gid_t peer_gid;
    if (getpeereid(fd, &peer_uid, &peer_gid) != 0) return ThrowErrno(env, "getpeereid", errno);
    uid = peer_uid;
    gid = peer_gid;
#if defined(LOCAL_PEERPID) && defined(SOL_LOCAL)
    {
      pid_t peer_pid = -1;
      socklen_t len = sizeof peer_pid;
      if (getsockopt(fd, SOL_LOCAL, LOCAL_PEERPID, &peer_pid, &len) == 0 && peer_pid > 0)
        pid = peer_pid;
    }
#endif
  }
#endif

  CHECK(env, napi_create_object(env, &result));
  if (!SetInt(env, result, "uid", uid) || !SetInt(env, result, "gid", gid) ||
      !SetInt(env, result, "pid", pid))
    return NULL;
  return result;
}

static napi_value HardenProcess(napi_env env, napi_callback_info info) {
  napi_value result;
  bool non_dumpable = false;
  struct rlimit no_core = {0, 0};
  bool core_disabled = setrlimit(RLIMIT_CORE, &no_core) == 0;
  (void)info;
#if defined(__linux__)
  non_dumpable = prctl(PR_SET_DUMPABLE, 0UL, 0UL, 0UL, 0UL) == 0;
#endif
  CHECK(env, napi_create_object(env, &result));
  if (!SetBool(env, result, "nonDumpable", non_dumpable) ||
      !SetBool(env, result, "coreDisabled", core_disabled))
    return NULL;
  return result;
}

static napi_value IsDumpable(napi_env env, napi_callback_info info) {
  napi_value result;
  (void)info;
#if defined(__linux__)
  {
    int dumpable = prctl(PR_GET_DUMPABLE, 0UL, 0UL, 0UL, 0UL);
    if (dumpable < 0) return ThrowErrno(env, "prctl(PR_GET_DUMPABLE)", errno);
    CHECK(env, napi_get_boolean(env, dumpable != 0, &result));
  }
#else
  CHECK(env, napi_get_null(env, &result));
#endif
  return result;
}

#endif /* POSIX */

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"peerCredentials", NULL, PeerCredentials, NULL, NULL, NULL, napi_enumerable, NULL},
      {"hardenProcess", NULL, HardenProcess, NULL, NULL, NULL, napi_enumerable, NULL},
      {"isDumpable", NULL, IsDumpable, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)

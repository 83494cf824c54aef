/*
 * authctl's native hot-path client. Installed as `authctl`, `git-credential-authctl` and
 * `docker-credential-authctl` (dispatch on argv[0]), it answers `authctl token` with a cached
 * token from the agent, byte for byte as the Node CLI does (client/commands/token/token.ts),
 * without starting Node. Everything else -- another command, an unknown or unusual flag, an
 * agent that does not answer, any error the agent sends (login required, an OTP challenge,
 * federation input), an answer it cannot vouch for -- is handed to the Node CLI by exec with
 * the same arguments and environment, so only the speed differs. It also answers the kubectl
 * exec plugin (`authctl kube`, client/commands/kube/) when no config file can name `clusters`,
 * and docker's `get` and git's helper without --profile with the profile the agent resolves
 * (POST /v1/token with `registry` or `gitRequest`: the agent holds the validated config).
 *
 * AUTHCTL_NATIVE_TRACE=1 says on stderr which of the two answered (tests, `authctl doctor`);
 * AUTHCTL_NATIVE_NODE names the program to exec instead of `node` (the fuzz test).
 */
#include "agent.h"
#include "parse.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef AUTHCTL_ROOT
#error "AUTHCTL_ROOT (the package directory) must be defined by scripts/build-native.mjs"
#endif
#ifndef AUTHCTL_NODE_PATH
#define AUTHCTL_NODE_PATH "node"
#endif

#define MAX_ARG 1024
#define MAX_SCOPES 64
#define DEFAULT_TIMEOUT_MS 120000

static char **original_argv;
static const char *node_entry = "authctl.js";
/* What this process already read from stdin (git's helper input), for the Node CLI to read again. */
static char stdin_seen[65536];
static size_t stdin_seen_len;
static int stdin_consumed;

/*
 * Puts the consumed stdin back in front of the Node CLI: fd 0 becomes a pipe fed by a small
 * child with the bytes read so far, then whatever the original stdin still holds.
 */
static void replay_stdin(void) {
  int fds[2];
  pid_t pid;
  if (!stdin_consumed) return;
  if (pipe(fds) != 0) exit(1);
  pid = fork();
  if (pid < 0) exit(1);
  if (pid == 0) {
    char buf[4096];
    ssize_t r;
    size_t off = 0;
    int fd, tty = isatty(0);
    /* Hold nothing the caller waits on (git reads the helper's stdout to its end). */
    for (fd = 1; fd < 1024; fd++)
      if (fd != fds[1]) close(fd);
    while (off < stdin_seen_len) {
      ssize_t w = write(fds[1], stdin_seen + off, stdin_seen_len - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) _exit(0);
      off += (size_t)w;
    }
    /* The rest of a pipe or file; never a terminal's keystrokes, which a login prompt may want. */
    while (!tty && (r = read(0, buf, sizeof buf)) != 0) {
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) break;
      for (off = 0; off < (size_t)r;) {
        ssize_t w = write(fds[1], buf + off, (size_t)r - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) _exit(0);
        off += (size_t)w;
      }
    }
    _exit(0);
  }
  close(fds[1]);
  if (dup2(fds[0], 0) < 0) exit(1);
  close(fds[0]);
}

static int tracing(void) {
  const char *t = getenv("AUTHCTL_NATIVE_TRACE");
  return t && strcmp(t, "1") == 0;
}

static void write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= (size_t)w;
  }
}

/* Hands this invocation to the Node CLI: same argv (after the script) and environment. */
static void handoff(const char *why) {
  char script[4096];
  const char *node = getenv("AUTHCTL_NATIVE_NODE");
  char **argv;
  int argc = 0, i;
  if (tracing()) {
    write_all(2, "authctl-native: node (", 22);
    write_all(2, why, strlen(why));
    write_all(2, ")\n", 2);
  }
  snprintf(script, sizeof script, "%s/bin/%s", AUTHCTL_ROOT, node_entry);
  while (original_argv[argc]) argc++;
  argv = calloc((size_t)argc + 2, sizeof *argv);
  if (!argv) exit(1);
  argv[0] = "node";
  argv[1] = script;
  for (i = 1; i < argc; i++) argv[i + 1] = original_argv[i];
  signal(SIGPIPE, SIG_DFL);
  replay_stdin();
  if (node && *node) {
    execv(node, argv);
  } else {
    execvp("node", argv); /* as the launcher's `#!/usr/bin/env node` would */
    execv(AUTHCTL_NODE_PATH, argv);
  }
  fprintf(stderr, "authctl: cannot start Node.js for %s (%s): put node on PATH\n", script, strerror(errno));
  exit(1);
}

/* Text we pass through as is: printable ASCII. Anything else is Node's to decode. */
static int plain_ascii(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e) return 0;
  return 1;
}

static const char *env_nonempty(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

struct buf {
  char p[MAX_RESPONSE + 64];
  size_t len;
};

static void put(struct buf *b, const char *s, size_t n) {
  if (b->len + n > sizeof b->p) handoff("output too long");
  memcpy(b->p + b->len, s, n);
  b->len += n;
}

static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

/* A JSON string of printable ASCII (plain_ascii checked it). */
static void put_json_string(struct buf *b, const char *s) {
  puts_(b, "\"");
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') puts_(b, "\\");
    put(b, s, 1);
  }
  puts_(b, "\"");
}

/* Printable ASCII throughout (a span is not NUL-terminated). */
static int plain_span(struct span v) {
  size_t i;
  for (i = 0; i < v.len; i++)
    if ((unsigned char)v.p[i] < 0x20 || (unsigned char)v.p[i] > 0x7e) return 0;
  return 1;
}

/* A JSON string of a printable ASCII span (plain_span checked it). */
static void put_json_span(struct buf *b, struct span v) {
  size_t i;
  puts_(b, "\"");
  for (i = 0; i < v.len; i++) {
    if (v.p[i] == '"' || v.p[i] == '\\') puts_(b, "\\");
    put(b, v.p + i, 1);
  }
  puts_(b, "\"");
}

/* shared/terminal-text.ts terminalSafe(): C0 (but tab), DEL and C1 in caret notation. */
static void put_terminal_safe(struct buf *b, const char *s, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char caret[4];
    if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] <= 0x9f) {
      caret[0] = '^', caret[1] = '[', caret[2] = (char)((unsigned char)s[i + 1] - 0x40);
      put(b, caret, 3);
      i++;
    } else if (c == 0x7f) {
      put(b, "^?", 2);
    } else if (c < 0x20 && c != '\t') {
      caret[0] = '^', caret[1] = (char)(c + 0x40);
      put(b, caret, 2);
    } else {
      put(b, s + i, 1);
    }
  }
}

/* token.ts shellWord(): bare when /^[A-Za-z0-9._~+/=-]+$/, else single-quoted for sh. */
static void put_shell_word(struct buf *b, const char *s, size_t n) {
  size_t i;
  int bare = n > 0;
  for (i = 0; i < n && bare; i++)
    if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~+/=-", s[i]) || s[i] == '\0') bare = 0;
  if (bare) {
    put(b, s, n);
    return;
  }
  puts_(b, "'");
  for (i = 0; i < n; i++) {
    if (s[i] == '\'') puts_(b, "'\\''");
    else put(b, s + i, 1);
  }
  puts_(b, "'");
}

enum format { PLAIN, JSON, HEADER, ENV };

struct token_options {
  const char *profile, *audience, *resource, *min_valid;
  const char *scopes[MAX_SCOPES];
  int nscopes;
  enum format format;
};

/*
 * token.ts parseTokenArgs() for the forms people and tools write; anything else (short flag
 * groups, values that look like flags, --privileged and its OTP prompt, `--`) goes to Node,
 * whose parseArgs decides and words any error.
 */
static void parse_token_args(int argc, char **argv, struct token_options *o) {
  int i, formats = 0;
  memset(o, 0, sizeof *o);
  for (i = 0; i < argc; i++) {
    const char *a = argv[i], *eq = strchr(a, '='), *value = NULL;
    char name[32];
    size_t name_len = eq && a[0] == '-' && a[1] == '-' ? (size_t)(eq - a) : strlen(a);
    if (name_len >= sizeof name) handoff("argument");
    memcpy(name, a, name_len);
    name[name_len] = '\0';
    if (strcmp(name, "--json") == 0 || strcmp(name, "--header") == 0 || strcmp(name, "--env") == 0) {
      enum format f = name[2] == 'j' ? JSON : name[2] == 'h' ? HEADER : ENV;
      if (eq) handoff("argument");
      if (!(formats & (1 << f))) formats |= 1 << f, o->format = f;
      continue;
    }
    if (strcmp(name, "-p") && strcmp(name, "--profile") && strcmp(name, "-s") && strcmp(name, "--scope") &&
        strcmp(name, "--audience") && strcmp(name, "--resource") && strcmp(name, "--min-valid"))
      handoff("argument");
    if (name_len < strlen(a)) {
      value = eq + 1;
    } else {
      if (i + 1 >= argc || argv[i + 1][0] == '-') handoff("argument");
      value = argv[++i];
    }
    if (!*value || strlen(value) > MAX_ARG || !plain_ascii(value)) handoff("argument value");
    if (name[1] == 'p' || name[2] == 'p') o->profile = value;
    else if (name[1] == 's' || name[2] == 's') {
      if (o->nscopes == MAX_SCOPES) handoff("argument");
      o->scopes[o->nscopes++] = value;
    } else if (name[2] == 'a') o->audience = value;
    else if (name[2] == 'r') o->resource = value;
    else o->min_valid = value;
  }
  if (formats & (formats - 1)) handoff("usage"); /* two formats: Node words the error */
  if (o->min_valid) {
    const char *d = o->min_valid;
    long v = 0;
    if (strlen(d) > 9) handoff("usage");
    for (; *d; d++) {
      if (*d < '0' || *d > '9') handoff("usage");
      v = v * 10 + (*d - '0');
    }
    if (v > 86400) handoff("usage");
  }
  if (!o->profile) {
    o->profile = env_nonempty("AUTHCTL_PROFILE");
    if (o->profile && (strlen(o->profile) > MAX_ARG || !plain_ascii(o->profile))) handoff("AUTHCTL_PROFILE");
  }
}

/* The TokenRequest as JSON: {profile, audience, resource, scopes, minValidSeconds}, absent ones left out. */
static void token_request(const struct token_options *o, struct buf *b) {
  int i, first = 1, nscope = 0;
  const char *fields[3][2] = {{"profile", NULL}, {"audience", NULL}, {"resource", NULL}};
  fields[0][1] = o->profile, fields[1][1] = o->audience, fields[2][1] = o->resource;
  puts_(b, "{");
  for (i = 0; i < 3; i++) {
    if (!fields[i][1]) continue;
    if (!first) puts_(b, ",");
    first = 0;
    put_json_string(b, fields[i][0]);
    puts_(b, ":");
    put_json_string(b, fields[i][1]);
  }
  /* --scope "a b,c": each value split on whitespace and commas. */
  for (i = 0; i < o->nscopes; i++) {
    const char *s = o->scopes[i];
    while (*s) {
      size_t n = strcspn(s, " ,");
      if (n > 0) {
        puts_(b, nscope ? "," : first ? "\"scopes\":[" : ",\"scopes\":[");
        puts_(b, "\"");
        for (size_t k = 0; k < n; k++) {
          if (s[k] == '"' || s[k] == '\\') puts_(b, "\\");
          put(b, s + k, 1);
        }
        puts_(b, "\"");
        nscope++;
      }
      s += n;
      s += strspn(s, " ,");
    }
  }
  if (nscope) puts_(b, "]"), first = 0;
  if (o->min_valid) {
    char num[24];
    snprintf(num, sizeof num, "%ld", strtol(o->min_valid, NULL, 10));
    puts_(b, first ? "\"minValidSeconds\":" : ",\"minValidSeconds\":");
    puts_(b, num);
  }
  puts_(b, "}");
}

static int timeout_ms(void) {
  const char *t = getenv("AUTHCTL_NATIVE_TIMEOUT_MS");
  long v = t ? strtol(t, NULL, 10) : 0;
  return v > 0 && v <= 3600000 ? (int)v : DEFAULT_TIMEOUT_MS;
}

static void finish(struct buf *out, struct buf *err) {
  if (err->len) write_all(2, err->p, err->len);
  write_all(1, out->p, out->len);
  if (tracing()) write_all(2, "authctl-native: answered\n", 25);
  exit(0);
}

static struct buf request, response, out, err, scratch;

static void ask_agent(struct token_response *tok, struct http_response *http);

/* `authctl token`: token.ts run() and formatToken(). */
static void token_command(int argc, char **argv) {
  struct token_options o;
  struct http_response http;
  struct token_response tok;
  const char *preissued = env_nonempty("AUTHCTL_TOKEN");

  parse_token_args(argc, argv, &o);
  if (preissued) {
    /* A pre-issued token (CI): printed as the agent's answer would be, no agent asked. */
    if (strlen(preissued) > MAX_BODY || !plain_ascii(preissued)) handoff("AUTHCTL_TOKEN");
    switch (o.format) {
      case JSON:
        puts_(&out, "{\"accessToken\":");
        put_json_string(&out, preissued);
        puts_(&out, ",\"tokenType\":\"Bearer\",\"expiresAt\":0,\"scopes\":[],\"profile\":\"\"}\n");
        break;
      case HEADER:
        puts_(&out, "Authorization: Bearer ");
        puts_(&out, preissued);
        puts_(&out, "\n");
        break;
      case ENV:
        puts_(&out, "AUTHCTL_ACCESS_TOKEN=");
        put_shell_word(&out, preissued, strlen(preissued));
        puts_(&out, "\n");
        break;
      default:
        puts_(&out, preissued);
        puts_(&out, "\n");
    }
    finish(&out, &err);
  }

  token_request(&o, &request);
  ask_agent(&tok, &http);
  scratch.len = json_unescape(tok.access_token, scratch.p, sizeof scratch.p);
  switch (o.format) {
    case JSON:
      put(&out, http.body, http.body_len);
      break;
    case HEADER:
      puts_(&out, "Authorization: ");
      puts_(&out, tok.token_type.p && tok.token_type.len == 4 && memcmp(tok.token_type.p, "DPoP", 4) == 0 ? "DPoP " : "Bearer ");
      put(&out, scratch.p, scratch.len);
      break;
    case ENV:
      puts_(&out, "AUTHCTL_ACCESS_TOKEN=");
      put_shell_word(&out, scratch.p, scratch.len);
      break;
    default:
      put(&out, scratch.p, scratch.len);
  }
  puts_(&out, "\n");
  finish(&out, &err);
}

/* The part of an agent exchange both commands share: POST /v1/token, a 200 and a canonical token answer. */
static void ask_agent(struct token_response *tok, struct http_response *http) {
  char sock[4096];
  if (agent_socket_path(sock, sizeof sock) != 0) handoff("socket path");
  if (agent_check_socket_dir(sock) != 0) handoff("socket directory");
  if (agent_post(sock, "/v1/token", request.p, request.len, timeout_ms(), response.p, MAX_RESPONSE, &response.len) != 0)
    handoff("no answer");
  if (http_parse(response.p, response.len, http) != PARSE_OK) handoff("answer");
  if (http->status != 200) handoff("agent error"); /* login, OTP, federation input, any error */
  if (token_parse(http->body, http->body_len, tok) != PARSE_OK) handoff("answer");
  if (tok->warning.p) {
    scratch.len = json_unescape(tok->warning, scratch.p, sizeof scratch.p);
    puts_(&err, "authctl: warning: ");
    put_terminal_safe(&err, scratch.p, scratch.len);
    puts_(&err, "\n");
  }
}

/*
 * Could a config file set one of these keys? kube.ts checkCluster() does nothing unless a
 * profile lists `clusters`, and git's answer changes only with gitUsername or gitAuthType:
 * when no file holds the word, no profile sets it. Any doubt (unreadable, too large, an
 * escape that could spell it) is Node's.
 */
static int config_may_name(const char *const *words) {
  char user[4096];
  const char *files[3];
  const char *extra = env_nonempty("AUTHCTL_SYSTEM_CONFIG");
  int nfiles = 0, i, k;
  if (user_config_path(user, sizeof user) != 0) return 1;
  files[nfiles++] = system_config_path();
  if (extra && strcmp(extra, system_config_path()) != 0) files[nfiles++] = extra;
  files[nfiles++] = user;
  for (i = 0; i < nfiles; i++) {
    ssize_t r;
    size_t got = 0;
    int fd = open(files[i], O_RDONLY);
    if (fd < 0) {
      if (errno == ENOENT || errno == ENOTDIR) continue;
      return 1;
    }
    while ((r = read(fd, scratch.p + got, sizeof scratch.p - got)) > 0) got += (size_t)r;
    close(fd);
    if (r < 0 || got == sizeof scratch.p) return 1;
    scratch.p[got] = '\0';
    if (memchr(scratch.p, '\0', got) || strstr(scratch.p, "\\u")) return 1;
    for (k = 0; words[k]; k++)
      if (strstr(scratch.p, words[k])) return 1;
  }
  return 0;
}

static const char *const KUBE_V1 = "client.authentication.k8s.io/v1";
static const char *const KUBE_V1BETA1 = "client.authentication.k8s.io/v1beta1";

/* `authctl kube`: kube.ts run(), exec-info.ts parseExecInfo() and execCredential(). */
static void kube_command(int argc, char **argv) {
  static const char *const api_path[] = {"apiVersion"}, *const audience_path[] = {"spec", "cluster", "config", "audience"};
  static const char *const cluster_words[] = {"\"clusters\"", NULL};
  struct json_query q[2];
  struct token_response tok;
  struct http_response http;
  const char *profile = NULL, *api = KUBE_V1BETA1, *info = env_nonempty("KUBERNETES_EXEC_INFO");
  const char *preissued = env_nonempty("AUTHCTL_TOKEN");
  struct span audience = {NULL, 0}, token;
  char stamp[32] = "";
  int i;

  for (i = 0; i < argc; i++) {
    if (strncmp(argv[i], "--profile=", 10) == 0) profile = argv[i] + 10;
    else if ((strcmp(argv[i], "--profile") == 0 || strcmp(argv[i], "-p") == 0) && i + 1 < argc && argv[i + 1][0] != '-') profile = argv[++i];
    else handoff("argument");
    if (!*profile || strlen(profile) > MAX_ARG || !plain_ascii(profile)) handoff("argument value");
  }
  if (!profile) {
    profile = env_nonempty("AUTHCTL_PROFILE");
    if (profile && (strlen(profile) > MAX_ARG || !plain_ascii(profile))) handoff("AUTHCTL_PROFILE");
  }
  if (info) {
    q[0].path = api_path, q[0].depth = 1;
    q[1].path = audience_path, q[1].depth = 4;
    if (strlen(info) > MAX_BODY || json_query(info, strlen(info), 1, q, 2) != PARSE_OK) handoff("KUBERNETES_EXEC_INFO");
    if (q[0].kind != 's') handoff("KUBERNETES_EXEC_INFO");
    if (q[0].value.len == strlen(KUBE_V1) && memcmp(q[0].value.p, KUBE_V1, q[0].value.len) == 0) api = KUBE_V1;
    else if (q[0].value.len != strlen(KUBE_V1BETA1) || memcmp(q[0].value.p, KUBE_V1BETA1, q[0].value.len) != 0) handoff("apiVersion");
    if (q[1].kind == 's' && q[1].value.len > 0) audience = q[1].value;
  }
  if (config_may_name(cluster_words)) handoff("kube clusters");

  puts_(&out, "{\"apiVersion\":\"");
  puts_(&out, api);
  puts_(&out, "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":");
  if (preissued) {
    /* A pre-issued token: no expiry, so kubectl keeps it for the life of the process. */
    if (strlen(preissued) > MAX_BODY || !plain_ascii(preissued)) handoff("AUTHCTL_TOKEN");
    put_json_string(&out, preissued);
    puts_(&out, "}}\n");
    finish(&out, &err);
  }

  puts_(&request, "{");
  if (profile) {
    puts_(&request, "\"profile\":");
    put_json_string(&request, profile);
  }
  if (audience.p) {
    puts_(&request, profile ? ",\"audience\":\"" : "\"audience\":\"");
    put(&request, audience.p, audience.len); /* valid JSON string contents, as kubectl sent them */
    puts_(&request, "\"");
  }
  puts_(&request, "}");
  ask_agent(&tok, &http);
  if (tok.expires_at.p && tok.expires_at.p[0] != '-' && !(tok.expires_at.len == 1 && tok.expires_at.p[0] == '0')) {
    long long at = 0;
    time_t t;
    struct tm tm;
    size_t k;
    for (k = 0; k < tok.expires_at.len; k++) at = at * 10 + (tok.expires_at.p[k] - '0');
    if (at >= 253402300800LL) handoff("expiresAt"); /* past year 9999: toISOString's own format */
    t = (time_t)at;
    if (!gmtime_r(&t, &tm) || strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) handoff("expiresAt");
  }
  token = tok.access_token; /* canonical: JSON.stringify would write these very bytes */
  puts_(&out, "\"");
  put(&out, token.p, token.len);
  puts_(&out, "\"");
  if (*stamp) {
    puts_(&out, ",\"expirationTimestamp\":\"");
    puts_(&out, stamp);
    puts_(&out, "\"");
  }
  puts_(&out, "}}\n");
  finish(&out, &err);
}

/* Has git's request ended: an empty line (or a lone CR before its newline)? */
static int has_blank_line(void) {
  size_t start = 0, i;
  for (i = 0; i < stdin_seen_len; i++) {
    if (stdin_seen[i] != '\n') continue;
    if (i == start || (i == start + 1 && stdin_seen[start] == '\r')) return 1;
    start = i + 1;
  }
  return 0;
}

/* Reads git's request (gitcredentials(7)) up to its blank line or the end, bounded. */
static void read_git_request(void) {
  stdin_consumed = 1;
  while (!has_blank_line()) {
    ssize_t r;
    if (stdin_seen_len == sizeof stdin_seen) handoff("git input too long");
    r = read(0, stdin_seen + stdin_seen_len, sizeof stdin_seen - stdin_seen_len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) handoff("stdin");
    if (r == 0) return;
    stdin_seen_len += (size_t)r;
  }
}

/*
 * `authctl git-credential --profile P get` (what `authctl setup-git` configures):
 * git-credential.ts get() with the profile given. The config can change the answer only
 * through the profile's gitUsername and gitAuthType; when no config file holds either word
 * the answer is the Basic one. Without --profile the config's match rules decide, which the
 * agent applies (POST /v1/token with `gitRequest`, shared/git-match.ts) and answers with the
 * profile's gitUsername and gitAuthType; no rule fitting, or Bearer, is Node's.
 */
static void git_credential_command(int argc, char **argv) {
  const char *profile = NULL, *operation = NULL;
  struct span username = {NULL, 0}, protocol = {NULL, 0}, host = {NULL, 0}, path = {NULL, 0}; /* into stdin_seen, kept for a replay */
  struct span git_username = {NULL, 0};
  const char *preissued = env_nonempty("AUTHCTL_TOKEN");
  static const char *const git_words[] = {"\"gitUsername\"", "\"gitAuthType\"", NULL};
  struct token_response tok;
  struct http_response http;
  char *line, *end;
  int i;

  for (i = 0; i < argc; i++) {
    if (strncmp(argv[i], "--profile=", 10) == 0) profile = argv[i] + 10;
    else if (strcmp(argv[i], "--profile") == 0 || strcmp(argv[i], "-p") == 0) {
      if (i + 1 >= argc || argv[i + 1][0] == '-') handoff("argument");
      profile = argv[++i];
    } else if (argv[i][0] == '-') handoff("argument");
    else operation = argv[i]; /* the last positional is the operation, as git-credential.ts reads it */
  }
  if (!operation || strcmp(operation, "get") != 0) handoff("git operation");
  if (profile && (!*profile || strlen(profile) > MAX_ARG || !plain_ascii(profile))) handoff("argument value");
  if (profile && config_may_name(git_words)) handoff("git settings in the config");

  read_git_request();
  /* protocol.ts readCredential(): key=value lines; CR or NUL inside refused; url= is Node's (WHATWG URL). */
  for (line = stdin_seen, end = stdin_seen + stdin_seen_len; line < end;) {
    char *nl = memchr(line, '\n', (size_t)(end - line)), *eq, *p;
    char *stop = nl ? nl : end;
    if (stop > line && stop[-1] == '\r') stop--;
    if (stop == line) break; /* the blank line */
    for (p = line; p < stop; p++)
      if (*p == '\r' || *p == '\0' || (unsigned char)*p >= 0x80) handoff("git input");
    eq = memchr(line, '=', (size_t)(stop - line));
    if (eq && eq > line) {
      size_t klen = (size_t)(eq - line);
      struct span value;
      value.p = eq + 1;
      value.len = (size_t)(stop - value.p);
      if (klen == 3 && memcmp(line, "url", 3) == 0) handoff("git url attribute");
      if (klen == 8 && memcmp(line, "protocol", 8) == 0) protocol = value;
      if (klen == 8 && memcmp(line, "username", 8) == 0) username = value;
      if (klen == 4 && memcmp(line, "host", 4) == 0) host = value;
      if (klen == 4 && memcmp(line, "path", 4) == 0) path = value;
    }
    if (!nl) break;
    line = nl + 1;
  }
  /* Only https here; plain http (allowed for loopback, refused with a message otherwise) is Node's. */
  if (protocol.len != 5 || memcmp(protocol.p, "https", 5) != 0) handoff("git protocol");
  if (!profile && (preissued || !host.len || !plain_span(host) || (path.p && !plain_span(path)))) handoff("git remote");

  if (preissued) {
    if (strlen(preissued) > MAX_BODY || !plain_ascii(preissued)) handoff("AUTHCTL_TOKEN");
    puts_(&out, "username=");
    if (username.p) put(&out, username.p, username.len);
    else puts_(&out, "oauth2");
    puts_(&out, "\npassword=");
    puts_(&out, preissued);
    puts_(&out, "\n");
    finish(&out, &err);
  }
  if (profile) {
    puts_(&request, "{\"profile\":");
    put_json_string(&request, profile);
    puts_(&request, "}");
  } else {
    puts_(&request, "{\"gitRequest\":{\"protocol\":\"https\",\"host\":");
    put_json_span(&request, host);
    if (path.p) {
      puts_(&request, ",\"path\":");
      put_json_span(&request, path);
    }
    puts_(&request, "}}");
  }
  ask_agent(&tok, &http);
  if (!profile) {
    static const char *const user_path[] = {"gitUsername"}, *const type_path[] = {"gitAuthType"};
    struct json_query q[2];
    q[0].path = user_path, q[1].path = type_path;
    q[0].depth = q[1].depth = 1;
    if (json_query(http.body, http.body_len, 0, q, 2) != PARSE_OK) handoff("answer");
    /* Bearer (git 2.46's authtype) is worded by Node; so is a username JSON had to escape. */
    if (q[1].kind != 's' || q[1].value.len != 5 || memcmp(q[1].value.p, "basic", 5) != 0) handoff("git auth type");
    if (q[0].kind && (q[0].kind != 's' || !plain_span(q[0].value) || memchr(q[0].value.p, '\\', q[0].value.len) || memchr(q[0].value.p, '"', q[0].value.len)))
      handoff("git username");
    if (q[0].kind) git_username = q[0].value; /* the profile's gitUsername wins over git's */
  }
  if (git_username.p) username = git_username;
  scratch.len = json_unescape(tok.access_token, scratch.p, sizeof scratch.p);
  if (memchr(scratch.p, '\n', scratch.len) || memchr(scratch.p, '\0', scratch.len)) handoff("token git cannot read");
  puts_(&out, "username=");
  if (username.p) put(&out, username.p, username.len);
  else puts_(&out, "oauth2");
  puts_(&out, "\npassword=");
  put(&out, scratch.p, scratch.len);
  puts_(&out, "\n");
  if (tok.expires_at.p && tok.expires_at.p[0] != '-' && !(tok.expires_at.len == 1 && tok.expires_at.p[0] == '0')) {
    puts_(&out, "password_expiry_utc=");
    put(&out, tok.expires_at.p, tok.expires_at.len);
    puts_(&out, "\n");
  }
  finish(&out, &err);
}

/* JavaScript's String.prototype.trim() for ASCII: tab, LF, VT, FF, CR and space. */
static int js_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/*
 * `authctl docker-credential get` (and `docker-credential-authctl get`): docker-credential.ts
 * get(). The server URL comes on stdin; the agent picks the profile from the config it holds
 * (POST /v1/token with `registry`, shared/registry.ts) and names the username. No profile, an
 * insecure transport, AUTHCTL_TOKEN, any other error or any unusual byte: Node's, which then
 * words it exactly as it does without this client.
 */
static void docker_credential_command(int argc, char **argv) {
  static const char *const username_path[] = {"registryUsername"};
  struct json_query q;
  struct token_response tok;
  struct http_response http;
  const char *url;
  size_t start = 0, end;

  if (argc != 1 || strcmp(argv[0], "get") != 0) handoff("docker operation");
  if (env_nonempty("AUTHCTL_TOKEN")) handoff("AUTHCTL_TOKEN");
  /* readAll(): the whole of stdin, bounded, kept for a replay. */
  stdin_consumed = 1;
  for (;;) {
    ssize_t r;
    if (stdin_seen_len == sizeof stdin_seen) handoff("docker input too long");
    r = read(0, stdin_seen + stdin_seen_len, sizeof stdin_seen - stdin_seen_len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) handoff("stdin");
    if (r == 0) break;
    stdin_seen_len += (size_t)r;
  }
  end = stdin_seen_len;
  while (start < end && js_space(stdin_seen[start])) start++;
  while (end > start && js_space(stdin_seen[end - 1])) end--;
  if (end - start > MAX_ARG) handoff("docker server URL");
  /* A copy with its NUL, so the replay still has every byte as read. */
  memcpy(scratch.p, stdin_seen + start, end - start);
  scratch.p[end - start] = '\0';
  if (!plain_ascii(scratch.p) || memchr(stdin_seen + start, '\0', end - start)) handoff("docker server URL");
  url = strdup(scratch.p);
  if (!url) handoff("memory");

  puts_(&request, "{\"registry\":");
  put_json_string(&request, url);
  puts_(&request, "}");
  ask_agent(&tok, &http);
  err.len = 0; /* docker shows stdout only; the Node client prints no warning here either */
  q.path = username_path, q.depth = 1;
  if (json_query(http.body, http.body_len, 0, &q, 1) != PARSE_OK || q.kind != 's') handoff("answer");
  /* Canonical spans are JSON.stringify's own bytes; anything but printable ASCII is Node's to print. */
  memcpy(scratch.p, q.value.p, q.value.len), scratch.p[q.value.len] = '\0';
  if (!plain_ascii(scratch.p)) handoff("registry username");
  memcpy(scratch.p, tok.access_token.p, tok.access_token.len), scratch.p[tok.access_token.len] = '\0';
  if (!plain_ascii(scratch.p)) handoff("token");
  puts_(&out, "{\"ServerURL\":");
  put_json_string(&out, url);
  puts_(&out, ",\"Username\":\"");
  put(&out, q.value.p, q.value.len);
  puts_(&out, "\",\"Secret\":\"");
  put(&out, tok.access_token.p, tok.access_token.len);
  puts_(&out, "\"}\n");
  finish(&out, &err);
}

static const char *base_name(const char *p) {
  const char *slash = strrchr(p, '/');
  return slash ? slash + 1 : p;
}

int main(int argc, char **argv) {
  const char *self = argc > 0 ? base_name(argv[0]) : "authctl";
  original_argv = argv;
  if (argc < 1) handoff("no argv");
  /* A write to an agent that went away must not kill us: handoff() restores the default. */
  signal(SIGPIPE, SIG_IGN);
  if (strcmp(self, "git-credential-authctl") == 0) {
    node_entry = "git-credential-authctl.js";
    git_credential_command(argc - 1, argv + 1);
  }
  if (strcmp(self, "docker-credential-authctl") == 0) {
    node_entry = "docker-credential-authctl.js";
    docker_credential_command(argc - 1, argv + 1);
  }
  if (argc >= 2 && strcmp(argv[1], "token") == 0) token_command(argc - 2, argv + 2);
  if (argc >= 2 && strcmp(argv[1], "kube") == 0) kube_command(argc - 2, argv + 2);
  if (argc >= 2 && strcmp(argv[1], "git-credential") == 0) git_credential_command(argc - 2, argv + 2);
  if (argc >= 2 && strcmp(argv[1], "docker-credential") == 0) docker_credential_command(argc - 2, argv + 2);
  handoff("command");
  return 1;
}

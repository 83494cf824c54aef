/* See parse.h. Everything here is bounded by the buffer it is given and a fixed depth. */
#include "parse.h"

#include <string.h>

#define MAX_DEPTH 16
#define MAX_KEYS 64

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int name_is(const char *p, size_t n, const char *want) {
  size_t i;
  if (strlen(want) != n) return 0;
  for (i = 0; i < n; i++)
    if (lower((unsigned char)p[i]) != want[i]) return 0;
  return 1;
}

static const char *find_head_end(const char *buf, size_t len) {
  size_t i;
  for (i = 0; i + 3 < len; i++)
    if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') return buf + i;
  return NULL;
}

enum parse_result http_parse(const char *buf, size_t len, struct http_response *out) {
  const char *end, *line, *eol;
  size_t head_len, i;
  long content_length = -1;
  end = find_head_end(buf, len < MAX_HEAD ? len : MAX_HEAD);
  if (!end) return len >= MAX_HEAD ? PARSE_BAD : PARSE_INCOMPLETE;
  head_len = (size_t)(end - buf) + 4;
  if (memchr(buf, '\0', head_len)) return PARSE_BAD;
  /* Status line: "HTTP/1.1 200 OK" (the reason phrase may be empty). */
  if (head_len < 14 || memcmp(buf, "HTTP/1.1 ", 9) != 0) return PARSE_BAD;
  for (i = 9; i < 12; i++)
    if (buf[i] < '0' || buf[i] > '9') return PARSE_BAD;
  if (buf[12] != ' ' && buf[12] != '\r') return PARSE_BAD;
  out->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
  line = memchr(buf, '\n', head_len);
  if (!line) return PARSE_BAD;
  line++;
  while (line < end + 2) {
    const char *colon, *v;
    eol = memchr(line, '\r', (size_t)(end + 2 - line));
    if (!eol || eol[1] != '\n') return PARSE_BAD;
    colon = memchr(line, ':', (size_t)(eol - line));
    if (!colon || colon == line) return PARSE_BAD;
    for (v = line; v < colon; v++)
      if (*v <= ' ' || *v >= 127) return PARSE_BAD;
    v = colon + 1;
    while (v < eol && (*v == ' ' || *v == '\t')) v++;
    if (name_is(line, (size_t)(colon - line), "transfer-encoding")) return PARSE_BAD; /* the agent never chunks */
    if (name_is(line, (size_t)(colon - line), "content-length")) {
      const char *d = v;
      if (content_length >= 0 || d == eol) return PARSE_BAD;
      content_length = 0;
      for (; d < eol && *d != ' ' && *d != '\t'; d++) {
        if (*d < '0' || *d > '9' || content_length > MAX_BODY) return PARSE_BAD;
        content_length = content_length * 10 + (*d - '0');
      }
      for (; d < eol; d++)
        if (*d != ' ' && *d != '\t') return PARSE_BAD;
      if (content_length > MAX_BODY) return PARSE_BAD;
    }
    line = eol + 2;
  }
  if (content_length < 0) return PARSE_BAD;
  if (len - head_len < (size_t)content_length) return PARSE_INCOMPLETE;
  if (len - head_len > (size_t)content_length) return PARSE_BAD;
  out->body = buf + head_len;
  out->body_len = (size_t)content_length;
  return PARSE_OK;
}

/* ---- JSON: the agent's canonical form, or (tolerant) any JSON for reading a few fields ---- */

struct cursor {
  const char *p, *end;
  int depth;
  /* Whitespace, every escape and any number allowed (KUBERNETES_EXEC_INFO); else canonical only. */
  int tolerant;
  /* The keys leading to the value being parsed; a NULL entry is an array element. */
  struct span path[MAX_DEPTH + 1];
  struct json_query *queries;
  int nqueries;
};

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1; /* JSON.stringify writes lowercase hex only */
}

static int anyhex(int c) { return hexval(c) >= 0 || (c >= 'A' && c <= 'F'); }

static void ws(struct cursor *c) {
  if (c->tolerant)
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

/* One strictly valid UTF-8 sequence (no overlongs, surrogates or values past U+10FFFF). */
static int utf8_seq(struct cursor *c) {
  const unsigned char *s = (const unsigned char *)c->p;
  size_t left = (size_t)(c->end - c->p);
  unsigned int cp;
  int n, i;
  if (s[0] >= 0xc2 && s[0] <= 0xdf) n = 2, cp = s[0] & 0x1f;
  else if (s[0] >= 0xe0 && s[0] <= 0xef) n = 3, cp = s[0] & 0x0f;
  else if (s[0] >= 0xf0 && s[0] <= 0xf4) n = 4, cp = s[0] & 0x07;
  else return 0;
  if (left < (size_t)n) return 0;
  for (i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  c->p += n;
  return 1;
}

static int j_string(struct cursor *c, struct span *out) {
  if (c->p >= c->end || *c->p != '"') return 0;
  c->p++;
  out->p = c->p;
  while (c->p < c->end) {
    unsigned char ch = (unsigned char)*c->p;
    if (ch == '"') {
      out->len = (size_t)(c->p - out->p);
      c->p++;
      return 1;
    }
    if (ch < 0x20) return 0;
    if (ch == '\\') {
      if (c->end - c->p < 2) return 0;
      ch = (unsigned char)c->p[1];
      if (ch == 'u') {
        int v, i;
        if (c->end - c->p < 6) return 0;
        for (v = 0, i = 2; i < 6; i++) {
          int h = hexval((unsigned char)c->p[i]);
          if (c->tolerant && anyhex((unsigned char)c->p[i])) continue;
          if (h < 0) return 0;
          v = v * 16 + h;
        }
        /* Canonical: only the control characters without a short escape are written as \u00XX. */
        if (!c->tolerant && (v >= 0x20 || v == 8 || v == 9 || v == 10 || v == 12 || v == 13)) return 0;
        c->p += 6;
      } else if ((strchr("\"\\bfnrt", ch) && ch != '\0') || (c->tolerant && ch == '/')) {
        c->p += 2;
      } else {
        return 0;
      }
    } else if (ch >= 0x80) {
      if (!utf8_seq(c)) return 0;
    } else {
      c->p++;
    }
  }
  return 0;
}

static int digits(struct cursor *c) {
  const char *start = c->p;
  while (c->p < c->end && *c->p >= '0' && *c->p <= '9') c->p++;
  return c->p > start;
}

/*
 * Canonical: an integer JSON.stringify prints the same way back (no fraction, exponent or
 * -0, 15 digits at most). Tolerant: any JSON number.
 */
static int j_number(struct cursor *c) {
  const char *start;
  int negative = 0;
  if (c->p < c->end && *c->p == '-') c->p++, negative = 1;
  start = c->p;
  if (c->p >= c->end || *c->p < '0' || *c->p > '9') return 0;
  if (*c->p == '0') {
    c->p++;
    if (negative && !c->tolerant) return 0;
  } else {
    digits(c);
  }
  if (c->tolerant) {
    if (c->p < c->end && *c->p == '.' && (c->p++, !digits(c))) return 0;
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
      c->p++;
      if (c->p < c->end && (*c->p == '+' || *c->p == '-')) c->p++;
      if (!digits(c)) return 0;
    }
  } else if (c->p - start > 15) {
    return 0;
  }
  return c->p >= c->end || !strchr(".eE0123456789", *c->p) || *c->p == '\0';
}

static int literal(struct cursor *c, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0) return 0;
  c->p += n;
  return 1;
}

static int j_value(struct cursor *c, struct span *string_out, int *kind);

/* Records the value just parsed for every query whose key path is the current one. */
static void answer_queries(struct cursor *c, struct span value, int kind) {
  int q, i;
  for (q = 0; q < c->nqueries; q++) {
    struct json_query *query = &c->queries[q];
    if (query->depth != c->depth) continue;
    for (i = 0; i < c->depth; i++) {
      const struct span *k = &c->path[i];
      if (!k->p || strlen(query->path[i]) != k->len || memcmp(query->path[i], k->p, k->len) != 0) break;
    }
    if (i == c->depth) query->value = value, query->kind = kind;
  }
}

static int j_object(struct cursor *c) {
  struct span keys[MAX_KEYS];
  int nkeys = 0, i;
  c->p++; /* '{' */
  ws(c);
  if (c->p < c->end && *c->p == '}') return c->p++, 1;
  for (;;) {
    struct span key, value = {NULL, 0};
    const char *start;
    int kind = 0;
    if (!j_string(c, &key)) return 0;
    /* Integer-like keys are reordered by JavaScript objects: not canonical for us. */
    if (!c->tolerant && key.len > 0 && key.p[0] >= '0' && key.p[0] <= '9') return 0;
    /* An escaped key would be another name to JSON.parse than to a byte comparison. */
    if (c->tolerant && memchr(key.p, '\\', key.len)) return 0;
    for (i = 0; i < nkeys; i++)
      if (keys[i].len == key.len && memcmp(keys[i].p, key.p, key.len) == 0) return 0;
    if (nkeys == MAX_KEYS) return 0;
    keys[nkeys++] = key;
    ws(c);
    if (c->p >= c->end || *c->p != ':') return 0;
    c->p++;
    ws(c);
    c->path[c->depth - 1] = key;
    start = c->p;
    if (!j_value(c, &value, &kind)) return 0;
    if (kind != 's') value.p = start, value.len = (size_t)(c->p - start); /* a number's text, say */
    answer_queries(c, value, kind);
    ws(c);
    if (c->p >= c->end) return 0;
    if (*c->p == '}') return c->p++, 1;
    if (*c->p != ',') return 0;
    c->p++;
    ws(c);
  }
}

static int j_array(struct cursor *c) {
  struct span ignored;
  int kind;
  c->p++; /* '[' */
  ws(c);
  c->path[c->depth - 1].p = NULL;
  if (c->p < c->end && *c->p == ']') return c->p++, 1;
  for (;;) {
    if (!j_value(c, &ignored, &kind)) return 0;
    ws(c);
    if (c->p >= c->end) return 0;
    if (*c->p == ']') return c->p++, 1;
    if (*c->p != ',') return 0;
    c->p++;
    ws(c);
  }
}

static int j_value(struct cursor *c, struct span *string_out, int *kind) {
  int ok;
  if (c->p >= c->end) return 0;
  switch (*c->p) {
    case '"':
      *kind = 's';
      return j_string(c, string_out);
    case '{':
    case '[':
      if (c->depth >= MAX_DEPTH) return 0;
      c->depth++;
      *kind = *c->p == '{' ? 'o' : 'a';
      ok = *c->p == '{' ? j_object(c) : j_array(c);
      c->depth--;
      return ok;
    case 't':
      *kind = 'l';
      return literal(c, "true");
    case 'f':
      *kind = 'l';
      return literal(c, "false");
    case 'n':
      *kind = 'l';
      return literal(c, "null");
    default:
      *kind = 'n';
      return j_number(c);
  }
}

enum parse_result json_query(const char *text, size_t len, int tolerant, struct json_query *queries, int nqueries) {
  struct cursor c;
  int q;
  memset(&c, 0, sizeof c);
  for (q = 0; q < nqueries; q++) queries[q].value.p = NULL, queries[q].value.len = 0, queries[q].kind = 0;
  c.p = text;
  c.end = text + len;
  c.depth = 1;
  c.tolerant = tolerant;
  c.queries = queries;
  c.nqueries = nqueries;
  ws(&c);
  if (c.p >= c.end || *c.p != '{') return PARSE_BAD;
  if (!j_object(&c)) return PARSE_BAD;
  ws(&c);
  return c.p == c.end ? PARSE_OK : PARSE_BAD;
}

enum parse_result token_parse(const char *body, size_t len, struct token_response *out) {
  static const char *const access[] = {"accessToken"}, *const type[] = {"tokenType"}, *const warning[] = {"warning"},
                           *const expires[] = {"expiresAt"};
  struct json_query q[4];
  int i;
  memset(out, 0, sizeof *out);
  q[0].path = access, q[1].path = type, q[2].path = warning, q[3].path = expires;
  for (i = 0; i < 4; i++) q[i].depth = 1;
  if (json_query(body, len, 0, q, 4) != PARSE_OK) return PARSE_BAD;
  /* Any other type the Node client would print in its own way: let it. */
  if (q[0].kind != 's' || (q[1].kind && q[1].kind != 's') || (q[2].kind && q[2].kind != 's') || (q[3].kind && q[3].kind != 'n'))
    return PARSE_BAD;
  out->access_token = q[0].value;
  out->token_type = q[1].value;
  out->warning = q[2].value;
  out->expires_at = q[3].value;
  return PARSE_OK;
}

size_t json_unescape(struct span s, char *out, size_t cap) {
  size_t i, n = 0;
  for (i = 0; i < s.len && n < cap; i++) {
    char ch = s.p[i];
    if (ch != '\\') {
      out[n++] = ch;
      continue;
    }
    ch = s.p[++i];
    switch (ch) {
      case 'b': out[n++] = '\b'; break;
      case 'f': out[n++] = '\f'; break;
      case 'n': out[n++] = '\n'; break;
      case 'r': out[n++] = '\r'; break;
      case 't': out[n++] = '\t'; break;
      case 'u': /* \u00XX, a control character (token_parse allowed no other) */
        out[n++] = (char)(hexval((unsigned char)s.p[i + 3]) * 16 + hexval((unsigned char)s.p[i + 4]));
        i += 4;
        break;
      default: out[n++] = ch; break;
    }
  }
  return n;
}

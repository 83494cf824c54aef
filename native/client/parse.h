/*
 * Bounded parsing of what the agent answers on POST /v1/token: one HTTP/1.1 response with a
 * Content-Length body, and that body as the JSON the agent's JSON.stringify wrote. Pure
 * functions over a buffer (no I/O), so the fuzz test drives them through the client.
 */
#ifndef AUTHCTL_PARSE_H
#define AUTHCTL_PARSE_H

#include <stddef.h>

#define MAX_HEAD 8192
#define MAX_BODY 65536
#define MAX_RESPONSE (MAX_HEAD + MAX_BODY)

enum parse_result { PARSE_OK = 0, PARSE_INCOMPLETE = 1, PARSE_BAD = 2 };

struct http_response {
  int status;
  const char *body;
  size_t body_len;
};

/* A complete response? INCOMPLETE while more bytes may make it one; BAD when none can. */
enum parse_result http_parse(const char *buf, size_t len, struct http_response *out);

struct span {
  const char *p; /* the raw JSON string contents between the quotes; NULL when absent */
  size_t len;
};

struct token_response {
  struct span access_token;
  struct span token_type;
  struct span warning;
  struct span expires_at; /* the raw digits of an integer, when present */
};

/* One value to pick out of a JSON object by its key path (depth keys, from the top). */
struct json_query {
  const char *const *path;
  int depth;
  struct span value; /* a string's raw contents, or a number's text; p NULL when absent */
  int kind;          /* 's' string, 'n' number, 'o' object, 'a' array, 'l' true/false/null, 0 absent */
};

/*
 * Parses a JSON object (tolerant: any JSON; else only the canonical form below) and fills
 * the queries. BAD on anything JSON.parse would refuse, and also on duplicate keys and, when
 * tolerant, escaped keys, where a byte comparison and JSON.parse could disagree.
 */
enum parse_result json_query(const char *text, size_t len, int tolerant, struct json_query *queries, int nqueries);

/*
 * The token answer, accepted only when its bytes are exactly what JSON.stringify of the
 * parsed object would print again (no whitespace, canonical escapes and numbers, no duplicate
 * or integer-like keys), so `--json` can print the body as is and match the Node client.
 */
enum parse_result token_parse(const char *body, size_t len, struct token_response *out);

/* Decodes a canonical JSON string's contents (from token_parse) into out; returns bytes written. */
size_t json_unescape(struct span s, char *out, size_t cap);

#endif

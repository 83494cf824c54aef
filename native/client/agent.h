/*
 * The socket side, as client/agent-client.ts and shared/paths.ts do it: where the socket is,
 * the refusal of a socket directory that is not ours and private, one bounded request.
 */
#ifndef AUTHCTL_AGENT_H
#define AUTHCTL_AGENT_H

#include <stddef.h>

/* shared/paths.ts socketPath(); 0, or -1 when a path is unusual enough to leave to Node. */
int agent_socket_path(char *out, size_t cap);

/* shared/paths.ts userConfigFile(); 0, or -1 when the path is left to Node. */
int user_config_path(char *out, size_t cap);

/* shared/paths.ts systemConfigFile(): the fixed one (AUTHCTL_SYSTEM_CONFIG may add another). */
const char *system_config_path(void);

/* client/agent-client.ts checkSocketDir(); 0 when it passes (or the directory is absent). */
int agent_check_socket_dir(const char *socket_path);

/*
 * One POST with a JSON body on a fresh connection; reads the whole answer into resp (at
 * most MAX_RESPONSE bytes) within timeout_ms. 0 with a complete response, -1 otherwise.
 */
int agent_post(const char *socket_path, const char *path, const char *body, size_t body_len, int timeout_ms,
               char *resp, size_t cap, size_t *resp_len);

#endif

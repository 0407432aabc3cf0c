/* What the shim's parts share: its settings for this call, how it writes, and the call's outcome. */
#ifndef MULTUS_SHIM_H
#define MULTUS_SHIM_H
#include "json.h"

typedef struct {
  char socket_dir[4096];
  char socket_path[4200];
  char thin_path[4096];
  char cni_version[64];
  int fail_fast; /* "daemonFallback": "fail" */
  double timeout_seconds;
  char request_id[65];
  const char *command;
} shim_t;

typedef enum { CALL_ANSWERED, CALL_ABSENT, CALL_LOST } call_outcome;

typedef struct {
  call_outcome outcome;
  char why[1024];
  long http_status;
  int exit_code;
  buf_t stdout_text;
} call_t;

/* Writes all of s to fd, or as much as fd takes. */
void write_all(int fd, const char *s, size_t n);
/* What the plugin prints, with the newline a CNI plugin ends its output with. */
void print_out(const char *s, size_t n);
/* One line on stderr, naming the request: `multus-shim: request <id>: ...`. */
void note(const shim_t *shim, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints a code 11 error (try again later: the runtime retries the call); returns exit code 1. */
int try_again(const shim_t *shim, const char *msg);

/* daemon-call.c: the call sent to the daemon; `call` says what came of it. */
void call_daemon(const shim_t *shim, const buf_t *in, call_t *call);
/* fallback.c: the call when there is no daemon (call->why says why): the thin binary, or code 11. */
int without_daemon(const shim_t *shim, const buf_t *in, const call_t *call);

#endif

/* The call sent to the daemon: protocol v1 (src/daemon/protocol.ts) over its unix socket. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "../generated/shim-constants.h"
#include "shim.h"

extern char **environ;

/* An answer is one CNI result; anything larger is not the daemon talking. */
#define MAX_ANSWER_BYTES (64u * 1024u * 1024u)

/* The protocol's CniCall: {version, requestId, env (CNI_* and the request id), stdin}. */
static void build_call(const shim_t *shim, const buf_t *in, buf_t *body) {
  buf_printf(body, "{\"version\":%d,\"requestId\":\"%s\",\"env\":{", PROTOCOL_VERSION, shim->request_id);
  for (char **e = environ; *e; e++) {
    const char *eq = strchr(*e, '=');
    if (strncmp(*e, "CNI_", 4) != 0 || !eq) continue;
    buf_json_string(body, *e, (size_t)(eq - *e));
    buf_add(body, ":", 1);
    buf_json_string(body, eq + 1, strlen(eq + 1));
    buf_add(body, ",", 1);
  }
  buf_printf(body, "\"%s\":\"%s\"},\"stdin\":", REQUEST_ID_ENV, shim->request_id);
  buf_json_string(body, in->data, in->len);
  buf_add(body, "}", 1);
}

static call_outcome set_why(call_t *call, call_outcome outcome, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(call->why, sizeof call->why, fmt, ap);
  va_end(ap);
  return call->outcome = outcome;
}

/* Connection errors that mean "no daemon here": the call never reached one. */
static const char *not_there(int err) {
  switch (err) {
    case ENOENT: return "ENOENT";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ENOTSOCK: return "ENOTSOCK";
    case ENOTDIR: return "ENOTDIR";
    case EACCES: return "EACCES";
    default: return NULL;
  }
}

static int connect_daemon(const shim_t *shim, call_t *call) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(shim->socket_path) >= sizeof addr.sun_path) {
    set_why(call, CALL_ABSENT, "%s: longer than a unix socket's path can be", shim->socket_path);
    return -1;
  }
  memcpy(addr.sun_path, shim->socket_path, strlen(shim->socket_path) + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    set_why(call, CALL_LOST, "no socket for %s: %s", shim->socket_path, strerror(errno));
    return -1;
  }
  /* daemonTimeoutSeconds bounds each wait to read or write: the daemon is silent until it answers. */
  struct timeval limit = {.tv_sec = (time_t)shim->timeout_seconds};
  limit.tv_usec = (suseconds_t)((shim->timeout_seconds - (double)limit.tv_sec) * 1e6);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  while (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
    int err = errno;
    if (err == EINTR) continue;
    close(fd);
    if (not_there(err)) set_why(call, CALL_ABSENT, "%s: %s", shim->socket_path, not_there(err));
    else set_why(call, CALL_LOST, "the connection to the daemon at %s failed: %s", shim->socket_path, strerror(err));
    return -1;
  }
  return fd;
}

/* Sends the request; returns 0 or the errno that stopped it (the daemon may still have answered). */
static int send_call(int fd, const buf_t *body) {
  buf_t req = {0};
  buf_printf(&req,
             "POST " CNI_PATH " HTTP/1.1\r\nHost: multus\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n",
             body->len);
  buf_add(&req, body->data, body->len);
  const char *p = req.data;
  size_t left = req.len;
  int err = 0;
  while (left > 0) {
    ssize_t n = send(fd, p, left, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : EPIPE;
      break;
    }
    p += n;
    left -= (size_t)n;
  }
  free(req.data);
  return err;
}

/* What a response head says: its status, and how its body ends. */
typedef struct {
  size_t len; /* of the head, blank line included; 0 until it has arrived */
  long status;
  size_t body_len; /* Content-Length, or SIZE_MAX */
  int chunked;     /* Transfer-Encoding: chunked */
} head_t;

/* The value of header `name` ("\r\nname:") in a head, or NULL. */
static const char *header_value(const char *head, size_t len, const char *name) {
  size_t n = strlen(name);
  for (size_t i = 0; i + n <= len; i++)
    if (strncasecmp(head + i, name, n) == 0) return head + i + n;
  return NULL;
}

static void parse_head(const char *head, size_t len, head_t *h) {
  h->len = len;
  if (sscanf(head, "HTTP/%*d.%*d %ld", &h->status) != 1) h->status = 0;
  const char *length = header_value(head, len, "\r\ncontent-length:");
  h->body_len = length ? (size_t)strtoul(length, NULL, 10) : SIZE_MAX;
  const char *coding = header_value(head, len, "\r\ntransfer-encoding:");
  h->chunked = coding && strncasecmp(coding + strspn(coding, " \t"), "chunked", 7) == 0;
}

/* Decodes a chunked body: 1 when its last chunk has arrived, 0 before, -1 when it is not chunked. */
static int dechunk(const char *p, size_t n, buf_t *out) {
  const char *end = p + n;
  out->len = 0;
  for (;;) {
    const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
    if (!eol) return 0;
    char *stop;
    unsigned long size = strtoul(p, &stop, 16);
    if (stop == p || (*stop != '\r' && *stop != ';') || size > MAX_ANSWER_BYTES) return -1;
    p = eol + 2;
    if (size == 0) return 1;
    if ((size_t)(end - p) < size + 2) return 0;
    buf_add(out, p, size);
    p += size + 2;
  }
}

/* Reads the HTTP answer into body: Content-Length bytes, chunks, or all until the end. */
static call_outcome receive_answer(int fd, const shim_t *shim, call_t *call, int send_err, buf_t *body) {
  buf_t raw = {0};
  head_t head = {0};
  char chunk[65536];
  int complete = 0;
  call_outcome outcome = CALL_ANSWERED;
  while (!complete) {
    ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      outcome = set_why(call, CALL_LOST, "no answer within %g s", shim->timeout_seconds);
    } else if (n < 0 || (n == 0 && raw.len == 0 && send_err)) {
      outcome = set_why(call, CALL_LOST, "the connection to the daemon at %s was lost: %s", shim->socket_path,
                        strerror(n < 0 ? errno : send_err));
    } else if (n == 0 && raw.len == 0) {
      outcome = set_why(call, CALL_LOST, "the connection to the daemon at %s was lost before it answered",
                        shim->socket_path);
    } else if (n == 0) {
      complete = head.len && !head.chunked && head.body_len == SIZE_MAX;
      if (!complete) outcome = set_why(call, CALL_LOST, "the daemon's answer broke off");
    } else {
      buf_add(&raw, chunk, (size_t)n);
      if (raw.len > MAX_ANSWER_BYTES) outcome = set_why(call, CALL_LOST, "the daemon's answer is over 64 MiB");
    }
    if (outcome != CALL_ANSWERED || n <= 0) break;
    const char *blank = head.len ? NULL : memmem(raw.data, raw.len, "\r\n\r\n", 4);
    if (blank) parse_head(raw.data, (size_t)(blank - raw.data) + 4, &head);
    if (head.len && head.chunked) complete = dechunk(raw.data + head.len, raw.len - head.len, body);
    else if (head.len && head.body_len != SIZE_MAX) complete = raw.len - head.len >= head.body_len;
    if (complete < 0) outcome = set_why(call, CALL_LOST, "the daemon's answer is not valid chunked HTTP");
  }
  if (outcome == CALL_ANSWERED && !head.chunked) {
    size_t len = head.body_len == SIZE_MAX ? raw.len - head.len : head.body_len;
    buf_add(body, raw.data + head.len, len);
  }
  call->http_status = head.status;
  free(raw.data);
  return outcome;
}

/* The daemon's answer {exitCode, stdout}, whatever the HTTP status (a refusal is an answer too). */
static void read_cni_answer(const buf_t *body, call_t *call) {
  json_member m[] = {{.key = "exitCode"}, {.key = "stdout"}};
  int ok = body->data && read_members(body->data, body->len, m, 2) == 0 && m[0].kind == JSON_NUMBER &&
           m[1].kind == JSON_STRING;
  call->exit_code = ok ? (int)m[0].number & 0xFF : 1;
  call->stdout_text = m[1].text;
  if (!ok) set_why(call, CALL_LOST, "the daemon answered HTTP %ld without a CNI answer", call->http_status);
  else call->outcome = CALL_ANSWERED;
}

void call_daemon(const shim_t *shim, const buf_t *in, call_t *call) {
  int fd = connect_daemon(shim, call);
  if (fd < 0) return;
  buf_t request = {0}, body = {0};
  build_call(shim, in, &request);
  int send_err = send_call(fd, &request);
  free(request.data);
  if (receive_answer(fd, shim, call, send_err, &body) == CALL_ANSWERED) read_cni_answer(&body, call);
  free(body.data);
  close(fd);
}


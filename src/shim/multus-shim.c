/*
 * multus-shim: what a container runtime execs in thick mode. It reads the env and stdin, answers
 * VERSION itself, sends every other call to the multus daemon over its unix socket (wire protocol
 * v1, src/daemon/protocol.ts), prints the daemon's answer and exits with its code. When no daemon
 * is there it runs the call through the thin binary (or, with "daemonFallback": "fail", answers
 * code 11).
 *
 * Why C and not a Bun entry: the shim's start-up and memory are paid on every pod operation, and
 * the smallest Bun executable starts several times slower than the reference plugins and holds
 * more memory than Go's whole shim (docs/thick.md, "The shim's packaging", gives the figures).
 * src/shim holds the project's only C: libc only, linked statically, so the one file copied to a
 * node works whatever libc the node has. Everything it decides is in
 * docs/thick.md. Its names and versions come from the TypeScript modules that define them, through
 * src/generated/shim-constants.h (src/shim/shim-header.ts).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "../generated/shim-constants.h"
#include "shim.h"

#define DEFAULT_TIMEOUT_SECONDS 660

static const char *const SUPPORTED_VERSIONS[] = {SUPPORTED_VERSION_LIST};

void out_of_memory(void) {
  static const char msg[] = "{\"cniVersion\":\"" LATEST_VERSION "\",\"code\":11,\"msg\":\"multus-shim: out of memory\"}\n";
  if (write(1, msg, sizeof msg - 1) < 0) _exit(1);
  _exit(1);
}

void write_all(int fd, const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    s += w;
    n -= (size_t)w;
  }
}

/* What the plugin prints, with the newline a CNI plugin ends its output with. */
void print_out(const char *s, size_t n) {
  write_all(1, s, n);
  if (n == 0 || s[n - 1] != '\n') write_all(1, "\n", 1);
}

void note(const shim_t *shim, const char *fmt, ...) {
  buf_t line = {0};
  char text[8192];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  buf_printf(&line, "multus-shim: request %s: %s\n", shim->request_id, text);
  write_all(2, line.data, line.len);
  free(line.data);
}

/* Code 11 (try again later): the runtime retries the call. */
int try_again(const shim_t *shim, const char *msg) {
  buf_t out = {0};
  buf_str(&out, "{\"cniVersion\":");
  buf_json_string(&out, shim->cni_version, strlen(shim->cni_version));
  buf_str(&out, ",\"code\":11,\"msg\":");
  buf_json_string(&out, msg, strlen(msg));
  buf_str(&out, "}");
  print_out(out.data, out.len);
  free(out.data);
  return 1;
}

static void copy_member(char *dst, size_t size, const json_member *m) {
  if (m->kind == JSON_STRING && m->text.len < size && memchr(m->text.data, '\0', m->text.len) == NULL)
    memcpy(dst, m->text.data, m->text.len + 1);
}

static void read_settings(shim_t *shim, const char *stdin_text, size_t len) {
  json_member m[] = {
      {.key = "daemonSocketDir"}, {.key = "daemonFallback"}, {.key = "thinPath"}, {.key = "daemonTimeoutSeconds"}, {.key = "cniVersion"}};
  size_t n = sizeof m / sizeof m[0];
  if (read_members(stdin_text, len, m, n) == 0) {
    copy_member(shim->socket_dir, sizeof shim->socket_dir, &m[0]);
    shim->fail_fast = m[1].kind == JSON_STRING && strcmp(m[1].text.data, "fail") == 0;
    copy_member(shim->thin_path, sizeof shim->thin_path, &m[2]);
    if (m[3].kind == JSON_NUMBER && m[3].number > 0 && m[3].number < 1e9) shim->timeout_seconds = m[3].number;
    copy_member(shim->cni_version, sizeof shim->cni_version, &m[4]);
  }
  for (size_t i = 0; i < n; i++) free(m[i].text.data);
  snprintf(shim->socket_path, sizeof shim->socket_path, "%s/%s", shim->socket_dir, SOCKET_NAME);
}

/* The thin binary beside the shim's own executable. */
static void default_thin_path(shim_t *shim) {
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    snprintf(shim->thin_path, sizeof shim->thin_path, "multus");
    return;
  }
  self[n] = '\0';
  char *slash = strrchr(self, '/');
  if (slash) *slash = '\0';
  if (!slash) snprintf(self, sizeof self, ".");
  buf_t path = {0};
  buf_printf(&path, "%s/multus", self);
  if (path.len < sizeof shim->thin_path) memcpy(shim->thin_path, path.data, path.len + 1);
  free(path.data);
}

static int valid_request_id(const char *id) {
  size_t n = strlen(id);
  if (n == 0 || n > 64) return 0;
  for (size_t i = 0; i < n; i++)
    if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-", id[i])) return 0;
  return 1;
}

static void choose_request_id(shim_t *shim) {
  const char *given = getenv(REQUEST_ID_ENV);
  if (given && valid_request_id(given)) {
    snprintf(shim->request_id, sizeof shim->request_id, "%s", given);
    return;
  }
  unsigned char r[6];
  if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
    uint64_t x = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
    memcpy(r, &x, sizeof r);
  }
  snprintf(shim->request_id, sizeof shim->request_id, "%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5]);
}

static void read_stdin(buf_t *in) {
  char chunk[65536];
  for (;;) {
    ssize_t n = read(0, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buf_add(in, chunk, (size_t)n);
  }
  if (!in->data) buf_add(in, "", 0);
}

/* VERSION, answered as the thin plugin answers it (src/core/skel.ts versionReply). */
static int answer_version(const buf_t *in) {
  json_member asked[] = {{.key = "cniVersion"}};
  const char *version = LATEST_VERSION;
  if (read_members(in->data, in->len, asked, 1) == 0 && asked[0].kind == JSON_STRING)
    for (size_t i = 0; i < sizeof SUPPORTED_VERSIONS / sizeof SUPPORTED_VERSIONS[0]; i++)
      if (strcmp(asked[0].text.data, SUPPORTED_VERSIONS[i]) == 0) version = SUPPORTED_VERSIONS[i];
  buf_t out = {0};
  buf_printf(&out, "{\"cniVersion\":\"%s\",\"supportedVersions\":[", version);
  for (size_t i = 0; i < sizeof SUPPORTED_VERSIONS / sizeof SUPPORTED_VERSIONS[0]; i++)
    buf_printf(&out, "%s\"%s\"", i ? "," : "", SUPPORTED_VERSIONS[i]);
  buf_str(&out, "]}");
  print_out(out.data, out.len);
  free(out.data);
  free(asked[0].text.data);
  return 0;
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  static shim_t shim = {.socket_dir = DEFAULT_SOCKET_DIR, .cni_version = LATEST_VERSION};
  shim.timeout_seconds = DEFAULT_TIMEOUT_SECONDS;
  buf_t in = {0};
  read_stdin(&in);
  const char *command = getenv("CNI_COMMAND");
  if (command && strcmp(command, "VERSION") == 0) return answer_version(&in);
  shim.command = command && *command ? command : "-";
  default_thin_path(&shim);
  read_settings(&shim, in.data, in.len);
  choose_request_id(&shim);
  call_t call = {0};
  call_daemon(&shim, &in, &call);
  if (call.outcome == CALL_ANSWERED) {
    if (call.stdout_text.len > 0) print_out(call.stdout_text.data, call.stdout_text.len);
    return call.exit_code;
  }
  if (call.outcome == CALL_ABSENT) return without_daemon(&shim, &in, &call);
  note(&shim, "%s", call.why);
  char msg[1200];
  snprintf(msg, sizeof msg, "multus daemon: %s; the call may be partly done, and DEL undoes it", call.why);
  return try_again(&shim, msg);
}

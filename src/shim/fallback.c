/* Without a daemon: the call runs through the thin binary, or answers code 11 ("daemonFallback": "fail"). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../generated/shim-constants.h"
#include "shim.h"

extern char **environ;

/* One line beside the socket per call the daemon did not get, for its metrics. Best effort. */
static void record_fallback(const shim_t *shim, const char *action) {
  struct timespec now;
  struct tm tm;
  char when[32], path[4400];
  clock_gettime(CLOCK_REALTIME, &now);
  gmtime_r(&now.tv_sec, &tm);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  buf_t line = {0};
  buf_printf(&line, "%s.%03ldZ %s %s %s\n", when, now.tv_nsec / 1000000, shim->request_id, shim->command, action);
  snprintf(path, sizeof path, "%s/%s", shim->socket_dir, FALLBACK_LOG_NAME);
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd >= 0) {
    write_all(fd, line.data, line.len);
    close(fd);
  }
  free(line.data);
}

static volatile sig_atomic_t thin_pid = 0;

static void forward_sigterm(int sig) {
  (void)sig;
  if (thin_pid > 0) kill((pid_t)thin_pid, SIGTERM);
}

/* Starts the thin binary with stdin on a pipe; SIGTERM is passed on to it. Returns 0 or an errno. */
static int spawn_thin(const shim_t *shim, char **env, int stdin_fd, pid_t *pid) {
  posix_spawn_file_actions_t files;
  posix_spawnattr_t attr;
  sigset_t none, defaults, term, old;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGTERM);
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_adddup2(&files, stdin_fd, 0);
  posix_spawnattr_init(&attr);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, &old);
  struct sigaction forward = {.sa_handler = forward_sigterm};
  sigemptyset(&forward.sa_mask);
  sigaction(SIGTERM, &forward, NULL);
  char *argv[] = {(char *)shim->thin_path, NULL};
  int err = posix_spawn(pid, shim->thin_path, &files, &attr, argv, env);
  if (err == 0) thin_pid = *pid;
  sigprocmask(SIG_SETMASK, &old, NULL);
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attr);
  return err;
}

/* Runs the call through the thin binary, as if the runtime had exec'd it; answers its exit code. */
static int run_thin(const shim_t *shim, const buf_t *in) {
  size_t count = 0;
  for (char **e = environ; *e; e++) count++;
  char **env = calloc(count + 2, sizeof *env);
  if (!env) out_of_memory();
  char id_var[128];
  snprintf(id_var, sizeof id_var, "%s=%s", REQUEST_ID_ENV, shim->request_id);
  size_t k = 0;
  for (char **e = environ; *e; e++)
    if (strncmp(*e, REQUEST_ID_ENV "=", sizeof REQUEST_ID_ENV) != 0) env[k++] = *e;
  env[k++] = id_var;
  int pipe_fds[2];
  pid_t pid;
  int err = pipe2(pipe_fds, O_CLOEXEC) != 0 ? errno : spawn_thin(shim, env, pipe_fds[0], &pid);
  free(env);
  if (err != 0) {
    char msg[8300];
    snprintf(msg, sizeof msg, "daemon unavailable and %s: %s", shim->thin_path, strerror(err));
    return try_again(shim, msg);
  }
  close(pipe_fds[0]);
  write_all(pipe_fds[1], in->data, in->len);
  close(pipe_fds[1]);
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return 1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
}

int without_daemon(const shim_t *shim, const buf_t *in, const call_t *call) {
  char msg[1400];
  if (shim->fail_fast) {
    note(shim, "no daemon (%s); daemonFallback is \"fail\"", call->why);
    record_fallback(shim, "fail");
    snprintf(msg, sizeof msg, "multus daemon unavailable (%s); try again later", call->why);
    return try_again(shim, msg);
  }
  note(shim, "no daemon (%s); running the call through %s", call->why, shim->thin_path);
  record_fallback(shim, "thin");
  return run_thin(shim, in);
}


/*
 * The shim's byte buffer and its JSON: string literals written, and the top-level members of an
 * object read (the shim reads a few keys of its config and of the daemon's answer; the daemon
 * validates the whole document).
 */
#ifndef MULTUS_SHIM_JSON_H
#define MULTUS_SHIM_JSON_H
#include <stddef.h>

typedef struct {
  char *data;
  size_t len, cap;
} buf_t;

typedef enum { JSON_ABSENT = 0, JSON_STRING, JSON_NUMBER, JSON_OTHER } json_kind;

typedef struct {
  const char *key;
  json_kind kind;
  buf_t text; /* JSON_STRING: the decoded string */
  double number;
} json_member;

/* Prints a code 11 error and exits: the runtime retries the call. */
void out_of_memory(void);
void buf_add(buf_t *b, const char *s, size_t n);
void buf_str(buf_t *b, const char *s);
void buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal: quotes, backslashes and control characters escaped. */
void buf_json_string(buf_t *b, const char *s, size_t n);
/*
 * Reads the members named in `members` from a top-level object; a later duplicate wins, as in JS.
 * Returns 0, or -1 when the text is not an object.
 */
int read_members(const char *text, size_t len, json_member *members, size_t n);

#endif

/* The shim's byte buffer and JSON (json.h). */
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- growable byte buffer -------------------------------------------------------------- */

void buf_add(buf_t *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1) cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) out_of_memory();
    b->data = p;
    b->cap = cap;
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void buf_str(buf_t *b, const char *s) { buf_add(b, s, strlen(s)); }

void buf_printf(buf_t *b, const char *fmt, ...) {
  char small[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n < sizeof small) {
    buf_add(b, small, (size_t)n);
    return;
  }
  char *big = malloc((size_t)n + 1);
  if (!big) out_of_memory();
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  buf_add(b, big, (size_t)n);
  free(big);
}

/* A JSON string literal of s: quotes, backslashes and control characters escaped. */
void buf_json_string(buf_t *b, const char *s, size_t n) {
  buf_add(b, "\"", 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      char esc[2] = {'\\', (char)c};
      buf_add(b, esc, 2);
    } else if (c == '\n') {
      buf_add(b, "\\n", 2);
    } else if (c == '\r') {
      buf_add(b, "\\r", 2);
    } else if (c == '\t') {
      buf_add(b, "\\t", 2);
    } else if (c < 0x20) {
      buf_printf(b, "\\u%04x", c);
    } else {
      buf_add(b, (const char *)&s[i], 1);
    }
  }
  buf_add(b, "\"", 1);
}

/* ---- a JSON reader for the top-level members the shim needs ---------------------------- */

typedef struct {
  const char *p, *end;
} scan_t;

static void skip_ws(scan_t *s) {
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

static int hex4(const char *p, const char *end, unsigned *out) {
  if (end - p < 4) return -1;
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return -1;
  }
  *out = v;
  return 0;
}

static void add_utf8(buf_t *b, unsigned cp) {
  char u[4];
  if (cp < 0x80) {
    u[0] = (char)cp;
    buf_add(b, u, 1);
  } else if (cp < 0x800) {
    u[0] = (char)(0xC0 | (cp >> 6));
    u[1] = (char)(0x80 | (cp & 0x3F));
    buf_add(b, u, 2);
  } else if (cp < 0x10000) {
    u[0] = (char)(0xE0 | (cp >> 12));
    u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[2] = (char)(0x80 | (cp & 0x3F));
    buf_add(b, u, 3);
  } else {
    u[0] = (char)(0xF0 | (cp >> 18));
    u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[3] = (char)(0x80 | (cp & 0x3F));
    buf_add(b, u, 4);
  }
}

/* One \uXXXX escape (p after the 'u'), joined with its low surrogate; a lone surrogate is U+FFFD. */
static int unicode_escape(scan_t *s, buf_t *out) {
  unsigned cp;
  if (hex4(s->p, s->end, &cp) != 0) return -1;
  s->p += 4;
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    unsigned lo;
    if (s->end - s->p >= 6 && s->p[0] == '\\' && s->p[1] == 'u' && hex4(s->p + 2, s->end, &lo) == 0 &&
        lo >= 0xDC00 && lo <= 0xDFFF) {
      s->p += 6;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    } else {
      cp = 0xFFFD;
    }
  } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
    cp = 0xFFFD;
  }
  if (out) add_utf8(out, cp);
  return 0;
}

/* A string literal at s->p; decoded into out unless out is NULL. */
static int read_string(scan_t *s, buf_t *out) {
  if (s->p >= s->end || *s->p != '"') return -1;
  s->p++;
  while (s->p < s->end) {
    char c = *s->p++;
    if (c == '"') return 0;
    if ((unsigned char)c < 0x20) return -1;
    if (c != '\\') {
      if (out) buf_add(out, &c, 1);
      continue;
    }
    if (s->p >= s->end) return -1;
    char e = *s->p++;
    const char *plain = strchr("\"\\/bfnrt", e);
    if (e == 'u') {
      if (unicode_escape(s, out) != 0) return -1;
    } else if (e != '\0' && plain) {
      static const char decoded[] = "\"\\/\b\f\n\r\t";
      if (out) buf_add(out, &decoded[plain - "\"\\/bfnrt"], 1);
    } else {
      return -1;
    }
  }
  return -1;
}

static int read_number(scan_t *s, double *out) {
  const char *start = s->p;
  while (s->p < s->end && strchr("+-.eE0123456789", *s->p) && *s->p != '\0') s->p++;
  size_t n = (size_t)(s->p - start);
  if (n == 0 || n > 64) return -1;
  char tmp[65];
  memcpy(tmp, start, n);
  tmp[n] = '\0';
  char *stop;
  *out = strtod(tmp, &stop);
  return *stop == '\0' ? 0 : -1;
}

/*
 * Skips one value. Nested objects and arrays are skipped by counting brackets outside strings:
 * the shim only reads top-level members, and the daemon validates the whole document.
 */
static int skip_value(scan_t *s) {
  if (s->p >= s->end) return -1;
  if (*s->p == '"') return read_string(s, NULL);
  if (*s->p != '{' && *s->p != '[') {
    while (s->p < s->end && !strchr(",}] \t\r\n", *s->p)) s->p++;
    return 0;
  }
  size_t depth = 0;
  while (s->p < s->end) {
    char c = *s->p;
    if (c == '"') {
      if (read_string(s, NULL) != 0) return -1;
      continue;
    }
    s->p++;
    if (c == '{' || c == '[') depth++;
    else if ((c == '}' || c == ']') && --depth == 0) return 0;
  }
  return -1;
}

static json_member *member_named(json_member *members, size_t n, const buf_t *key) {
  for (size_t i = 0; i < n; i++)
    if (strlen(members[i].key) == key->len && memcmp(members[i].key, key->data, key->len) == 0) return &members[i];
  return NULL;
}

/* Reads the members named in `members` from a top-level object; later duplicates win, as in JS. */
int read_members(const char *text, size_t len, json_member *members, size_t n) {
  scan_t s = {text, text + len};
  skip_ws(&s);
  if (s.p >= s.end || *s.p++ != '{') return -1;
  skip_ws(&s);
  if (s.p < s.end && *s.p == '}') return 0;
  for (;;) {
    buf_t key = {0};
    skip_ws(&s);
    int bad = read_string(&s, &key) != 0;
    skip_ws(&s);
    bad = bad || s.p >= s.end || *s.p++ != ':';
    skip_ws(&s);
    json_member *m = bad ? NULL : member_named(members, n, &key);
    free(key.data);
    if (bad) return -1;
    if (m && s.p < s.end && *s.p == '"') {
      m->text.len = 0;
      m->kind = JSON_STRING;
      if (read_string(&s, &m->text) != 0) return -1;
      if (!m->text.data) buf_add(&m->text, "", 0);
    } else if (m && s.p < s.end && strchr("-0123456789", *s.p) && *s.p != '\0') {
      m->kind = JSON_NUMBER;
      if (read_number(&s, &m->number) != 0) return -1;
    } else {
      if (m) m->kind = JSON_OTHER;
      if (skip_value(&s) != 0) return -1;
    }
    skip_ws(&s);
    if (s.p >= s.end) return -1;
    char c = *s.p++;
    if (c == '}') return 0;
    if (c != ',') return -1;
  }
}


/* SPDX-License-Identifier: MIT */
/* What several harnesses need. Files, for the parsers that read a path:
 * one private temp dir per fuzzing process, on tmpfs when there is one
 * (fsync and rename stay cheap at a million executions), removed when the
 * process exits (a crash leaves it, to be looked into). Messages, for the
 * CLI code that prints: stderr caught in memory and checked to be escaped
 * text. */
#ifndef PAM_JWT_FUZZ_SUPPORT_H
#define PAM_JWT_FUZZ_SUPPORT_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* The directory (mode 0700, made on first call). Aborts when it cannot be
 * made: the harness, not the code under test, is broken then. */
const char *fuzz_dir(void);

/* Writes fuzz_dir()/name into out (size bytes); aborts when it does not fit. */
void fuzz_path(const char *name, char *out, size_t size);

/* Replaces fuzz_dir()/name with data[0..size) at mode: written to a fresh
 * file and renamed over, so every write is a new file identity (the
 * daemon's and the module's caches key on it). Aborts on failure. */
void fuzz_file_put(const char *name, const void *data, size_t size, mode_t mode);

/* Reads fuzz_dir()/name whole into a malloc'd buffer (NUL added); NULL
 * when absent. */
char *fuzz_file_get(const char *name, size_t *size);

/* Points stderr (the FILE, not fd 2: a sanitizer report still reaches
 * the terminal) at memory until fuzz_stderr_end; returns the old one. */
FILE *fuzz_stderr_begin(char **buf, size_t *len);
/* Puts saved back and aborts unless what was printed is lines of
 * printable text (every byte from hostile input escaped); frees *buf. */
void fuzz_stderr_end(FILE *saved, char **buf, size_t *len);

#endif

/* SPDX-License-Identifier: MIT */
/* PAM stack files (pam.d(5)) for `jwt-helper doctor`: one service's auth
 * chain, read with includes and substacks, and what that chain returns. */
#ifndef PAM_JWT_DOCTOR_PAMSTACK_H
#define PAM_JWT_DOCTOR_PAMSTACK_H

#include <stdbool.h>
#include <stddef.h>

#define PAMSTACK_MAX_DEPTH 8    /* nested include/substack: loops end here */
#define PAMSTACK_MAX_LINES 4096 /* stack lines read for one service, all files */
#define PAMSTACK_MAX_FILE_BYTES (256 * 1024)
#define PAMSTACK_MAX_TOTAL_BYTES (1024 * 1024) /* read for one service, all files */
#define PAMSTACK_MAX_ARGS 64

/* The module returns doctor models, and the actions of pam.d(5). */
enum pamstack_ret { PAMSTACK_SUCCESS, PAMSTACK_AUTH_ERR, PAMSTACK_IGNORE, PAMSTACK_N_RETS };
#define PAMSTACK_ACT_IGNORE 0
#define PAMSTACK_ACT_OK (-1)
#define PAMSTACK_ACT_DONE (-2)
#define PAMSTACK_ACT_BAD (-3)
#define PAMSTACK_ACT_DIE (-4)
#define PAMSTACK_ACT_RESET (-5)
/* A positive action skips that many of the following modules. */

struct pamstack_chain;

/* One auth line: a module, or a substack (sub set, module NULL). */
struct pamstack_entry {
    const char *file; /* the stack file's path (owned by the chain) */
    size_t line;
    char *module; /* base name, "pam_unix.so" */
    char **argv;  /* module arguments, brackets taken off */
    int argc;
    int act[PAMSTACK_N_RETS];
    struct pamstack_chain *sub;
};

struct pamstack_chain {
    struct pamstack_entry *entries;
    size_t n;
    char **files; /* paths the entries point at */
    size_t n_files;
};

/* Reads the stack file at path (dir/NAME for a relative NAME, as libpam
 * resolves an include; an absolute NAME as it is). Returns 0 with *text
 * malloc'd and NUL-terminated (the caller frees), -1 when it cannot (the
 * reader reports why). */
typedef int (*pamstack_read_fn)(void *ctx, const char *path, char **text, size_t *len);
/* Receives one problem of the file at path, at line (0: the whole file). */
typedef void (*pamstack_report_fn)(void *ctx, const char *path, size_t line, const char *message);

struct pamstack_source {
    const char *dir; /* "/etc/pam.d" */
    pamstack_read_fn read;
    pamstack_report_fn report;
    void *ctx;
};

/* Builds service's auth chain: its file, @include and include inlined,
 * substacks as one entry each; other types skipped. Each line it cannot
 * parse is reported and left out; nesting beyond PAMSTACK_MAX_DEPTH, more
 * than PAMSTACK_MAX_LINES lines and PAMSTACK_MAX_TOTAL_BYTES are reported
 * and cut. Returns 0 with
 * *out filled (pamstack_chain_free), -1 when out of memory or service's own
 * file cannot be read. */
int pamstack_build(const struct pamstack_source *src, const char *service,
                   struct pamstack_chain **out) __attribute__((warn_unused_result));
/* Frees chain and everything it owns; NULL is a no-op. */
void pamstack_chain_free(struct pamstack_chain *chain);

/* What one module returns in the case being judged. */
typedef enum pamstack_ret (*pamstack_module_fn)(void *ctx, const struct pamstack_entry *e);

/* Runs chain as libpam's dispatcher does (impression and status, jumps,
 * done/die; a substack counts as one module whose done/die stay inside it)
 * with each module returning what module_ret says. Returns true when the
 * chain as a whole returns PAM_SUCCESS. */
bool pamstack_succeeds(const struct pamstack_chain *chain, pamstack_module_fn module_ret,
                       void *ctx);

/* Calls visit for every module entry of chain, substacks included. */
void pamstack_each_module(const struct pamstack_chain *chain,
                          void (*visit)(void *ctx, const struct pamstack_entry *e), void *ctx);

#endif

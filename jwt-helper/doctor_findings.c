/* SPDX-License-Identifier: MIT */
/* `jwt-helper doctor`'s output: one line per finding, then the summary. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "doctor.h"

/* Returns true when line was printed before; else remembers it (when
 * memory allows: printing twice beats printing nothing). */
static bool
already_said(struct doctor *d, const char *line)
{
    char **grown;

    for (size_t i = 0; i < d->n_seen; i++)
        if (strcmp(d->seen[i], line) == 0)
            return true;
    if ((grown = realloc(d->seen, (d->n_seen + 1) * sizeof(*grown))) == NULL)
        return false;
    d->seen = grown;
    if ((grown[d->n_seen] = strdup(line)) != NULL)
        d->n_seen++;
    return false;
}

void
doctor_finding(struct doctor *d, enum doctor_level level, const char *path, size_t line,
               const char *fmt, ...)
{
    char where[64] = "", message[1024], text[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    if (line != 0)
        snprintf(where, sizeof(where), ":%zu", line);
    snprintf(text, sizeof(text), "%s: %s%s%s%s", level == DOCTOR_ERROR ? "error" : "warning",
             path != NULL ? path : "", where, path != NULL ? ": " : "", message);
    if (already_said(d, text))
        return;
    if (level == DOCTOR_ERROR)
        d->errors++;
    else
        d->warnings++;
    cli_print_escaped(stdout, text);
    putchar('\n');
}

bool
doctor_path_has_error(const struct doctor *d, const char *path)
{
    size_t len = strlen(path);

    for (size_t i = 0; i < d->n_seen; i++)
        if (strncmp(d->seen[i], "error: ", 7) == 0 && strncmp(d->seen[i] + 7, path, len) == 0 &&
            d->seen[i][7 + len] == ':')
            return true;
    return false;
}

void
doctor_unreadable(struct doctor *d, const char *path, const char *reason, const char *check)
{
    d->unreadable++;
    fputs("jwt-helper doctor: cannot read ", stderr);
    cli_print_escaped(stderr, path);
    fputs(": ", stderr);
    cli_print_escaped(stderr, reason);
    fprintf(stderr, "; not checked: %s\n", check);
}

/* Joins words with single spaces into a malloc'd string. */
static char *
join_words(char *const *words, size_t n)
{
    size_t len = 1;
    char *out;

    for (size_t i = 0; i < n; i++)
        len += strlen(words[i]) + 1;
    if ((out = malloc(len)) == NULL)
        return NULL;
    len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t w = strlen(words[i]);
        if (i > 0)
            out[len++] = ' ';
        memcpy(out + len, words[i], w);
        len += w;
    }
    out[len] = '\0';
    return out;
}

void
doctor_need_add(struct doctor *d, const char *service, char *const *scopes, size_t n)
{
    struct doctor_need *grown;
    char *scope = join_words(scopes, n), *name = strdup(service);

    for (size_t i = 0; scope != NULL && i < d->n_needs; i++)
        if (strcmp(d->needs[i].service, service) == 0 && strcmp(d->needs[i].scope, scope) == 0)
            goto out;
    if (scope == NULL || name == NULL ||
        (grown = realloc(d->needs, (d->n_needs + 1) * sizeof(*grown))) == NULL)
        goto out;
    d->needs = grown;
    d->needs[d->n_needs++] = (struct doctor_need){name, scope};
    name = scope = NULL; /* d holds them */
out:
    free(name);
    free(scope);
}

void
doctor_reaching_add(struct doctor *d, const char *service)
{
    char **grown, *name;

    if (doctor_is_reaching(d, service) || (name = strdup(service)) == NULL)
        return;
    if ((grown = realloc(d->reaching, (d->n_reaching + 1) * sizeof(*grown))) == NULL) {
        free(name);
        return;
    }
    d->reaching = grown;
    d->reaching[d->n_reaching++] = name;
}

bool
doctor_is_reaching(const struct doctor *d, const char *service)
{
    for (size_t i = 0; i < d->n_reaching; i++)
        if (strcmp(d->reaching[i], service) == 0)
            return true;
    return false;
}

int
doctor_finish(struct doctor *d)
{
    int rc = d->unreadable > 0 ? CLI_EXIT_CONFIG : d->errors > 0 ? CLI_EXIT_REJECTED : CLI_EXIT_OK;

    printf("doctor: %zu error%s, %zu warning%s", d->errors, d->errors == 1 ? "" : "s", d->warnings,
           d->warnings == 1 ? "" : "s");
    if (d->unreadable > 0)
        printf(", %zu file%s not read (see stderr)", d->unreadable, d->unreadable == 1 ? "" : "s");
    putchar('\n');
    for (size_t i = 0; i < d->n_seen; i++)
        free(d->seen[i]);
    free(d->seen);
    for (size_t i = 0; i < d->n_needs; i++) {
        free(d->needs[i].service);
        free(d->needs[i].scope);
    }
    free(d->needs);
    for (size_t i = 0; i < d->n_reaching; i++)
        free(d->reaching[i]);
    free(d->reaching);
    memset(d, 0, sizeof(*d));
    return rc;
}

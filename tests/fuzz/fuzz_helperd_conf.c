/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for jwt-helperd's config: the input is parsed as text
 * (helperd_conf_parse) and read as a file (helperd_conf_load), and every
 * accepted configuration is checked against the promises of helperd_conf.h. */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helperd.h" /* helperd_delay_seconds */
#include "helperd_conf.h"
#include "helperd_tokens.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char conf_dir[PATH_MAX - 32];
static char conf_path[PATH_MAX];

/* Reports go nowhere, but every byte of each message is read so that a
 * message built from uninitialised or freed memory shows up under ASan. */
static void
report_discard(void *ctx, const char *message)
{
    size_t *total = ctx;

    *total += strlen(message);
}

static void
remove_dir(void)
{
    unlink(conf_path);
    rmdir(conf_dir);
}

static void
setup_once(void)
{
    const char *base = getenv("TMPDIR");

    if (conf_path[0] != '\0')
        return;
    snprintf(conf_dir, sizeof conf_dir, "%s/fuzz_helperd_conf.XXXXXX",
             base != NULL ? base : "/tmp");
    if (mkdtemp(conf_dir) == NULL) {
        perror("mkdtemp");
        abort();
    }
    snprintf(conf_path, sizeof conf_path, "%s/jwt-helperd.conf", conf_dir);
    atexit(remove_dir);
}

/* A fresh file each time: rewriting one with O_TRUNC makes ext4 flush it
 * on close (auto_da_alloc), which costs most of the run time. */
static void
write_conf(const uint8_t *data, size_t size)
{
    int fd;

    unlink(conf_path);
    fd = open(conf_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size)) {
        perror(conf_path);
        abort();
    }
    close(fd);
}

static bool
is_path(const char *p)
{
    return p != NULL && p[0] == '/';
}

/* Aborts when an accepted configuration breaks a documented bound. */
/* The host:* rule on the input's first bytes: it never reads past them. */
static void
host_check(const uint8_t *data, size_t size)
{
    char want[HELPERD_TOKENS_HOST_AUD_SIZE + 8];
    size_t n = size < sizeof want - 1 ? size : sizeof want - 1;

    memcpy(want, data, n);
    want[n] = '\0';
    (void)helperd_tokens_audience_is_host(want);
}

static void
check_accepted(const struct helperd_conf *c, const uint8_t *data, size_t size)
{
    if (c->issuer == NULL || c->audience == NULL || c->n_audiences == 0 ||
        c->n_audiences > HELPERD_CONF_MAX_AUDIENCES || strcmp(c->audiences[0], c->audience) != 0)
        abort();
    for (size_t i = 1; i < c->n_audiences; i++)
        if (strcmp(c->audiences[i], c->audience) == 0)
            abort();
    if (c->access_ttl < 60 || c->access_ttl > 86400 || c->refresh_ttl < 0 ||
        (c->refresh_ttl != 0 && c->refresh_ttl < c->access_ttl))
        abort();
    if (c->max_clients < 1 || c->max_clients > 4096 || c->max_clients_per_uid < 1 ||
        c->max_clients_per_uid > c->max_clients || c->idle_timeout < 1 || c->idle_timeout > 3600 ||
        c->login_delay > HELPERD_CONF_LOGIN_DELAY_CAP || c->max_hashes < 1 || c->max_hashes > 16)
        abort();
    if (!is_path(c->jwks) || !is_path(c->signing_key) || !is_path(c->refresh_key) ||
        !is_path(c->users) || !is_path(c->revocation) || !is_path(c->socket) ||
        strlen(c->socket) > HELPERD_CONF_SOCKET_MAX)
        abort();
    if (c->user == NULL || strcmp(c->user, "root") == 0 || c->n_default_scope == 0 ||
        c->n_default_scope > CONF_MAX_LIST)
        abort();
    /* '*' only as the audiences entry host:*, never in what is issued. */
    if (strchr(c->audience, '*') != NULL)
        abort();
    for (size_t i = 1; i < c->n_audiences; i++)
        if (strchr(c->audiences[i], '*') != NULL &&
            strcmp(c->audiences[i], HELPERD_TOKENS_ANY_HOST) != 0)
            abort();
    if (c->revocation_keep <= c->access_ttl + CONF_MAX_LEEWAY)
        abort();
    host_check(data, size);
    if (helperd_delay_seconds(c->login_delay, size < 100 ? (unsigned)size : 100u) >
        HELPERD_CONF_LOGIN_DELAY_CAP)
        abort();
}

static void
check_and_free(conf_result r, struct helperd_conf *c, const uint8_t *data, size_t size)
{
    if (r != CONF_OK) {
        if (c != NULL)
            abort(); /* a refused load hands back nothing */
        return;
    }
    if (c == NULL)
        abort();
    check_accepted(c, data, size);
    helperd_conf_free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct helperd_conf *c = NULL;
    size_t total = 0;
    conf_result r, from_file;

    setup_once();
    r = helperd_conf_parse((const char *)data, size, "fuzz.conf", report_discard, &total, &c);
    check_and_free(r, c, data, size);
    write_conf(data, size);
    from_file = helperd_conf_load(conf_path, true, report_discard, &total, &c);
    check_and_free(from_file, c, data, size);
    /* The file is the same text: both must reach the same verdict. */
    if (size <= CONF_MAX_FILE_BYTES && from_file != r)
        abort();
    return 0;
}

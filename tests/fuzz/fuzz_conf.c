/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for conf_load: the input is read once as pam_jwt.conf
 * (default path and config=, for services a block may name and for none)
 * and once as NUL-separated module arguments. */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char conf_dir[PATH_MAX - 32];
static char conf_path[PATH_MAX];
static char config_arg[PATH_MAX + 8];

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
    snprintf(conf_dir, sizeof conf_dir, "%s/fuzz_conf.XXXXXX", base != NULL ? base : "/tmp");
    if (mkdtemp(conf_dir) == NULL) {
        perror("mkdtemp");
        abort();
    }
    snprintf(conf_path, sizeof conf_path, "%s/pam_jwt.conf", conf_dir);
    snprintf(config_arg, sizeof config_arg, "config=%s", conf_path);
    atexit(remove_dir);
}

/* A fresh file each time: rewriting one with O_TRUNC makes ext4 flush it
 * to disk on close (auto_da_alloc), which costs most of the run time. */
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

/* Checks conf_load's promises: a refused load leaves *c empty; an accepted
 * one never allows HS256 and keeps its bounds. */
static void
check_and_free(conf_result r, struct conf *c)
{
    static const struct conf zero;
    struct jwt_policy policy;

    if (r != CONF_OK) {
        if (memcmp(c, &zero, sizeof zero) != 0)
            abort();
        conf_free(c);
        return;
    }
    if (c->algs == 0 || (c->algs & ~JWT_ALGS_ACCESS) != 0 || c->leeway > 3600 ||
        c->max_token_len < 16 || c->max_token_len > JWT_HARD_MAX_TOKEN_LEN || c->prompt == NULL ||
        c->n_typs == 0 || (c->jwks == NULL && c->key == NULL))
        abort();
    conf_policy(c, &policy);
    conf_free(c);
}

/* Splits data at NUL bytes into argv; an argument naming an absolute
 * config= path is pointed at our own file so the harness never reads
 * elsewhere on the machine. */
static int
split_args(char *copy, size_t size, const char **argv)
{
    int argc = 0;
    size_t start = 0;

    for (size_t i = 0; i <= size && argc < MAX_ARGS; i++) {
        if (i < size && copy[i] != '\0')
            continue;
        copy[i] = '\0';
        argv[argc] = copy + start;
        if (strncmp(argv[argc], "config=/", 8) == 0)
            argv[argc] = config_arg;
        argc++;
        start = i + 1;
    }
    return argc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *argv[MAX_ARGS];
    const char *one[1];
    struct conf c;
    size_t total = 0;
    char *copy;
    int argc;

    setup_once();
    write_conf(data, size);
    /* As one service that a block may name, and with no service at all. */
    check_and_free(conf_load(&c, conf_path, "sshd", 0, NULL, report_discard, &total), &c);
    check_and_free(conf_load(&c, conf_path, NULL, 0, NULL, report_discard, &total), &c);
    one[0] = config_arg;
    check_and_free(conf_load(&c, NULL, "sudo", 1, one, report_discard, &total), &c);

    if ((copy = malloc(size + 1)) == NULL)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    argc = split_args(copy, size, argv);
    check_and_free(conf_load(&c, conf_path, "login", argc, argv, report_discard, &total), &c);
    free(copy);
    return 0;
}

/* SPDX-License-Identifier: MIT */
/* `jwt-helper keygen`: creates signing.jwk, refresh.key and jwks.json (jwt-helper(1), keygen).
 *
 * MUST:
 * 1. never replace an existing file without --force, and then write nothing
 *    at all (every existing file is named before any file is touched);
 *    --if-absent (the daemon's first start) succeeds without writing when
 *    all three exist and refuses a partial set, naming what is missing,
 *    rather than pair a new signing key with another key set;
 * 2. give secret files their final mode at creation: they never exist, even
 *    empty, with a looser one;
 * 3. never leave a torn file: each is a temp file in the same directory,
 *    written and fsynced, then renamed over the name, then the directory is
 *    fsynced; on failure the temps are removed. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "atomic_file.h"
#include "cli.h"
#include "helperd_tokens.h" /* HELPERD_TOKENS_SECRET_BYTES: what the daemon reads */
#include "jwt.h"
#include "secret.h"
#include "signer.h"

/* RSA size for RS256/PS256 keys: 3072 bits (NIST SP 800-57's size for use
 * beyond 2030); keygen is rare, so its second of generation does not matter. */
#define KEYGEN_RSA_BITS 3072
#define KEYGEN_DEFAULT_DIR "/etc/jwt-helper"

struct keygen_opts {
    enum jwt_alg alg;
    const char *dir;
    bool force;
    bool if_absent;
};

/* One file to create: its contents and, once made, its temp name. */
struct out_file {
    const char *name;
    char *data;
    size_t len;
    mode_t mode;
    bool secret; /* wipe data; group _jwt-helper */
    char *tmp;   /* the written temporary file, until renamed or removed */
};

enum { F_SIGNING, F_REFRESH, F_JWKS, F_COUNT };

static void
usage(FILE *f)
{
    fputs("usage: jwt-helper keygen [--alg EdDSA|ES256|RS256] [--dir DIR] [--force|--if-absent]\n",
          f);
}

/* Returns -1 to go on, else an exit code. */
static int
parse_args(int argc, char **argv, struct keygen_opts *o)
{
    static const struct option longopts[] = {
        {"alg", required_argument, NULL, 'a'},    {"dir", required_argument, NULL, 'd'},
        {"force", no_argument, NULL, 'f'},        {"if-absent", no_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},         {"config", required_argument, NULL, 'c'},
        {"socket", required_argument, NULL, 's'}, {NULL, 0, NULL, 0},
    };
    int c;

    o->alg = JWT_ALG_EDDSA;
    o->dir = KEYGEN_DEFAULT_DIR;
    o->force = false;
    o->if_absent = false;
    optind = 0; /* glibc: full re-initialisation, argv[0] is the verb */
    while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
        switch (c) {
        case 'a':
            if (!jwt_alg_from_name(optarg, &o->alg) || o->alg == JWT_ALG_HS256) {
                fprintf(stderr, "jwt-helper keygen: unsupported alg \"%s\" (EdDSA, ES256, RS256)\n",
                        optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'd':
            o->dir = optarg;
            break;
        case 'f':
            o->force = true;
            break;
        case 'i':
            o->if_absent = true;
            break;
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        case 'c': /* global options: keygen uses only --dir (jwt-helper(1), GLOBAL OPTIONS) */
        case 's':
            break;
        default:
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind != argc || o->dir[0] == '\0' || (o->force && o->if_absent)) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    return -1;
}

/* Opens dir, creating it (0755, jwt-helperd(8) FILES) when only it is missing. */
static int
dir_open(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0 && errno == ENOENT && mkdir(dir, 0755) == 0) {
        printf("created directory %s\n", dir);
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (fd < 0)
        fprintf(stderr, "jwt-helper keygen: %s: %s\n", dir, strerror(errno));
    return fd;
}

/* MUST 1: returns 0 when the files are to be written (none exists, or
 * --force), KEYGEN_NOTHING_TO_DO when --if-absent finds all three, else an
 * exit code. */
#define KEYGEN_NOTHING_TO_DO (-1)
static int
refuse_existing(int dfd, const struct keygen_opts *o, const struct out_file *files)
{
    bool exists[F_COUNT];
    struct stat st;
    int count = 0;

    for (int i = 0; i < F_COUNT; i++) {
        exists[i] = fstatat(dfd, files[i].name, &st, AT_SYMLINK_NOFOLLOW) == 0;
        if (!exists[i] && errno != ENOENT) {
            fprintf(stderr, "jwt-helper keygen: %s/%s: %s\n", o->dir, files[i].name,
                    strerror(errno));
            return CLI_EXIT_CONFIG;
        }
        count += exists[i];
    }
    if (count == 0 || o->force)
        return 0;
    if (o->if_absent && count == F_COUNT) {
        printf("keys exist in %s; nothing to do\n", o->dir);
        return KEYGEN_NOTHING_TO_DO;
    }
    for (int i = 0; i < F_COUNT; i++) {
        if (o->if_absent && !exists[i])
            /* A partial set: a crash between renames, or a key set copied in
             * for verification. A fresh signing key would not match it. */
            fprintf(stderr,
                    "jwt-helper keygen: %s/%s is missing while other keys exist; "
                    "restore it, or remove the others to start afresh\n",
                    o->dir, files[i].name);
        else if (!o->if_absent && exists[i])
            fprintf(stderr, "jwt-helper keygen: %s/%s exists; use --force to replace it\n", o->dir,
                    files[i].name);
    }
    return o->if_absent ? CLI_EXIT_CONFIG : CLI_EXIT_REJECTED;
}

static char *
text_with_newline(const char *text, size_t *len)
{
    size_t n = strlen(text);
    char *s = malloc(n + 2);

    if (s == NULL)
        return NULL;
    memcpy(s, text, n);
    s[n] = '\n';
    s[n + 1] = '\0';
    *len = n + 1;
    return s;
}

/* {"keys":[the public JWK with kid, alg and "use":"sig"]} */
static jwt_result
jwks_text(const struct signer *s, struct out_file *f)
{
    struct jwt_jwk *pub = NULL;
    struct json_object *set = NULL, *keys = NULL, *key = NULL, *use = NULL;
    const char *text;
    jwt_result r;

    if ((r = signer_public_jwk(s, &pub)) != JWT_OK)
        goto out;
    r = JWT_ERR_NOMEM;
    if ((set = json_object_new_object()) == NULL || (keys = json_object_new_array()) == NULL ||
        json_object_object_add(set, "keys", keys) != 0) {
        json_object_put(keys);
        goto out;
    }
    if ((key = jwt_jwk_to_json(pub)) == NULL || json_object_array_add(keys, key) != 0) {
        json_object_put(key);
        goto out;
    }
    if ((use = json_object_new_string("sig")) == NULL ||
        json_object_object_add(key, "use", use) != 0) {
        json_object_put(use);
        goto out;
    }
    text = json_object_to_json_string_ext(set,
                                          JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (text != NULL && (f->data = text_with_newline(text, &f->len)) != NULL)
        r = JWT_OK;
out:
    json_object_put(set);
    jwt_jwk_free(pub);
    return r;
}

static jwt_result
refresh_text(struct out_file *f)
{
    unsigned char key[HELPERD_TOKENS_SECRET_BYTES];
    char *b64;

    randombytes_buf(key, sizeof key);
    b64 = jwt_b64url_encode(key, sizeof key); /* 43 characters, jwt-helperd(8) FILES */
    sodium_memzero(key, sizeof key);
    if (b64 == NULL)
        return JWT_ERR_NOMEM;
    f->data = text_with_newline(b64, &f->len);
    secret_free_str(b64);
    return f->data == NULL ? JWT_ERR_NOMEM : JWT_OK;
}

/* The file we are about to write must load back as the same key. */
static jwt_result
signing_text(const struct signer *s, struct out_file *f)
{
    struct signer *again = NULL;
    char *text = NULL;
    jwt_result r;

    if ((r = signer_private_jwk_json(s, &text)) != JWT_OK)
        goto out;
    if ((r = signer_from_jwk_json(text, strlen(text), &again)) != JWT_OK)
        goto out;
    r = JWT_ERR_INTERNAL;
    if (strcmp(signer_kid(again), signer_kid(s)) != 0 || signer_alg(again) != signer_alg(s))
        goto out;
    r = (f->data = text_with_newline(text, &f->len)) == NULL ? JWT_ERR_NOMEM : JWT_OK;
out:
    signer_free(again);
    secret_free_str(text);
    return r;
}

static int
make_contents(const struct keygen_opts *o, struct out_file *files, char *kid, size_t kid_size)
{
    struct signer *s = NULL;
    jwt_result r;

    if ((r = signer_generate(o->alg, KEYGEN_RSA_BITS, &s)) != JWT_OK ||
        (r = signing_text(s, &files[F_SIGNING])) != JWT_OK ||
        (r = refresh_text(&files[F_REFRESH])) != JWT_OK ||
        (r = jwks_text(s, &files[F_JWKS])) != JWT_OK) {
        fprintf(stderr, "jwt-helper keygen: cannot make a %s key: %s\n", jwt_alg_name(o->alg),
                jwt_result_str(r));
        signer_free(s);
        return CLI_EXIT_CONFIG;
    }
    snprintf(kid, kid_size, "%s", signer_kid(s));
    signer_free(s);
    return 0;
}

/* MUST 2 and 3: every temporary file, complete and on disk with its final
 * mode and group, before any is renamed (atomic_file.c writes them). */
static int
temps_write(int dfd, struct out_file *files, gid_t gid, int *failed)
{
    for (int i = 0; i < F_COUNT; i++) {
        files[i].tmp =
            atomic_file_temp_write_at(dfd, files[i].name, files[i].data, files[i].len,
                                      files[i].mode, (uid_t)-1, files[i].secret ? gid : (gid_t)-1);
        if (files[i].tmp == NULL) {
            *failed = i;
            return -1;
        }
    }
    return 0;
}

static void
temps_remove(int dfd, struct out_file *files)
{
    for (int i = 0; i < F_COUNT; i++) {
        if (files[i].tmp != NULL)
            (void)unlinkat(dfd, files[i].tmp, 0);
        free(files[i].tmp);
        files[i].tmp = NULL;
    }
}

static int
files_write(int dfd, const struct keygen_opts *o, struct out_file *files, gid_t gid)
{
    int i = 0;

    if (temps_write(dfd, files, gid, &i) != 0)
        goto fail;
    for (i = 0; i < F_COUNT; i++) {
        /* without --force, a file that appeared since the check is not replaced */
        if (renameat2(dfd, files[i].tmp, dfd, files[i].name, o->force ? 0 : RENAME_NOREPLACE) != 0)
            goto fail;
        free(files[i].tmp);
        files[i].tmp = NULL;
    }
    if (fsync(dfd) != 0) {
        fprintf(stderr, "jwt-helper keygen: %s: fsync: %s\n", o->dir, strerror(errno));
        return CLI_EXIT_CONFIG;
    }
    return 0;
fail:
    fprintf(stderr, "jwt-helper keygen: %s/%s: %s\n", o->dir, files[i].name, strerror(errno));
    temps_remove(dfd, files);
    return CLI_EXIT_CONFIG;
}

static gid_t
daemon_gid(const struct keygen_opts *o)
{
    const struct group *gr = getgrnam(JWT_DAEMON_USER);

    if (gr != NULL)
        return gr->gr_gid;
    fprintf(
        stderr,
        "jwt-helper keygen: warning: group %s does not exist; %s/signing.jwk and "
        "refresh.key keep their group: create it, then chgrp both so the daemon can read them\n",
        JWT_DAEMON_USER, o->dir);
    return (gid_t)-1;
}

static void
report(const struct keygen_opts *o, const struct out_file *files, const char *kid)
{
    printf("wrote %s/%s (%s key, kid %s, mode %04o)\n", o->dir, files[F_SIGNING].name,
           jwt_alg_name(o->alg), kid, (unsigned)files[F_SIGNING].mode);
    printf("wrote %s/%s (mode %04o)\n", o->dir, files[F_REFRESH].name,
           (unsigned)files[F_REFRESH].mode);
    printf("wrote %s/%s (mode %04o)\n", o->dir, files[F_JWKS].name, (unsigned)files[F_JWKS].mode);
}

int
cli_keygen(int argc, char **argv)
{
    struct keygen_opts o;
    struct out_file files[F_COUNT] = {
        [F_SIGNING] = {.name = "signing.jwk", .mode = 0640, .secret = true},
        [F_REFRESH] = {.name = "refresh.key", .mode = 0640, .secret = true},
        [F_JWKS] = {.name = "jwks.json", .mode = 0644, .secret = false},
    };
    char kid[SIGNER_KID_LEN + 1] = "";
    int dfd = -1, rc;

    if ((rc = parse_args(argc, argv, &o)) >= 0)
        return rc;
    if (sodium_init() < 0) {
        fputs("jwt-helper keygen: cannot initialise libsodium\n", stderr);
        return CLI_EXIT_CONFIG;
    }
    if ((dfd = dir_open(o.dir)) < 0) {
        rc = CLI_EXIT_CONFIG;
        goto out;
    }
    if ((rc = refuse_existing(dfd, &o, files)) != 0) {
        if (rc == KEYGEN_NOTHING_TO_DO)
            rc = CLI_EXIT_OK;
        goto out;
    }
    if ((rc = make_contents(&o, files, kid, sizeof kid)) != 0)
        goto out;
    if ((rc = files_write(dfd, &o, files, daemon_gid(&o))) != 0)
        goto out;
    report(&o, files, kid);
    rc = CLI_EXIT_OK;
out:
    for (int i = 0; i < F_COUNT; i++) {
        if (files[i].secret)
            secret_free(files[i].data, files[i].len);
        else
            free(files[i].data);
    }
    if (dfd >= 0)
        close(dfd);
    return rc;
}

/* SPDX-License-Identifier: MIT */
/* `jwt-helper keys rotate|activate|prune`: key rotation in two steps and
 * the pruning of retired public keys (jwt-helper(1), keys rotate|activate|prune).
 *
 *   rotate    makes the next signing key: its public half goes into
 *             jwks.json, its private half into <signing_key>.next; the
 *             daemon keeps signing with the current key
 *   activate  moves the next key into signing_key, waits until the daemon's
 *             status names it, and only then marks every other key
 *             "retired" at that instant
 *   prune     drops retired keys once no token they signed can be valid
 *
 * MUST:
 * 1. write jwks.json before any private key it must verify: every verifier
 *    must know a key before anything is signed with it;
 * 2. mark a key retired only once the daemon signs with another (or none
 *    runs): a retired key's new tokens are refused everywhere;
 * 3. never prune the key the running daemon signs with (its status; with no
 *    daemon, signing_key's), nor the pending next key, nor a key whose
 *    tokens may still be valid (retired + access_ttl + the largest leeway
 *    a verifier accepts not yet past);
 * 4. never overwrite a jwks.json that does not parse, and write only a set
 *    the core's own parser accepts;
 * 5. give private keys signing.jwk's owner, group and mode (0640) at
 *    creation, replace files atomically, and serialise the verbs (a lock on
 *    jwks.json's directory) so two runs never lose a key;
 * 6. leave activate safe to run again after any failure. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "atomic_file.h"
#include "cli.h"
#include "helperd_conf.h"
#include "jwt.h"
#include "keys_retired.h"
#include "proto.h"
#include "secret.h"
#include "signer.h"

/* As keygen: 3072-bit RSA (NIST SP 800-57 beyond 2030). */
#define KEYS_RSA_BITS 3072
/* The next key waits beside signing_key under this suffix. */
#define KEYS_NEXT_SUFFIX ".next"
/* activate waits this long for the daemon to sign with the new key; the
 * daemon looks at its key files at each request, so it takes one status. */
#define KEYS_ACTIVATE_WAIT_MS 10000
#define KEYS_POLL_MS 100
#define KEYS_STATUS_TIMEOUT_MS 2000

struct keys_args {
    const char *config;
    const char *socket; /* --socket; else JWT_HELPER_SOCKET, else the config's socket */
    const char *sub;    /* "rotate", "activate" or "prune" */
    bool has_alg;
    enum jwt_alg alg;
};

/* jwks.json as text (validated by the core) and as a json-c tree. */
struct keyset {
    char *text;
    size_t len;
    struct json_object *root;
    struct json_object *keys; /* borrowed from root */
};

static void
usage(FILE *f)
{
    fputs("usage: jwt-helper keys rotate [--alg EdDSA|ES256|RS256]\n"
          "       jwt-helper keys activate\n"
          "       jwt-helper keys prune\n"
          "must be run as root; global options --config PATH (jwt-helperd.conf: jwks, "
          "signing_key, access_ttl, socket) and --socket PATH (the daemon asked for the key "
          "it signs with)\n",
          f);
}

/* Returns -1 when o has been filled, else the exit code. */
static int
parse_args(int argc, char **argv, struct keys_args *o)
{
    static const struct option longopts[] = {
        {"alg", required_argument, NULL, 'a'},
        {"config", required_argument, NULL, 'c'},
        {"socket", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    memset(o, 0, sizeof(*o));
    optind = 0; /* glibc: full re-initialisation, argv[0] is the verb */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'a':
            if (!jwt_alg_from_name(optarg, &o->alg) || o->alg == JWT_ALG_HS256) {
                fputs("jwt-helper keys: unsupported alg (EdDSA, ES256, RS256)\n", stderr);
                return CLI_EXIT_USAGE;
            }
            o->has_alg = true;
            break;
        case 'c':
            o->config = optarg;
            break;
        case 's':
            o->socket = optarg;
            break;
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        default:
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind != argc - 1 ||
        (strcmp(argv[optind], "rotate") != 0 && strcmp(argv[optind], "activate") != 0 &&
         strcmp(argv[optind], "prune") != 0) ||
        (o->has_alg && strcmp(argv[optind], "rotate") != 0)) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    o->sub = argv[optind];
    return -1;
}

/* MUST 5: an flock on the directory holding jwks.json (no lock file left in
 * /etc/jwt-helper). Returns the descriptor, or -1 after saying why. */
static int
dir_lock(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash == NULL   ? strdup(".")
                : slash == path ? strdup("/")
                                : strndup(path, (size_t)(slash - path));
    int fd = -1;

    if (dir == NULL) {
        fputs("jwt-helper keys: out of memory\n", stderr);
        return -1;
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    while (fd >= 0 && flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            close(fd);
            fd = -1;
        }
    }
    if (fd < 0)
        fprintf(stderr, "jwt-helper keys: %s: %s\n", dir, strerror(errno));
    free(dir);
    return fd;
}

static void
dir_unlock(int fd)
{
    if (fd >= 0) {
        (void)flock(fd, LOCK_UN);
        close(fd);
    }
}

static void
keyset_free(struct keyset *ks)
{
    json_object_put(ks->root);
    free(ks->text);
    memset(ks, 0, sizeof(*ks));
}

/* MUST 4: reads jwks.json and refuses it unless the core parses it. Returns
 * -1, or the exit code after saying why. */
static int
keyset_read(const char *path, struct keyset *ks)
{
    struct jwt_jwks *set = NULL;
    jwt_result r;

    memset(ks, 0, sizeof(*ks));
    if ((r = jwt_file_read(path, JWT_MAX_JWKS_BYTES, -1, &ks->text, &ks->len)) != JWT_OK) {
        fprintf(stderr, "jwt-helper keys: key set %s: %s%s%s\n", path, jwt_result_str(r),
                r == JWT_ERR_FILE_OPEN ? ": " : "", r == JWT_ERR_FILE_OPEN ? strerror(errno) : "");
        return CLI_EXIT_CONFIG;
    }
    if ((r = jwt_jwks_parse(ks->text, ks->len, &set)) != JWT_OK ||
        (r = jwt_json_parse_object(ks->text, ks->len, &ks->root)) != JWT_OK) {
        fprintf(stderr, "jwt-helper keys: key set %s: %s; left as it is\n", path,
                jwt_result_str(r));
        jwt_jwks_free(set);
        return CLI_EXIT_CONFIG;
    }
    jwt_jwks_free(set);
    /* jwt_jwks_parse has checked that "keys" is an array. */
    (void)json_object_object_get_ex(ks->root, "keys", &ks->keys);
    return -1;
}

/* The RFC 7638 thumbprint of a signer's public half. */
static jwt_result
signer_thumbprint(const struct signer *s, unsigned char out[32])
{
    struct jwt_jwk *pub = NULL;
    jwt_result r;

    if ((r = signer_public_jwk(s, &pub)) == JWT_OK)
        r = jwt_jwk_thumbprint(pub, out);
    jwt_jwk_free(pub);
    return r;
}

/* True when entry is the public half of the key with thumbprint want. A
 * member the core does not take (another key type) is not it. */
static bool
entry_is_key(const struct json_object *entry, const unsigned char want[32])
{
    struct jwt_jwk *k = NULL;
    unsigned char got[32];
    bool same = false;

    if (jwt_jwk_parse(entry, &k) == JWT_OK && jwt_jwk_thumbprint(k, got) == JWT_OK)
        same = sodium_memcmp(got, want, sizeof(got)) == 0;
    jwt_jwk_free(k);
    return same;
}

/* The entry's kid, or NULL. */
static const char *
entry_kid(const struct json_object *entry)
{
    const char *kid = NULL;

    return jwt_json_get_string(entry, "kid", &kid) == 1 ? kid : NULL;
}

static void
kid_print(FILE *f, const char *kid)
{
    if (kid == NULL)
        fputs("(no kid)", f);
    else
        cli_print_escaped(f, kid);
}

/* Serialises the set as keygen does and checks it with the core's parser;
 * when must_kid is set, that key must be selectable for alg. *text is
 * malloc'd (public). Returns -1 or the exit code. */
static int
keyset_text(const struct keyset *ks, const char *must_kid, enum jwt_alg alg, char **text,
            size_t *len)
{
    const char *s = json_object_to_json_string_ext(ks->root, JSON_C_TO_STRING_PRETTY |
                                                                 JSON_C_TO_STRING_NOSLASHESCAPE);
    struct jwt_jwks *set = NULL;
    struct jwt_jwk *k = NULL;
    size_t n = s != NULL ? strlen(s) : 0;
    jwt_result r;

    *text = NULL;
    if (s == NULL || (*text = malloc(n + 2)) == NULL) {
        fputs("jwt-helper keys: out of memory\n", stderr);
        return CLI_EXIT_CONFIG;
    }
    memcpy(*text, s, n);
    (*text)[n] = '\n';
    (*text)[n + 1] = '\0';
    *len = n + 1;
    r = jwt_jwks_parse(*text, *len, &set);
    if (r == JWT_OK && must_kid != NULL)
        r = jwt_jwks_select(set, must_kid, alg, &k);
    jwt_jwks_free(set);
    if (r != JWT_OK) {
        fprintf(stderr, "jwt-helper keys: the new key set would not load (%s); nothing written\n",
                jwt_result_str(r));
        free(*text);
        *text = NULL;
        return CLI_EXIT_CONFIG;
    }
    return -1;
}

static int
keyset_write(const char *path, const char *text, size_t len)
{
    /* root:root 0644: the public key set (jwt-helperd(8), FILES). */
    if (!atomic_file_replace(path, text, len, 0644, (uid_t)-1, (gid_t)-1)) {
        fprintf(stderr, "jwt-helper keys: %s: %s; left as it was\n", path, strerror(errno));
        return CLI_EXIT_CONFIG;
    }
    return -1;
}

/* ---- the next key's file ---- */

/* <signing_key>.next, malloc'd; NULL (said why) on memory. */
static char *
next_path_of(const char *signing_key)
{
    size_t n = strlen(signing_key) + sizeof KEYS_NEXT_SUFFIX;
    char *p = malloc(n);

    if (p == NULL)
        fputs("jwt-helper keys: out of memory\n", stderr);
    else
        snprintf(p, n, "%s%s", signing_key, KEYS_NEXT_SUFFIX);
    return p;
}

/* True when path exists (as anything: a dangling link must not be replaced
 * unseen either). */
static bool
path_exists(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0 || errno != ENOENT;
}

/* MUST 5: writes a private key with like's owner, group and mode. */
static int
private_write(const char *path, const char *text, size_t len, const struct stat *like)
{
    if (!atomic_file_replace(path, text, len, like->st_mode & 07777, like->st_uid, like->st_gid)) {
        fprintf(stderr, "jwt-helper keys: %s: %s\n", path, strerror(errno));
        return CLI_EXIT_CONFIG;
    }
    return -1;
}

/* stat of a key file, for its owner and mode; says why on failure. */
static int
key_stat(const char *path, struct stat *st)
{
    if (stat(path, st) != 0) {
        fprintf(stderr, "jwt-helper keys: %s: %s\n", path, strerror(errno));
        return CLI_EXIT_CONFIG;
    }
    return -1;
}

static int
key_load(const char *what, const char *path, struct signer **out)
{
    jwt_result r;

    errno = 0;
    if ((r = signer_load(path, out)) != JWT_OK) {
        fprintf(stderr, "jwt-helper keys: %s %s: %s%s%s\n", what, path, jwt_result_str(r),
                r == JWT_ERR_FILE_OPEN ? ": " : "", r == JWT_ERR_FILE_OPEN ? strerror(errno) : "");
        return CLI_EXIT_CONFIG;
    }
    return -1;
}

/* ---- asking the daemon ---- */

enum daemon_answer {
    DAEMON_NONE,   /* nobody listens */
    DAEMON_KID,    /* it named the key it signs with */
    DAEMON_FAILED, /* it answered, but not with a kid: said why */
};

static const char *
socket_of(const struct keys_args *o, const struct helperd_conf *conf)
{
    if (o->socket != NULL || secure_getenv("JWT_HELPER_SOCKET") != NULL)
        return cli_socket_path(o->socket);
    return conf->socket;
}

/* Asks status which key the daemon signs with; kid gets a copy. Only root
 * and the configured daemon user are trusted to answer. */
static enum daemon_answer
daemon_signing_kid(const struct keys_args *o, const struct helperd_conf *conf,
                   char kid[PROTO_MAX_KID + 1])
{
    struct proto_client c = {.socket_path = socket_of(o, conf),
                             .daemon_user = conf->user,
                             .extra_uid = -1,
                             .timeout_ms = KEYS_STATUS_TIMEOUT_MS};
    struct proto_request req = {.op = PROTO_OP_STATUS};
    struct proto_response resp;
    enum daemon_answer a = DAEMON_FAILED;
    proto_result r;

    kid[0] = '\0';
    if ((r = proto_client_call(&c, &req, &resp)) == PROTO_ERR_UNREACHABLE)
        return DAEMON_NONE;
    if (r != PROTO_OK) {
        fprintf(stderr, "jwt-helper keys: jwt-helperd at %s: %s\n", c.socket_path,
                proto_result_str(r));
    } else if (!resp.ok || resp.signing_kid == NULL) {
        fprintf(stderr, "jwt-helper keys: jwt-helperd at %s refused status: ", c.socket_path);
        cli_print_escaped(stderr, resp.error_description != NULL ? resp.error_description : "");
        fputc('\n', stderr);
    } else {
        snprintf(kid, PROTO_MAX_KID + 1, "%s", resp.signing_kid);
        a = DAEMON_KID;
    }
    proto_response_clear(&resp);
    return a;
}

/* The kid the running daemon signs with, or with no daemon the one in
 * signing_key (it signs with that at its next start). -1 or an exit code. */
static int
kid_in_use(const struct keys_args *o, const struct helperd_conf *conf, const struct signer *cur,
           char kid[PROTO_MAX_KID + 1])
{
    switch (daemon_signing_kid(o, conf, kid)) {
    case DAEMON_KID:
        return -1;
    case DAEMON_NONE:
        snprintf(kid, PROTO_MAX_KID + 1, "%s", signer_kid(cur));
        return -1;
    default:
        fputs("jwt-helper keys: cannot tell which key the daemon signs with; nothing changed\n",
              stderr);
        return CLI_EXIT_CONFIG;
    }
}

/* MUST 2: waits (bounded) until the daemon signs with want; *instant is when
 * it was seen doing so (or now, with no daemon). -1 or an exit code. */
static int
daemon_wait_for(const struct keys_args *o, const struct helperd_conf *conf, const char *want,
                int64_t *instant)
{
    const struct timespec poll = {0, KEYS_POLL_MS * 1000000L};
    char kid[PROTO_MAX_KID + 1];

    for (int waited = 0;; waited += KEYS_POLL_MS) {
        switch (daemon_signing_kid(o, conf, kid)) {
        case DAEMON_NONE:
            printf("no jwt-helperd answers at %s: it signs with %s at its next start\n",
                   socket_of(o, conf), want);
            *instant = (int64_t)time(NULL);
            return -1;
        case DAEMON_FAILED:
            fputs("jwt-helper keys: cannot tell which key the daemon signs with; nothing "
                  "retired: run keys activate again once it answers\n",
                  stderr);
            return CLI_EXIT_CONFIG;
        case DAEMON_KID:
            if (strcmp(kid, want) == 0) {
                *instant = (int64_t)time(NULL);
                printf("jwt-helperd signs with %s\n", want);
                return -1;
            }
        }
        if (waited >= KEYS_ACTIVATE_WAIT_MS)
            break;
        (void)nanosleep(&poll, NULL);
    }
    fprintf(stderr,
            "jwt-helper keys: jwt-helperd still signs with %s after %d s, not %s (its log says "
            "why; it must be able to read %s); nothing retired: fix that, then run keys "
            "activate again\n",
            kid, KEYS_ACTIVATE_WAIT_MS / 1000, want, conf->signing_key);
    return CLI_EXIT_CONFIG;
}

/* ---- rotate ---- */

/* Appends the public half of next, with "use":"sig" as keygen writes it. */
static bool
next_append(struct keyset *ks, const struct signer *next)
{
    struct jwt_jwk *pub = NULL;
    struct json_object *key = NULL, *use = NULL;
    bool ok = false;

    if (signer_public_jwk(next, &pub) != JWT_OK || (key = jwt_jwk_to_json(pub)) == NULL)
        goto out;
    if ((use = json_object_new_string("sig")) == NULL || json_object_object_add(key, "use", use)) {
        json_object_put(use);
        goto out;
    }
    if (json_object_array_add(ks->keys, key) != 0)
        goto out;
    key = NULL; /* the array owns it */
    ok = true;
out:
    json_object_put(key);
    jwt_jwk_free(pub);
    return ok;
}

/* True when some entry already carries kid (a thumbprint prefix collision:
 * two keys with one kid would make verifiers try the wrong one). */
static bool
kid_taken(const struct keyset *ks, const char *kid)
{
    size_t n = json_object_array_length(ks->keys);

    for (size_t i = 0; i < n; i++) {
        const char *k = entry_kid(json_object_array_get_idx(ks->keys, i));
        if (k != NULL && strcmp(k, kid) == 0)
            return true;
    }
    return false;
}

/* The entry of ks that is the public half of s, or NULL. */
static struct json_object *
entry_of(const struct keyset *ks, const struct signer *s)
{
    size_t n = json_object_array_length(ks->keys);
    unsigned char thumb[32];

    if (signer_thumbprint(s, thumb) != JWT_OK)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (entry_is_key(json_object_array_get_idx(ks->keys, i), thumb))
            return json_object_array_get_idx(ks->keys, i);
    return NULL;
}

/* The private JWK text of s, checked to load back as the same key (as
 * keygen does). *text is a secret: secret_free(*text, *len). */
static int
signing_text(const struct signer *s, char **text, size_t *len)
{
    struct signer *again = NULL;
    char *json = NULL;
    size_t n;
    int rc = CLI_EXIT_CONFIG;

    *text = NULL;
    if (signer_private_jwk_json(s, &json) != JWT_OK ||
        signer_from_jwk_json(json, strlen(json), &again) != JWT_OK ||
        strcmp(signer_kid(again), signer_kid(s)) != 0 || signer_alg(again) != signer_alg(s))
        goto out;
    n = strlen(json);
    if ((*text = malloc(n + 2)) == NULL)
        goto out;
    memcpy(*text, json, n);
    (*text)[n] = '\n';
    (*text)[n + 1] = '\0';
    *len = n + 1;
    rc = -1;
out:
    if (rc >= 0)
        fputs("jwt-helper keys: cannot serialise the new signing key\n", stderr);
    signer_free(again);
    secret_free_str(json);
    return rc;
}

/* Makes the next key and adds its public half to ks. */
static int
rotate_prepare(const struct keys_args *o, const struct signer *cur, struct keyset *ks,
               struct signer **next)
{
    jwt_result r;

    if (entry_of(ks, cur) == NULL) {
        fprintf(stderr,
                "jwt-helper keys: the key set does not hold the current signing key (kid %s): "
                "its tokens cannot be checked; fix the setup (keygen --force) first\n",
                signer_kid(cur));
        return CLI_EXIT_CONFIG;
    }
    if (json_object_array_length(ks->keys) >= JWT_MAX_JWKS_KEYS) {
        fprintf(stderr, "jwt-helper keys: the key set holds %d keys already: run keys prune\n",
                JWT_MAX_JWKS_KEYS);
        return CLI_EXIT_CONFIG;
    }
    r = signer_generate(o->has_alg ? o->alg : signer_alg(cur), KEYS_RSA_BITS, next);
    if (r != JWT_OK) {
        fprintf(stderr, "jwt-helper keys: cannot make a key: %s\n", jwt_result_str(r));
        return CLI_EXIT_CONFIG;
    }
    if (kid_taken(ks, signer_kid(*next)) || !next_append(ks, *next)) {
        fputs("jwt-helper keys: cannot add the new key to the set\n", stderr);
        return CLI_EXIT_CONFIG;
    }
    return -1;
}

/* A pending next key is activated or removed first: two would leave no
 * telling which one activate means. */
static int
no_pending(const char *next_path)
{
    if (!path_exists(next_path))
        return -1;
    fprintf(stderr,
            "jwt-helper keys: a next key is pending in %s: run keys activate first (or delete "
            "it to start over)\n",
            next_path);
    return CLI_EXIT_CONFIG;
}

static int
keys_rotate(const struct keys_args *o, const struct helperd_conf *conf)
{
    struct signer *cur = NULL, *next = NULL;
    struct keyset ks = {0};
    struct stat like;
    char *pub = NULL, *priv = NULL, *next_path = next_path_of(conf->signing_key);
    size_t pub_len = 0, priv_len = 0;
    int rc = CLI_EXIT_CONFIG;

    if (next_path == NULL || (rc = no_pending(next_path)) >= 0 ||
        (rc = key_load("signing key", conf->signing_key, &cur)) >= 0 ||
        (rc = key_stat(conf->signing_key, &like)) >= 0 ||
        (rc = keyset_read(conf->jwks, &ks)) >= 0 ||
        (rc = rotate_prepare(o, cur, &ks, &next)) >= 0 ||
        (rc = keyset_text(&ks, signer_kid(next), signer_alg(next), &pub, &pub_len)) >= 0 ||
        (rc = signing_text(next, &priv, &priv_len)) >= 0)
        goto out;
    /* MUST 1: the public key first. */
    if ((rc = keyset_write(conf->jwks, pub, pub_len)) >= 0 ||
        (rc = private_write(next_path, priv, priv_len, &like)) >= 0)
        goto out;
    printf("next signing key %s (%s) published in %s, its private half in %s\n", signer_kid(next),
           jwt_alg_name(signer_alg(next)), conf->jwks, next_path);
    printf("jwt-helperd still signs with %s: copy %s to every host that verifies tokens, "
           "then run jwt-helper keys activate\n",
           signer_kid(cur), conf->jwks);
    rc = CLI_EXIT_OK;
out:
    if (priv != NULL)
        secret_free(priv, priv_len);
    free(pub);
    free(next_path);
    keyset_free(&ks);
    signer_free(next);
    signer_free(cur);
    return rc;
}

/* ---- activate ---- */

/* Moves a pending next key into signing_key, once the key set holds its
 * public half, not retired (MUST 1). No next key is no error: activate is
 * run again to finish an earlier run (MUST 6). */
static int
next_install(const struct helperd_conf *conf, const char *next_path)
{
    struct signer *next = NULL;
    struct keyset ks = {0};
    struct json_object *entry;
    struct stat like;
    char *text = NULL;
    size_t len = 0;
    int rc;

    if (!path_exists(next_path))
        return -1;
    if ((rc = key_load("next key", next_path, &next)) >= 0 ||
        (rc = key_stat(next_path, &like)) >= 0 || (rc = keyset_read(conf->jwks, &ks)) >= 0)
        goto out;
    rc = CLI_EXIT_CONFIG;
    if ((entry = entry_of(&ks, next)) == NULL ||
        json_object_object_get_ex(entry, "retired", NULL)) {
        fprintf(stderr,
                "jwt-helper keys: %s does not list the next key %s (or marks it retired): run "
                "keys rotate again\n",
                conf->jwks, signer_kid(next));
        goto out;
    }
    if ((rc = signing_text(next, &text, &len)) >= 0 ||
        (rc = private_write(conf->signing_key, text, len, &like)) >= 0)
        goto out;
    if (unlink(next_path) != 0)
        fprintf(stderr, "jwt-helper keys: warning: %s: %s; remove it by hand\n", next_path,
                strerror(errno));
    printf("signing key %s moved into %s\n", signer_kid(next), conf->signing_key);
out:
    if (text != NULL)
        secret_free(text, len);
    keyset_free(&ks);
    signer_free(next);
    return rc;
}

/* MUST 2: marks every key but cur "retired": at (cur is the one signing
 * now). Returns how many it marked, -1 on memory. */
static int
others_retire(struct keyset *ks, const struct signer *cur, int64_t at)
{
    size_t n = json_object_array_length(ks->keys);
    unsigned char thumb[32];
    int marked = 0;

    if (signer_thumbprint(cur, thumb) != JWT_OK)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(ks->keys, i), *v;
        if (entry_is_key(e, thumb) || json_object_object_get_ex(e, "retired", NULL))
            continue;
        if ((v = json_object_new_int64(at)) == NULL || json_object_object_add(e, "retired", v)) {
            json_object_put(v);
            return -1;
        }
        printf("retired key ");
        kid_print(stdout, entry_kid(e));
        printf(" at %" PRId64 "\n", at);
        marked++;
    }
    return marked;
}

/* Marks the keys other than cur retired at instant in jwks.json. */
static int
retire_written(const struct helperd_conf *conf, const struct signer *cur, int64_t instant)
{
    struct keyset ks = {0};
    char *text = NULL;
    size_t len = 0;
    int rc, marked;

    if ((rc = keyset_read(conf->jwks, &ks)) >= 0)
        goto out;
    rc = CLI_EXIT_CONFIG;
    if ((marked = others_retire(&ks, cur, instant)) < 0) {
        fputs("jwt-helper keys: out of memory\n", stderr);
        goto out;
    }
    rc = CLI_EXIT_OK;
    if (marked == 0) {
        printf("no other key to retire in %s\n", conf->jwks);
        goto out;
    }
    if ((rc = keyset_text(&ks, signer_kid(cur), signer_alg(cur), &text, &len)) >= 0 ||
        (rc = keyset_write(conf->jwks, text, len)) >= 0)
        goto out;
    printf("wrote %s: keys prune drops the retired keys once their tokens have expired\n",
           conf->jwks);
    rc = CLI_EXIT_OK;
out:
    free(text);
    keyset_free(&ks);
    return rc;
}

static int
keys_activate(const struct keys_args *o, const struct helperd_conf *conf)
{
    struct signer *cur = NULL;
    char *next_path = next_path_of(conf->signing_key);
    int64_t instant = 0;
    int rc = CLI_EXIT_CONFIG;

    if (next_path == NULL || (rc = next_install(conf, next_path)) >= 0 ||
        (rc = key_load("signing key", conf->signing_key, &cur)) >= 0 ||
        (rc = daemon_wait_for(o, conf, signer_kid(cur), &instant)) >= 0)
        goto out;
    rc = retire_written(conf, cur, instant);
out:
    free(next_path);
    signer_free(cur);
    return rc;
}

/* ---- prune ---- */

/* Keys prune must keep whatever their tokens' state (MUST 3). */
struct keep {
    char in_use[PROTO_MAX_KID + 1];
    unsigned char thumbs[2][32]; /* signing_key's and the pending next key's */
    size_t n_thumbs;
};

static bool
entry_is_kept(const struct json_object *entry, const struct keep *k)
{
    const char *kid = entry_kid(entry);

    if (kid != NULL && strcmp(kid, k->in_use) == 0)
        return true;
    for (size_t i = 0; i < k->n_thumbs; i++)
        if (entry_is_key(entry, k->thumbs[i]))
            return true;
    return false;
}

/* Moves the entries to keep into a new array and prints each one dropped.
 * Returns how many were dropped, -1 on memory. */
static int
spent_drop(struct keyset *ks, const struct keep *k, int64_t horizon)
{
    size_t n = json_object_array_length(ks->keys);
    struct json_object *kept = json_object_new_array();
    int dropped = 0;

    if (kept == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(ks->keys, i);
        int64_t retired = 0;
        if (!entry_is_kept(e, k) && keys_retired_is_spent(e, horizon)) {
            (void)jwt_json_get_int64(e, "retired", &retired);
            printf("dropped key ");
            kid_print(stdout, entry_kid(e));
            printf(" (retired at %" PRId64 ")\n", retired);
            dropped++;
            continue;
        }
        if (json_object_array_add(kept, json_object_get(e)) != 0) {
            json_object_put(e);
            json_object_put(kept);
            return -1;
        }
    }
    if (json_object_object_add(ks->root, "keys", kept) != 0) { /* frees the old array */
        json_object_put(kept);
        return -1;
    }
    ks->keys = kept;
    return dropped;
}

/* Fills k: the daemon's key, signing_key's and a pending next key's. */
static int
keep_collect(const struct keys_args *o, const struct helperd_conf *conf, struct keep *k)
{
    struct signer *cur = NULL, *next = NULL;
    char *next_path = next_path_of(conf->signing_key);
    int rc = CLI_EXIT_CONFIG;

    memset(k, 0, sizeof *k);
    if (next_path == NULL || (rc = key_load("signing key", conf->signing_key, &cur)) >= 0 ||
        (rc = kid_in_use(o, conf, cur, k->in_use)) >= 0 ||
        (path_exists(next_path) && (rc = key_load("next key", next_path, &next)) >= 0))
        goto out;
    rc = CLI_EXIT_CONFIG;
    if (signer_thumbprint(cur, k->thumbs[k->n_thumbs++]) != JWT_OK ||
        (next != NULL && signer_thumbprint(next, k->thumbs[k->n_thumbs++]) != JWT_OK)) {
        fputs("jwt-helper keys: cannot compute a key's thumbprint\n", stderr);
        goto out;
    }
    rc = -1;
out:
    free(next_path);
    signer_free(next);
    signer_free(cur);
    return rc;
}

static int
keys_prune(const struct keys_args *o, const struct helperd_conf *conf)
{
    struct keyset ks = {0};
    struct keep keep;
    char *text = NULL;
    size_t len = 0;
    /* MUST 3; activate waits until the daemon stops signing with a key
     * before it marks it retired. */
    int64_t horizon = keys_retired_horizon((int64_t)time(NULL), conf->access_ttl);
    int rc, dropped;

    if ((rc = keep_collect(o, conf, &keep)) >= 0 || (rc = keyset_read(conf->jwks, &ks)) >= 0)
        goto out;
    rc = CLI_EXIT_CONFIG;
    if ((dropped = spent_drop(&ks, &keep, horizon)) < 0) {
        fputs("jwt-helper keys: out of memory\n", stderr);
        goto out;
    }
    rc = CLI_EXIT_OK;
    if (dropped == 0) {
        printf("nothing to prune: no retired key in %s is older than access_ttl + %d s, "
               "other than the key in use (%s)\n",
               conf->jwks, CONF_MAX_LEEWAY, keep.in_use);
        goto out;
    }
    if ((rc = keyset_text(&ks, NULL, JWT_ALG_EDDSA, &text, &len)) >= 0 ||
        (rc = keyset_write(conf->jwks, text, len)) >= 0)
        goto out;
    printf("wrote %s (keys left: %zu)\n", conf->jwks, json_object_array_length(ks.keys));
    rc = CLI_EXIT_OK;
out:
    free(text);
    keyset_free(&ks);
    return rc;
}

int
cli_keys(int argc, char **argv)
{
    struct keys_args o;
    struct helperd_conf *conf = NULL;
    struct cli_report from = {"keys"};
    int rc, lock = -1;

    if ((rc = parse_args(argc, argv, &o)) >= 0)
        return rc;
    if (sodium_init() < 0) {
        fputs("jwt-helper keys: cannot initialise libsodium\n", stderr);
        return CLI_EXIT_CONFIG;
    }
    if (helperd_conf_load(o.config, o.config != NULL, cli_report_stderr, &from, &conf) != CONF_OK) {
        fprintf(stderr, "jwt-helper keys: cannot use the configuration %s\n",
                o.config != NULL ? o.config : HELPERD_CONF_DEFAULT_PATH);
        return CLI_EXIT_CONFIG;
    }
    if ((lock = dir_lock(conf->jwks)) < 0)
        rc = CLI_EXIT_CONFIG;
    else if (strcmp(o.sub, "rotate") == 0)
        rc = keys_rotate(&o, conf);
    else if (strcmp(o.sub, "activate") == 0)
        rc = keys_activate(&o, conf);
    else
        rc = keys_prune(&o, conf);
    dir_unlock(lock);
    helperd_conf_free(conf);
    return rc;
}

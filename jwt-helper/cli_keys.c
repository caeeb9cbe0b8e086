/* SPDX-License-Identifier: MIT */
/* `jwt-helper keys rotate|prune`: a new signing key, and retired public keys
 * dropped once no token they signed can still be valid (DESIGN §4, §5).
 *
 * MUST:
 * 1. write jwks.json before signing.jwk: every verifier must know a key
 *    before anything is signed with it;
 * 2. keep every key of jwks.json on rotation (the old signing key marked
 *    "retired", never removed): tokens it signed stay valid until they expire;
 * 3. never prune the current signing key, nor a key whose tokens may still
 *    be valid (retired + access_ttl + leeway not yet past);
 * 4. never overwrite a jwks.json that does not parse, and write only a set
 *    the core's own parser accepts;
 * 5. give signing.jwk its final mode (0640) at creation, replace both files
 *    atomically, and serialise rotate and prune (a lock on jwks.json's
 *    directory) so two runs never lose a key. */
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
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "atomic_file.h"
#include "cli.h"
#include "helperd_conf.h"
#include "jwt.h"
#include "secret.h"
#include "signer.h"

/* As keygen: 3072-bit RSA (NIST SP 800-57 beyond 2030). */
#define KEYS_RSA_BITS 3072
/* Clock skew between the daemon and the verifiers a pruned key must allow. */
#define KEYS_PRUNE_LEEWAY 60

struct keys_args {
    const char *config;
    const char *sub; /* "rotate" or "prune" */
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
          "       jwt-helper keys prune\n"
          "must be run as root; global option --config PATH (jwt-helperd.conf: jwks, "
          "signing_key, access_ttl)\n",
          f);
}

/* Returns -1 when o has been filled, else the exit code. */
static int
parse_args(int argc, char **argv, struct keys_args *o)
{
    static const struct option longopts[] = {
        {"alg", required_argument, NULL, 'a'},     {"config", required_argument, NULL, 'c'},
        {"socket", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'},
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
        case 's': /* global; keys does not talk to the daemon */
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
        (strcmp(argv[optind], "rotate") != 0 && strcmp(argv[optind], "prune") != 0) ||
        (o->has_alg && strcmp(argv[optind], "rotate") != 0)) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    o->sub = argv[optind];
    return -1;
}

static void
conf_report(void *ctx, const char *message)
{
    (void)ctx;
    fprintf(stderr, "jwt-helper keys: %s\n", message);
}

/* MUST 5: an flock on the directory holding jwks.json (no lock file left in
 * /etc/jwt-helper). Returns the descriptor, or -1 after saying why. */
static int
dir_lock(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash == NULL ? strdup(".") : slash == path ? strdup("/")
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
    /* root:root 0644: the public key set (DESIGN §4). */
    if (!atomic_file_replace(path, text, len, 0644, (uid_t)-1, (gid_t)-1)) {
        fprintf(stderr, "jwt-helper keys: %s: %s; left as it was\n", path, strerror(errno));
        return CLI_EXIT_CONFIG;
    }
    return -1;
}

/* ---- rotate ---- */

/* MUST 2: marks every entry of the current key "retired" (unless it is
 * already). Returns how many entries are the current key, -1 on memory. */
static int
current_retire(struct keyset *ks, const unsigned char thumb[32], int64_t now)
{
    size_t n = json_object_array_length(ks->keys);
    int found = 0;

    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(ks->keys, i), *v;
        if (!entry_is_key(e, thumb))
            continue;
        found++;
        if (json_object_object_get_ex(e, "retired", NULL))
            continue;
        if ((v = json_object_new_int64(now)) == NULL || json_object_object_add(e, "retired", v)) {
            json_object_put(v);
            return -1;
        }
    }
    return found;
}

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

/* MUST 5: signing.jwk, 0640, group _jwt-helper where it exists (DESIGN §4). */
static int
signing_write(const char *path, const char *text, size_t len)
{
    const struct group *gr = getgrnam(SIGNER_DAEMON_USER);
    uid_t uid = gr != NULL ? geteuid() : (uid_t)-1;
    gid_t gid = gr != NULL ? gr->gr_gid : (gid_t)-1;

    if (gr == NULL)
        fprintf(stderr,
                "jwt-helper keys: warning: group %s does not exist; %s is not readable by it: "
                "create it, then chgrp the file so the daemon can read it\n",
                SIGNER_DAEMON_USER, path);
    if (!atomic_file_replace(path, text, len, 0640, uid, gid)) {
        fprintf(stderr,
                "jwt-helper keys: %s: %s; the key set lists the new key, but the daemon keeps "
                "signing with the old one: run keys rotate again\n",
                path, strerror(errno));
        return CLI_EXIT_CONFIG;
    }
    return -1;
}

/* Builds the new set in ks and the new private key text. */
static int
rotate_prepare(const struct keys_args *o, const struct signer *cur, struct keyset *ks,
               struct signer **next)
{
    unsigned char thumb[32];
    int found;
    jwt_result r;

    if (signer_thumbprint(cur, thumb) != JWT_OK)
        return CLI_EXIT_CONFIG;
    if ((found = current_retire(ks, thumb, (int64_t)time(NULL))) < 0)
        return CLI_EXIT_CONFIG;
    if (found == 0) {
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

static int
keys_rotate(const struct keys_args *o, const struct helperd_conf *conf)
{
    struct signer *cur = NULL, *next = NULL;
    struct keyset ks = {0};
    char *pub = NULL, *priv = NULL;
    size_t pub_len = 0, priv_len = 0;
    jwt_result r;
    int rc;

    if ((r = signer_load(conf->signing_key, &cur)) != JWT_OK) {
        fprintf(stderr, "jwt-helper keys: signing key %s: %s\n", conf->signing_key,
                jwt_result_str(r));
        rc = CLI_EXIT_CONFIG;
        goto out;
    }
    if ((rc = keyset_read(conf->jwks, &ks)) >= 0 ||
        (rc = rotate_prepare(o, cur, &ks, &next)) >= 0 ||
        (rc = keyset_text(&ks, signer_kid(next), signer_alg(next), &pub, &pub_len)) >= 0 ||
        (rc = signing_text(next, &priv, &priv_len)) >= 0)
        goto out;
    /* MUST 1: the public key first. */
    if ((rc = keyset_write(conf->jwks, pub, pub_len)) >= 0 ||
        (rc = signing_write(conf->signing_key, priv, priv_len)) >= 0)
        goto out;
    printf("retired key %s: it stays in %s until keys prune drops it\n", signer_kid(cur),
           conf->jwks);
    printf("new signing key %s (%s) in %s\n", signer_kid(next), jwt_alg_name(signer_alg(next)),
           conf->signing_key);
    printf("send SIGHUP to jwt-helperd (systemctl reload jwt-helperd) to start signing with it\n");
    rc = CLI_EXIT_OK;
out:
    if (priv != NULL)
        secret_free(priv, priv_len);
    free(pub);
    keyset_free(&ks);
    signer_free(next);
    signer_free(cur);
    return rc;
}

/* ---- prune ---- */

/* MUST 3: a retired key whose last token is past its exp (plus leeway). */
static bool
entry_is_spent(const struct json_object *entry, int64_t horizon)
{
    int64_t retired = 0;

    /* retired < horizon, not retired + ttl < now: a hostile value cannot overflow. */
    return jwt_json_get_int64(entry, "retired", &retired) == 1 && retired > 0 &&
           retired < horizon;
}

/* Moves the entries to keep into a new array and prints each one dropped.
 * Returns how many were dropped, -1 on memory. */
static int
spent_drop(struct keyset *ks, const struct signer *cur, const unsigned char thumb[32],
           int64_t horizon)
{
    size_t n = json_object_array_length(ks->keys);
    struct json_object *kept = json_object_new_array();
    int dropped = 0;

    if (kept == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct json_object *e = json_object_array_get_idx(ks->keys, i);
        const char *kid = entry_kid(e);
        int64_t retired = 0;
        bool current = (kid != NULL && strcmp(kid, signer_kid(cur)) == 0) || entry_is_key(e, thumb);
        if (!current && entry_is_spent(e, horizon)) {
            (void)jwt_json_get_int64(e, "retired", &retired);
            printf("dropped key ");
            kid_print(stdout, kid);
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

static int
keys_prune(const struct helperd_conf *conf)
{
    struct signer *cur = NULL;
    struct keyset ks = {0};
    unsigned char thumb[32];
    char *text = NULL;
    size_t len = 0;
    int64_t horizon = (int64_t)time(NULL) - conf->access_ttl - KEYS_PRUNE_LEEWAY;
    jwt_result r;
    int rc, dropped;

    if ((r = signer_load(conf->signing_key, &cur)) != JWT_OK) {
        fprintf(stderr, "jwt-helper keys: signing key %s: %s (needed to keep it)\n",
                conf->signing_key, jwt_result_str(r));
        rc = CLI_EXIT_CONFIG;
        goto out;
    }
    if ((rc = keyset_read(conf->jwks, &ks)) >= 0)
        goto out;
    rc = CLI_EXIT_CONFIG;
    if (signer_thumbprint(cur, thumb) != JWT_OK ||
        (dropped = spent_drop(&ks, cur, thumb, horizon)) < 0) {
        fputs("jwt-helper keys: out of memory\n", stderr);
        goto out;
    }
    if (dropped == 0) {
        printf("nothing to prune: no retired key in %s is older than access_ttl + %d s\n",
               conf->jwks, KEYS_PRUNE_LEEWAY);
        rc = CLI_EXIT_OK;
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
    signer_free(cur);
    return rc;
}

int
cli_keys(int argc, char **argv)
{
    struct keys_args o;
    struct helperd_conf *conf = NULL;
    int rc, lock = -1;

    if ((rc = parse_args(argc, argv, &o)) >= 0)
        return rc;
    if (sodium_init() < 0) {
        fputs("jwt-helper keys: cannot initialise libsodium\n", stderr);
        return CLI_EXIT_CONFIG;
    }
    if (helperd_conf_load(o.config, o.config != NULL, conf_report, NULL, &conf) != CONF_OK) {
        fprintf(stderr, "jwt-helper keys: cannot use the configuration %s\n",
                o.config != NULL ? o.config : HELPERD_CONF_DEFAULT_PATH);
        return CLI_EXIT_CONFIG;
    }
    if ((lock = dir_lock(conf->jwks)) < 0)
        rc = CLI_EXIT_CONFIG;
    else if (strcmp(o.sub, "rotate") == 0)
        rc = keys_rotate(&o, conf);
    else
        rc = keys_prune(conf);
    dir_unlock(lock);
    helperd_conf_free(conf);
    return rc;
}

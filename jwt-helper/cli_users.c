/* SPDX-License-Identifier: MIT */
/* Root's verbs on the user records: useradd, usermod, userdel, passwd USER and
 * revoke (jwt-helper(1), ROOT VERBS). They edit the files directly, daemon or not.
 *
 * MUST:
 * 1. change the users file only through userdb_update (locked, atomic, from
 *    the freshest copy) and never while a line of it is malformed;
 * 2. make a change that takes something away work at once: removing a scope,
 *    locking, a password reset and revoke bump the generation (refresh tokens
 *    die) and publish the "not before" instant (live access tokens die where
 *    the revocation list is checked); userdel publishes the instant;
 * 3. never print a password or a hash, and wipe both once used;
 * 4. run as root, leave the files owned by the daemon's user (jwt-helper(1), ROOT VERBS), so
 *    the daemon can still write them. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "helperd_conf.h"
#include "jwt.h"
#include "revocation_publish.h"
#include "secret.h"
#include "userdb.h"

/* A shorter password is refused here as by the daemon's passwd: argon2id
 * slows guessing, it cannot make "abc" hard to guess. */
#define ADMIN_MIN_PASSWORD 8

/* Which options a verb takes. */
enum {
    OPT_SCOPES = 1 << 0,
    OPT_LOCK = 1 << 1,    /* --lock and --unlock */
    OPT_STDIN = 1 << 2,   /* --password-stdin */
    OPT_USERADD = 1 << 3, /* --lock only (a new user is unlocked by default) */
};

struct admin_args {
    const char *verb;
    const char *user;
    const char *config; /* NULL: HELPERD_CONF_DEFAULT_PATH, may be missing */
    const char *scopes; /* NULL: not given */
    bool lock, unlock, password_stdin;
};

/* The configuration and who the written files belong to. */
struct admin {
    struct helperd_conf *conf;
    long daemon_uid; /* also trusted as the files' owner when loading; -1: none */
    uid_t owner_uid; /* given to the files we write; (uid_t)-1: leave as created */
    gid_t owner_gid;
};

static void
usage(FILE *f, const char *verb)
{
    if (strcmp(verb, "useradd") == 0)
        fputs("usage: jwt-helper useradd USER [--scopes LIST] [--lock] [--password-stdin]\n", f);
    else if (strcmp(verb, "usermod") == 0)
        fputs("usage: jwt-helper usermod USER [--scopes LIST] [--lock|--unlock]\n", f);
    else if (strcmp(verb, "passwd") == 0)
        fputs("usage: jwt-helper passwd USER [--password-stdin]\n", f);
    else
        fprintf(f, "usage: jwt-helper %s USER\n", verb);
    fputs("must be run as root; global option --config PATH (jwt-helperd.conf)\n", f);
}

/* Returns -1 when a has been filled, else the exit code. Options may follow
 * USER (jwt-helper(1), ROOT VERBS), so getopt permutes. Unknown options are not echoed: a
 * mistyped command line may hold a password. */
static int
parse_args(int argc, char **argv, unsigned allowed, struct admin_args *a)
{
    static const struct option longopts[] = {
        {"scopes", required_argument, NULL, 'S'}, {"lock", no_argument, NULL, 'l'},
        {"unlock", no_argument, NULL, 'u'},       {"password-stdin", no_argument, NULL, 'p'},
        {"config", required_argument, NULL, 'c'}, {"socket", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    bool bad = false;
    int c;

    memset(a, 0, sizeof(*a));
    a->verb = argv[0];
    optind = 0; /* glibc: full re-initialisation, argv[0] is the verb */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'S':
            bad |= !(allowed & OPT_SCOPES);
            a->scopes = optarg;
            break;
        case 'l':
            bad |= !(allowed & (OPT_LOCK | OPT_USERADD));
            a->lock = true;
            break;
        case 'u':
            bad |= !(allowed & OPT_LOCK);
            a->unlock = true;
            break;
        case 'p':
            bad |= !(allowed & OPT_STDIN);
            a->password_stdin = true;
            break;
        case 'c':
            a->config = optarg;
            break;
        case 's': /* global; the root verbs do not talk to the daemon */
            break;
        case 'h':
            usage(stdout, a->verb);
            return CLI_EXIT_OK;
        default:
            bad = true;
            break;
        }
    }
    if (bad || optind != argc - 1 || (a->lock && a->unlock)) {
        usage(stderr, a->verb);
        return CLI_EXIT_USAGE;
    }
    a->user = argv[optind];
    /* The name is not echoed back either: it may be anything. */
    if (!jwt_user_name_is_valid(a->user, strlen(a->user))) {
        fprintf(stderr, "jwt-helper %s: invalid user name (want [a-z_][a-z0-9_.-]{0,31})\n",
                a->verb);
        return CLI_EXIT_USAGE;
    }
    return -1;
}

/* Checks a --scopes list before anything is read or asked. */
static int
scopes_check(const struct admin_args *a)
{
    char **scopes = NULL;
    size_t n = 0;

    if (a->scopes == NULL)
        return -1;
    if (userdb_scopes_parse(a->scopes, &scopes, &n) != USERDB_OK) {
        fprintf(stderr,
                "jwt-helper %s: invalid scope list (comma-separated words of [a-z0-9_.-], at "
                "most %d)\n",
                a->verb, USERDB_MAX_SCOPES);
        return CLI_EXIT_USAGE;
    }
    userdb_scopes_free(scopes, n);
    return -1;
}

/* jwt-helperd(8), FILES: the daemon's user owns the files it writes. Only root can give
 * a file away; anyone else writes their own (tests, temp files). */
static void
owner_find(const char *verb, struct admin *ad)
{
    uid_t uid;
    gid_t gid;

    ad->daemon_uid = -1;
    ad->owner_uid = (uid_t)-1;
    ad->owner_gid = (gid_t)-1;
    if (jwt_user_find(ad->conf->user, &uid, &gid) != 0) {
        if (geteuid() == 0)
            fprintf(stderr,
                    "jwt-helper %s: warning: user %s does not exist: the files stay owned by "
                    "root and jwt-helperd cannot write them\n",
                    verb, ad->conf->user);
        return;
    }
    ad->daemon_uid = (long)uid;
    if (geteuid() == 0) {
        ad->owner_uid = uid;
        ad->owner_gid = gid;
    }
}

/* Returns -1 with ad filled (admin_close), else the exit code. */
static int
admin_open(struct admin_args *a, struct admin *ad)
{
    struct cli_report from = {a->verb};

    memset(ad, 0, sizeof(*ad));
    if (sodium_init() < 0) {
        fprintf(stderr, "jwt-helper %s: cannot initialise libsodium\n", a->verb);
        return CLI_EXIT_CONFIG;
    }
    if (helperd_conf_load(a->config, a->config != NULL, cli_report_stderr, &from, &ad->conf) !=
        CONF_OK) {
        fprintf(stderr, "jwt-helper %s: cannot use the configuration %s\n", a->verb,
                a->config != NULL ? a->config : HELPERD_CONF_DEFAULT_PATH);
        return CLI_EXIT_CONFIG;
    }
    owner_find(a->verb, ad);
    return -1;
}

static void
admin_close(struct admin *ad)
{
    helperd_conf_free(ad->conf);
    ad->conf = NULL;
}

/* Maps a userdb failure to one line on stderr and an exit code. */
static int
userdb_fail(const struct admin_args *a, const struct admin *ad, userdb_result r, size_t bad_line,
            const char *reason)
{
    int saved = errno;

    switch (r) {
    case USERDB_ERR_NOT_FOUND:
    case USERDB_ERR_EXISTS:
        fprintf(stderr, "jwt-helper %s: %s: %s\n", a->verb, a->user, userdb_result_str(r));
        return CLI_EXIT_REJECTED;
    case USERDB_ERR_INVALID:
        fprintf(stderr, "jwt-helper %s: %s: refused: %s\n", a->verb, a->user,
                reason != NULL ? reason : userdb_result_str(r));
        return CLI_EXIT_REJECTED;
    case USERDB_ERR_MALFORMED:
        fprintf(stderr, "jwt-helper %s: users file %s: line %zu is malformed%s%s%s: fix it first\n",
                a->verb, ad->conf->users, bad_line, reason != NULL ? " (" : "",
                reason != NULL ? reason : "", reason != NULL ? ")" : "");
        return CLI_EXIT_CONFIG;
    case USERDB_ERR_IO:
        fprintf(stderr, "jwt-helper %s: users file %s: %s\n", a->verb, ad->conf->users,
                strerror(saved));
        return CLI_EXIT_CONFIG;
    default:
        fprintf(stderr, "jwt-helper %s: users file %s: %s\n", a->verb, ad->conf->users,
                userdb_result_str(r));
        return CLI_EXIT_CONFIG;
    }
}

/* Reads the file once before asking for a password, so a wrong name or a
 * broken file is reported first; userdb_update checks both again under the
 * lock. Returns -1 to go on, else the exit code. */
static int
users_precheck(const struct admin_args *a, const struct admin *ad, bool want_user)
{
    struct userdb *db = NULL;
    userdb_result r;
    int rc = -1;

    if ((r = userdb_load(ad->conf->users, ad->daemon_uid, &db)) != USERDB_OK)
        return userdb_fail(a, ad, r, 0, NULL);
    if (db->n_bad_lines > 0)
        rc = userdb_fail(a, ad, USERDB_ERR_MALFORMED, db->bad_lines[0], db->bad_reasons[0]);
    else if (want_user && userdb_find(db, a->user) == NULL)
        rc = userdb_fail(a, ad, USERDB_ERR_NOT_FOUND, 0, NULL);
    else if (!want_user && userdb_find(db, a->user) != NULL)
        rc = userdb_fail(a, ad, USERDB_ERR_EXISTS, 0, NULL);
    userdb_free(db);
    return rc;
}

/* Reads a new password and hashes it (argon2id, libsodium's interactive
 * limits: 64 MiB, jwt-helperd(8) max_hashes) into hash. The password is wiped. Returns -1
 * on success, else the exit code. */
static int
password_hash_new(const struct admin_args *a, char hash[crypto_pwhash_STRBYTES])
{
    char *pw = NULL;
    size_t len = 0;
    int rc = -1;

    if (cli_password_read_new(a->password_stdin, &pw, &len) != 0)
        return CLI_EXIT_REJECTED;
    if (len < ADMIN_MIN_PASSWORD) {
        fprintf(stderr, "jwt-helper %s: password too short: at least %d bytes\n", a->verb,
                ADMIN_MIN_PASSWORD);
        rc = CLI_EXIT_REJECTED;
    } else if (crypto_pwhash_str_alg(hash, pw, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                     crypto_pwhash_MEMLIMIT_INTERACTIVE,
                                     crypto_pwhash_ALG_ARGON2ID13) != 0) {
        fprintf(stderr, "jwt-helper %s: cannot hash the password (out of memory)\n", a->verb);
        rc = CLI_EXIT_CONFIG;
    }
    secret_free(pw, len);
    return rc;
}

/* MUST 2: the instant goes out after the generation bump is on disk. */
static int
publish_now(const struct admin_args *a, const struct admin *ad)
{
    revocation_publish_result r;
    int saved;

    r = revocation_publish_keep(ad->conf->revocation, ad->daemon_uid, ad->owner_uid, ad->owner_gid,
                                a->user, (int64_t)time(NULL), ad->conf->revocation_keep);
    if (r == REVOCATION_PUBLISH_OK)
        return -1;
    saved = errno;
    fprintf(stderr,
            "jwt-helper %s: %s: the users file is changed, but the revocation list %s is not: "
            "%s%s%s\n",
            a->verb, a->user, ad->conf->revocation, revocation_publish_result_str(r),
            r == REVOCATION_PUBLISH_ERR_IO ? ": " : "",
            r == REVOCATION_PUBLISH_ERR_IO ? strerror(saved) : "");
    return CLI_EXIT_CONFIG;
}

/* Writes "a,b,c" (or "none") to f. */
static void
scopes_print(FILE *f, char *const *scopes, size_t n)
{
    if (n == 0)
        fputs("none", f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%s", i > 0 ? "," : "", scopes[i]);
}

/* ---- the changes, run by userdb_update under the lock ---- */

struct change {
    const struct admin_args *a;
    const struct userdb_record *add; /* useradd */
    const char *hash;                /* passwd */
    int64_t now;
    bool revoked;       /* out: the generation was bumped */
    uint64_t gen;       /* out: the generation written */
    const char *reason; /* out: why a change was refused */
};

/* Ends every refresh token of rec: the daemon compares gen (jwt-helperd(8), Tokens). */
static userdb_result
gen_bump(struct userdb_record *rec, struct change *ch)
{
    if (rec->gen == UINT64_MAX) {
        ch->reason = "generation at its maximum";
        return USERDB_ERR_INVALID;
    }
    rec->gen++;
    ch->revoked = true;
    ch->gen = rec->gen;
    return USERDB_OK;
}

static userdb_result
change_add(struct userdb *db, void *ctx)
{
    const struct change *ch = ctx;

    return userdb_add(db, ch->add);
}

static userdb_result
change_del(struct userdb *db, void *ctx)
{
    const struct change *ch = ctx;

    return userdb_remove(db, ch->a->user);
}

/* True when some word of rec's scopes is missing from list. */
static bool
scope_removed(const struct userdb_record *rec, char **list, size_t n)
{
    for (size_t i = 0; i < rec->n_scopes; i++) {
        size_t j = 0;
        while (j < n && strcmp(rec->scopes[i], list[j]) != 0)
            j++;
        if (j == n)
            return true;
    }
    return false;
}

/* Compared with the freshest record, under the lock: a scope added by
 * someone else a moment ago and dropped by this list still counts. */
static userdb_result
change_mod(struct userdb *db, void *ctx)
{
    struct change *ch = ctx;
    struct userdb_record *rec = userdb_find_mut(db, ch->a->user);
    bool takes_away = ch->a->lock;
    userdb_result r = USERDB_OK;

    if (rec == NULL)
        return USERDB_ERR_NOT_FOUND;
    if (ch->a->scopes != NULL) {
        char **list = NULL;
        size_t n = 0;
        if ((r = userdb_scopes_parse(ch->a->scopes, &list, &n)) != USERDB_OK)
            return r;
        takes_away |= scope_removed(rec, list, n);
        userdb_scopes_free(list, n);
        if ((r = userdb_record_set_scopes(rec, ch->a->scopes)) != USERDB_OK)
            return r;
    }
    if (ch->a->lock || ch->a->unlock)
        rec->locked = ch->a->lock;
    ch->gen = rec->gen;
    return takes_away ? gen_bump(rec, ch) : USERDB_OK;
}

static userdb_result
change_passwd(struct userdb *db, void *ctx)
{
    struct change *ch = ctx;
    struct userdb_record *rec = userdb_find_mut(db, ch->a->user);
    userdb_result r;

    if (rec == NULL)
        return USERDB_ERR_NOT_FOUND;
    if ((r = userdb_record_set_hash(rec, ch->hash)) != USERDB_OK)
        return r;
    rec->changed = ch->now;
    return gen_bump(rec, ch);
}

static userdb_result
change_revoke(struct userdb *db, void *ctx)
{
    struct change *ch = ctx;
    struct userdb_record *rec = userdb_find_mut(db, ch->a->user);

    if (rec == NULL)
        return USERDB_ERR_NOT_FOUND;
    return gen_bump(rec, ch);
}

/* Runs fn under the users file's lock. Returns -1 on success, else the exit code. */
static int
users_change(const struct admin_args *a, const struct admin *ad, userdb_change_fn fn,
             struct change *ch)
{
    size_t bad_line = 0;
    userdb_result r;

    ch->a = a;
    ch->now = (int64_t)time(NULL);
    r = userdb_update(ad->conf->users, ad->daemon_uid, ad->owner_uid, ad->owner_gid, fn, ch,
                      &bad_line);
    if (r != USERDB_OK)
        return userdb_fail(a, ad, r, bad_line, ch->reason);
    return -1;
}

/* Parses arguments and opens the configuration; with want_user >= 0, also
 * prechecks the user's presence (1) or absence (0). Returns -1 to go on. */
static int
verb_start(int argc, char **argv, unsigned allowed, int want_user, struct admin_args *a,
           struct admin *ad)
{
    int rc;

    memset(ad, 0, sizeof(*ad));
    if ((rc = parse_args(argc, argv, allowed, a)) >= 0 || (rc = scopes_check(a)) >= 0)
        return rc;
    if ((rc = admin_open(a, ad)) >= 0)
        return rc;
    if (want_user >= 0 && (rc = users_precheck(a, ad, want_user == 1)) >= 0)
        return rc;
    return -1;
}

/* ---- the verbs ---- */

int
cli_useradd(int argc, char **argv)
{
    struct admin_args a;
    struct admin ad;
    struct userdb_record rec;
    struct change ch = {0};
    char hash[crypto_pwhash_STRBYTES] = "";
    char **scopes = NULL;
    size_t n_scopes = 0;
    int rc;

    memset(&rec, 0, sizeof(rec));
    if ((rc = verb_start(argc, argv, OPT_SCOPES | OPT_USERADD | OPT_STDIN, 0, &a, &ad)) >= 0)
        goto out;
    if (a.scopes != NULL && userdb_scopes_parse(a.scopes, &scopes, &n_scopes) != USERDB_OK) {
        rc = CLI_EXIT_CONFIG; /* checked above: only memory can fail here */
        goto out;
    }
    if ((rc = password_hash_new(&a, hash)) >= 0)
        goto out;
    snprintf(rec.name, sizeof(rec.name), "%s", a.user);
    rec.hash = hash;
    rec.gen = 0;
    rec.scopes = a.scopes != NULL ? scopes : ad.conf->default_scope;
    rec.n_scopes = a.scopes != NULL ? n_scopes : ad.conf->n_default_scope;
    rec.locked = a.lock;
    rec.changed = (int64_t)time(NULL);
    ch.add = &rec;
    if ((rc = users_change(&a, &ad, change_add, &ch)) >= 0)
        goto out;
    printf("added user %s (scopes ", a.user);
    scopes_print(stdout, rec.scopes, rec.n_scopes);
    printf("%s)\n", rec.locked ? ", locked" : "");
    rc = CLI_EXIT_OK;
out:
    sodium_memzero(hash, sizeof(hash));
    userdb_scopes_free(scopes, n_scopes);
    admin_close(&ad);
    return rc;
}

int
cli_usermod(int argc, char **argv)
{
    struct admin_args a;
    struct admin ad;
    struct change ch = {0};
    int rc;

    if ((rc = verb_start(argc, argv, OPT_SCOPES | OPT_LOCK, 1, &a, &ad)) >= 0)
        goto out;
    if (a.scopes == NULL && !a.lock && !a.unlock) {
        fprintf(stderr,
                "jwt-helper usermod: nothing to change: give --scopes, --lock or --unlock\n");
        usage(stderr, a.verb);
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    if ((rc = users_change(&a, &ad, change_mod, &ch)) >= 0)
        goto out;
    if (ch.revoked && (rc = publish_now(&a, &ad)) >= 0)
        goto out;
    printf("changed user %s (", a.user);
    if (a.scopes != NULL)
        printf("scopes %s%s", a.scopes[0] != '\0' ? a.scopes : "none",
               a.lock || a.unlock ? ", " : "");
    printf("%s)", a.lock ? "locked" : a.unlock ? "unlocked" : "");
    if (ch.revoked)
        printf("; every session ended (generation %" PRIu64 ")", ch.gen);
    putchar('\n');
    rc = CLI_EXIT_OK;
out:
    admin_close(&ad);
    return rc;
}

int
cli_userdel(int argc, char **argv)
{
    struct admin_args a;
    struct admin ad;
    struct change ch = {0};
    int rc;

    if ((rc = verb_start(argc, argv, 0, 1, &a, &ad)) >= 0)
        goto out;
    if ((rc = users_change(&a, &ad, change_del, &ch)) >= 0)
        goto out;
    /* Its tokens must not outlive it, nor pass for a later user of the name. */
    if ((rc = publish_now(&a, &ad)) >= 0)
        goto out;
    printf("deleted user %s; every session ended\n", a.user);
    rc = CLI_EXIT_OK;
out:
    admin_close(&ad);
    return rc;
}

int
cli_admin_passwd(int argc, char **argv)
{
    struct admin_args a;
    struct admin ad;
    struct change ch = {0};
    char hash[crypto_pwhash_STRBYTES] = "";
    int rc;

    if ((rc = verb_start(argc, argv, OPT_STDIN, 1, &a, &ad)) >= 0)
        goto out;
    if ((rc = password_hash_new(&a, hash)) >= 0)
        goto out;
    ch.hash = hash;
    if ((rc = users_change(&a, &ad, change_passwd, &ch)) >= 0)
        goto out;
    if ((rc = publish_now(&a, &ad)) >= 0)
        goto out;
    printf("set the password of %s; every session ended (generation %" PRIu64 ")\n", a.user,
           ch.gen);
    rc = CLI_EXIT_OK;
out:
    sodium_memzero(hash, sizeof(hash));
    admin_close(&ad);
    return rc;
}

int
cli_revoke(int argc, char **argv)
{
    struct admin_args a;
    struct admin ad;
    struct change ch = {0};
    int rc;

    if ((rc = verb_start(argc, argv, 0, 1, &a, &ad)) >= 0)
        goto out;
    if ((rc = users_change(&a, &ad, change_revoke, &ch)) >= 0)
        goto out;
    if ((rc = publish_now(&a, &ad)) >= 0)
        goto out;
    printf("revoked every session of %s (generation %" PRIu64 ")\n", a.user, ch.gen);
    rc = CLI_EXIT_OK;
out:
    admin_close(&ad);
    return rc;
}

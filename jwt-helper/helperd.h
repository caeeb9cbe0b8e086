/* SPDX-License-Identifier: MIT */
/* jwt-helperd's serving side (jwt-helperd(8)): what it serves from (helperd_state.c),
 * how it answers one request line (helperd_handler.c), the slow password part
 * of login and passwd run on a worker thread (helperd_job.c), and the
 * per-name delay after failures (helperd_delay.c).
 *
 * The event loop (helperd_loop.c) owns sockets and time; everything here is
 * called from the loop's one thread, except helperd_job_run, which touches
 * nothing but its job and so runs on any worker thread.
 *
 *   line read ──> helperd_handle_line ──REPLY──> send (maybe after not_before)
 *                               └──JOB──> worker: helperd_job_run
 *                                           └──> helperd_handle_finish ──> send */
#ifndef PAM_JWT_HELPERD_H
#define PAM_JWT_HELPERD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "helperd_conf.h"
#include "helperd_tokens.h"
#include "jwt.h"
#include "proto.h"
#include "signer.h"
#include "userdb.h"

struct json_object;

/* ---- state: config, keys, and the files the daemon reads (helperd_state.c) ---- */

/* Counters shown by "status" (root peers). Names are the wire names. */
enum helperd_counter {
    HELPERD_C_REQUESTS,       /* "requests": lines answered */
    HELPERD_C_LOGIN_OK,       /* "login_ok" */
    HELPERD_C_LOGIN_FAILED,   /* "login_failed" (unknown user and wrong password alike) */
    HELPERD_C_REFRESH_OK,     /* "refresh_ok" */
    HELPERD_C_REFRESH_FAILED, /* "refresh_failed" */
    HELPERD_C_PASSWD_OK,      /* "passwd_ok" */
    HELPERD_C_PASSWD_FAILED,  /* "passwd_failed" */
    HELPERD_C_LOGOUT,         /* "logout" */
    HELPERD_C_RATE_LIMITED,   /* "rate_limited" */
    HELPERD_C_INVALID,        /* "invalid_request": malformed, oversize, unsupported */
    HELPERD_C_SERVER_ERROR,   /* "server_error" */
    HELPERD_C_RELOADS,        /* "reloads": SIGHUP reloads that took effect */
    HELPERD_C_CLIENTS,        /* "clients": connections open now (set by the loop) */
    HELPERD_C_REFUSED,        /* "refused": connections turned away by a limit (loop) */
    HELPERD_C_HASHES_QUEUED,  /* "hashes_queued": password jobs waiting now (loop) */
    HELPERD_C_COUNT
};
/* Returns the wire name of c; NULL out of range. */
const char *helperd_counter_name(enum helperd_counter c);

struct helperd_delay; /* per-name failure delays, below */

/* Everything a request is served from. The config, keys, key set and dummy
 * hash are loaded together by helperd_state_load (as root, before the
 * privilege drop, and again on SIGHUP: a failed reload keeps the old state).
 * The user records and the revocation list are read lazily, after the drop,
 * and again whenever their file identity changes (helperd_state_sync). */
struct helperd_state {
    struct helperd_conf *conf;
    struct signer *signer;
    struct helperd_tokens_secret *secret;
    struct helperd_tokens_params params; /* points into conf */
    const char **audience_ptrs;          /* backing store of params.audiences */
    const char **scope_ptrs;             /* backing store of params.default_scopes */
    struct json_object *jwks_keys;       /* the "keys" array of jwks.json (public) */
    struct jwt_file_identity key_id;     /* of signing_key and jwks when last read: */
    struct jwt_file_identity jwks_id;    /* a change reloads both (helperd_state_sync) */
    bool signer_retired;                 /* jwks marks the signing key "retired": no
                                          * token is issued (server_error) */
    char *dummy_hash;                    /* argon2id of a random password: the record
                                          * an unknown user is checked against */
    /* lazily loaded, after the drop */
    struct userdb *db; /* NULL until first sync or when unreadable */
    struct jwt_file_identity db_id;
    struct jwt_revocation *rev; /* NULL: none listed (or file absent) */
    struct jwt_file_identity rev_id;
    bool rev_broken;            /* the list exists but does not load: fail closed */
    bool db_synced, rev_synced; /* looked at once: from then on a file that still
                                 * cannot be looked at (unknown identity) is no
                                 * news, neither reloaded nor reported again */
    bool db_retry, rev_retry;   /* the last load failed for a passing reason
                                 * (EMFILE, ENOMEM, ...): its identity was not
                                 * recorded, so the next request loads again */
    long daemon_uid;            /* owner we accept for db and list besides root
                                 * and euid: the configured user's uid, or -1 */
    /* bookkeeping */
    struct helperd_delay *delay; /* carried over by helperd_state_adopt */
    int64_t started;             /* unix seconds, for "uptime" */
    int64_t counters[HELPERD_C_COUNT];
};

/* Reports a problem loading (e.g. "signing_key /etc/...: unsafe file"):
 * the daemon logs it; tests collect it. Never given a secret. It is
 * conf.h's callback, so one reporter serves the config loader too. */
typedef conf_report_fn helperd_report_fn;
/* Formats a message (at most PATH_MAX + 256 bytes) and hands it to report;
 * a NULL report drops it. The one printf-style front of helperd_report_fn. */
void helperd_reportf(helperd_report_fn report, void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Loads config (helperd_conf_load(conf_path, must_exist)), then signing_key
 * (signer_load), refresh_key (helperd_tokens_secret_load), jwks (its "keys"
 * array; the signing key's kid must be in it, or tokens would be
 * unverifiable: refused), makes the dummy hash (crypto_pwhash_str with the
 * same limits as new passwords) and a fresh delay table. socket_override
 * (may be NULL) replaces conf->socket. Returns 0 with *out the caller's
 * (helperd_state_free), or -1 after reporting each problem (nothing else
 * changed). */
int helperd_state_load(const char *conf_path, bool must_exist, const char *socket_override,
                       helperd_report_fn report, void *ctx,
                       struct helperd_state **out) JWT_MUST_CHECK;

/* helperd_state_load for SIGHUP: the same, but the dummy hash is copied from
 * old instead of made again (an argon2id run would stall the loop). */
int helperd_state_reload(const char *conf_path, bool must_exist, const char *socket_override,
                         const struct helperd_state *old, helperd_report_fn report, void *ctx,
                         struct helperd_state **out) JWT_MUST_CHECK;

/* After a successful reload: moves counters, start time and the delay table
 * from old into fresh (so SIGHUP forgives no failure), and the lazily loaded
 * files too when their paths did not change. old is then freed. */
void helperd_state_adopt(struct helperd_state *fresh, struct helperd_state *old);

/* Re-reads the signing key and key set, the user records and the
 * revocation list when their file identity changed since the last read
 * (jwt_file_identity_of), so edits by root's CLI (keys activate) or by hand
 * take effect at the next request. New keys replace the old only when they
 * load and the key set holds the signing key's public half; else the old
 * ones stay, reported once. A file that fails
 * to load leaves db NULL (every login refused: server_error) or rev_broken
 * set (every token issue refused: server_error), reported once per change. */
void helperd_state_sync(struct helperd_state *st, helperd_report_fn report, void *ctx);

/* Frees st and everything it owns (wiping secrets); NULL is a no-op. */
void helperd_state_free(struct helperd_state *st);

/* ---- per-name delay after failed login/passwd (helperd_delay.c) ---- */

/* Each name has two delays (jwt-helperd(8), LIMITS): one for the peer uid whose
 * Unix account has that name (alice asking for alice), one shared by every
 * other peer uid, root included. A failure counts against the side that
 * sent it, so no other user can keep alice from logging in as herself. */
enum helperd_delay_side {
    HELPERD_DELAY_OWN = 0,
    HELPERD_DELAY_OTHERS = 1,
};

/* At most this many names are remembered per side; the oldest quiet entry
 * goes first. When every slot of a side is in use by a name still inside
 * its delay, a new name on that side waits as if it had failed once (so
 * flooding names buys nothing). */
#define HELPERD_DELAY_SLOTS 4096
/* An entry with no failure for this long is forgotten. */
#define HELPERD_DELAY_FORGET_MS (15LL * 60 * 1000)

/* Returns the delay in seconds before answering after `failures`
 * consecutive failed attempts for one name: base_s (login_delay) doubled
 * per earlier failure, at most HELPERD_CONF_LOGIN_DELAY_CAP; 0 when
 * failures or base_s is 0. */
unsigned helperd_delay_seconds(unsigned base_s, unsigned failures);
/* base_s is login_delay (seconds; 0 turns delays off). NULL on memory. */
struct helperd_delay *helperd_delay_new(unsigned base_s);
void helperd_delay_free(struct helperd_delay *d);
void helperd_delay_set_base(struct helperd_delay *d, unsigned base_s);
/* Returns the monotonic instant (ms) before which a new attempt for name
 * from side is refused as rate_limited; 0 when it may go ahead now. */
int64_t helperd_delay_blocked_until(struct helperd_delay *d, const char *name,
                                    enum helperd_delay_side side, int64_t now_ms);
/* Records a failure for name on side at now_ms; returns the monotonic
 * instant (ms) at which its answer may be sent (now_ms + the doubled delay,
 * capped at HELPERD_CONF_LOGIN_DELAY_CAP s); further attempts from that
 * side are blocked until then. */
int64_t helperd_delay_fail(struct helperd_delay *d, const char *name, enum helperd_delay_side side,
                           int64_t now_ms);
/* A success forgets name's failures on that side. */
void helperd_delay_success(struct helperd_delay *d, const char *name, enum helperd_delay_side side);
/* At most one login or passwd per name and side is hashed at a time: the
 * failure is charged only when the hash is done, so without this
 * concurrent guesses would all pass helperd_delay_blocked_until first.
 * Returns false when name is claimed on that side already (or there is no
 * memory: fail closed); the caller then answers rate_limited.
 * helperd_delay_release ends the claim. */
bool helperd_delay_claim(struct helperd_delay *d, const char *name, enum helperd_delay_side side);
void helperd_delay_release(struct helperd_delay *d, const char *name, enum helperd_delay_side side);

/* ---- the password job (helperd_job.c) ---- */

/* The slow part of login and passwd, run on a worker thread: owns copies of
 * everything it needs, so a reload may swap the state meanwhile. */
struct helperd_job {
    struct proto_request req; /* the decoded request (secrets inside) */
    uid_t peer_uid;
    char *hash;                   /* the record's hash, or the state's dummy hash */
    bool known;                   /* a usable record exists (not locked, not malformed) */
    struct helperd_delay *claim;  /* where req.username is claimed; helperd_job_free
                                   * releases it (on the loop's thread) */
    enum helperd_delay_side side; /* whose delay and claim: the peer's own name or not */
    /* set by helperd_job_run */
    bool password_ok; /* the password matched AND known */
    char *new_hash;   /* passwd with password_ok: hash of new_password */
    bool failed;      /* hashing itself failed (out of memory): server_error */
};

/* Checks the password (req.password, or req.old_password for passwd)
 * against hash with crypto_pwhash_str_verify whether or not the user is
 * known (same work either way), then for a passwd that passed computes
 * new_hash (crypto_pwhash_str, argon2id, OPSLIMIT/MEMLIMIT_INTERACTIVE:
 * 64 MiB). Touches nothing outside job: safe on any thread. */
void helperd_job_run(struct helperd_job *job);
/* Wipes and frees job; NULL is a no-op. */
void helperd_job_free(struct helperd_job *job);

/* ---- answering a line (helperd_handler.c) ---- */

/* Who asked (SO_PEERCRED of the connection). */
struct helperd_peer {
    uid_t uid;
    gid_t gid;
    pid_t pid;
};

/* A reply to send: a whole line (secret_free(line, len) when done), not
 * before the monotonic instant not_before_ms (0: at once), and whether to
 * close the connection after it. */
struct helperd_reply {
    char *line;
    size_t len;
    int64_t not_before_ms;
    bool close_after;
};

enum helperd_step {
    HELPERD_STEP_REPLY, /* *reply is set */
    HELPERD_STEP_JOB,   /* *job is set: run it on a worker, then helperd_handle_finish */
};

/* Clock readings a handler call works with: unix seconds for tokens,
 * monotonic milliseconds for delays. */
struct helperd_now {
    int64_t unix_s;
    int64_t mono_ms;
};

/* Answers one request line line[0..len) (the whole line with its "\n", as
 * the loop framed it) from peer at now. Syncs the files first
 * (helperd_state_sync). refresh, logout, jwks and status are answered at
 * once; login and passwd return a job unless refused first (malformed,
 * rate_limited while the name is inside its delay). Every decode failure is
 * invalid_request (unsupported_op for an unknown op), a failure of ours
 * server_error; never a secret in error_description or a log line. Counts
 * into st->counters. Never fails: out of memory gives a fixed
 * server_error line. */
enum helperd_step helperd_handle_line(struct helperd_state *st, const struct helperd_peer *peer,
                                      const char *line, size_t len, const struct helperd_now *now,
                                      helperd_report_fn report, void *ctx,
                                      struct helperd_reply *reply, struct helperd_job **job);

/* Completes a job helperd_job_run has run: on a good password issues the
 * tokens (login) or writes the new hash and bumps gen under the users
 * file's lock, re-checking the record did not change since the job began,
 * then publishes the revocation instant (passwd); on a bad one (or an
 * unknown user) records a failure and delays the identical invalid_grant
 * answer. Frees job. Fills *reply. */
void helperd_handle_finish(struct helperd_state *st, struct helperd_job *job,
                           const struct helperd_now *now, helperd_report_fn report, void *ctx,
                           struct helperd_reply *reply);

/* A fixed error reply (the loop's own refusals: a line over PROTO_MAX_LINE,
 * too many clients). Fills *reply; close_after as given. */
void helperd_reply_error(enum proto_error e, const char *desc, bool close_after,
                         struct helperd_reply *reply);

/* Wipes and frees reply->line and clears reply. */
void helperd_reply_clear(struct helperd_reply *reply);

#endif

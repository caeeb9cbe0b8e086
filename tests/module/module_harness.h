/* SPDX-License-Identifier: MIT */
/* Drives the built pam_jwt.so through real libpam: temp dir, keys, tokens, services, logs. */
#ifndef PAM_JWT_MODULE_HARNESS_H
#define PAM_JWT_MODULE_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <security/pam_appl.h>

#include "jwt.h"
#include "signer.h"

#ifndef MODULE_PATH
#error "MODULE_PATH must name the built pam_jwt.so"
#endif

/* Issuer and audience every harness token carries and the default config accepts. */
#define HARNESS_ISSUER "test-issuer"
#define HARNESS_AUDIENCE "pam"

/* Connections to our /dev/log we keep (syslog(3) makes one per openlog). */
#define HARNESS_LOG_CONNS 16

/* One test's world: every file lives under dir (mkdtemp). */
struct harness {
    char dir[256];
    char pamd[300];     /* service files: the confdir of pam_start_confdir */
    char jwks[300];     /* the key set the default config names */
    char conf[300];     /* the default config file (config=) */
    struct signer *key; /* signs harness tokens; its public half is in jwks */
    int log_fd;         /* listening socket at /dev/log, or -1 */
    bool dev_replaced;  /* /dev was replaced in our private mount namespace */
    char olddev[300];
    int log_conn[HARNESS_LOG_CONNS]; /* syslog(3)'s connections, accepted */
    int log_nconn;
};

/* What the application's conversation does and saw. */
struct harness_conv {
    const char *answer;      /* reply to echo-off prompts; NULL makes them fail */
    const char *user_answer; /* reply to echo-on prompts (the user name); NULL fails */
    int calls;               /* messages seen */
    int last_style;
    char last_prompt[256];
};

/* Creates the temp dir, an EdDSA key, jwks.json and pam_jwt.conf. */
bool harness_init(struct harness *h);
/* Removes the temp dir (never crossing a mount point) and frees the key. */
void harness_cleanup(struct harness *h);

/* Writes text to dir/name with mode (through a temporary file renamed over
 * when atomic, else in place with O_TRUNC keeping the inode); *path_out (may
 * be NULL) gets the full path, PATH_MAX bytes. */
bool harness_file_write(const struct harness *h, const char *name, const char *text, mode_t mode,
                        bool atomic, char *path_out);
/* Writes a JWK Set with the public halves of keys[0..n) to path. */
bool harness_jwks_write(const char *path, struct signer *const *keys, size_t n, bool atomic);
/* Writes the service file pamd/name from a printf format. */
bool harness_service(const struct harness *h, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Signs the claims given as a printf-formatted JSON object (typ NULL: no typ
 * header). Returns a malloc'd token or NULL. */
char *harness_mint(const struct signer *s, const char *typ, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A valid access token for user from h->key: iss, aud, sub, iat now-10,
 * exp now+300, a fresh jti, and extra (",\"scope\":\"x\"" or "") appended. */
char *harness_token(const struct harness *h, const char *user, const char *extra);
/* Same with another key. */
char *harness_token_with(const struct signer *s, const char *user, const char *extra);

/* pam_start_confdir on h->pamd with a conversation driven by conv. */
int harness_start(const struct harness *h, const char *service, const char *user,
                  struct harness_conv *conv, pam_handle_t **pamh);
/* Start, authenticate with token typed at the prompt, end: the pam_authenticate code. */
int harness_auth(const struct harness *h, const char *service, const char *user, const char *token);

/* Sets up syslog capture: a private mount namespace in which /dev/log is a
 * datagram socket of ours. Returns false with a reason when not possible. */
bool harness_log_capture(struct harness *h, char *why, size_t why_len);
/* Reads every pending log message into buf, one per line; returns the count. */
int harness_log_drain(struct harness *h, char *buf, size_t len);

/* TAP check of a PAM code printing both codes and their strings. */
#define CHECK_PAM(got, want, what)                                                                 \
    do {                                                                                           \
        int check_pg_ = (got), check_pw_ = (want);                                                 \
        check_report(check_pg_ == check_pw_, __FILE__, __LINE__, (what));                          \
        if (check_pg_ != check_pw_)                                                                \
            printf("#   got %d \"%s\", want %d \"%s\"\n", check_pg_,                               \
                   pam_strerror(NULL, check_pg_), check_pw_, pam_strerror(NULL, check_pw_));       \
    } while (0)

#endif

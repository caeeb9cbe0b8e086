/* SPDX-License-Identifier: MIT */
/* Tests pam_jwt.so through real libpam: every option, return code, stack type and log line. */
#define _GNU_SOURCE
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <security/pam_appl.h>

#include "../unit/check.h"
#include "module_harness.h"
#include "secret.h"

/* The claim tables below pass their formats through variables. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

/* "auth required <module> config=<conf>": the line most tests use. */
#define JWT_LINE MODULE_PATH " config=%s"
#define PAM_DIR "/usr/lib/x86_64-linux-gnu/security/"

static struct harness h;
static bool have_logs;
static char logs_why[256];
static char logbuf[1 << 16];

static long long
now(void)
{
    return (long long)time(NULL);
}

/* Reads what the module logged for one decision and checks it: exactly one
 * decision line, each wanted piece in it, and neither the token, its
 * signature nor secret anywhere. Skips (TAP) when logs cannot be captured. */
static void
check_log(const char *what, const char *token, const char *secret, const char *want1,
          const char *want2, const char *want3)
{
    const char *want[] = {want1, want2, want3};
    char name[512];
    int decisions = 0;
    const char *line = NULL;
    const char *sig = token != NULL ? strrchr(token, '.') : NULL;

    if (!have_logs) {
        snprintf(name, sizeof(name), "log: %s # SKIP %s", what, logs_why);
        CHECK(1, name);
        return;
    }
    harness_log_drain(&h, logbuf, sizeof(logbuf));
    for (const char *p = logbuf; (p = strstr(p, "pam_jwt(")) != NULL; p++) {
        const char *end = strchr(p, '\n');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        if (memmem(p, n, "accepted:", 9) != NULL || memmem(p, n, "rejected:", 9) != NULL) {
            decisions++;
            line = p;
        }
    }
    snprintf(name, sizeof(name), "log: %s: one decision line", what);
    CHECK_INT(decisions, 1, name);
    if (decisions != 1)
        printf("#   captured:\n# %s\n", logbuf);
    /* Back to the start of the datagram: "<PRI>" comes first. */
    while (line != NULL && line > logbuf && line[-1] != '\n')
        line--;
    for (size_t i = 0; i < 3 && line != NULL; i++) {
        const char *end = strchr(line, '\n');
        size_t n = end != NULL ? (size_t)(end - line) : strlen(line);
        if (want[i] == NULL)
            continue;
        snprintf(name, sizeof(name), "log: %s: has \"%s\"", what, want[i]);
        CHECK(memmem(line, n, want[i], strlen(want[i])) != NULL, name);
        if (memmem(line, n, want[i], strlen(want[i])) == NULL)
            printf("#   line: %.*s\n", (int)n, line);
    }
    snprintf(name, sizeof(name), "log: %s: no token, signature or password", what);
    CHECK((token == NULL || token[0] == '\0' || strstr(logbuf, token) == NULL) &&
              (sig == NULL || strlen(sig) < 8 || strstr(logbuf, sig + 1) == NULL) &&
              (secret == NULL || strstr(logbuf, secret) == NULL),
          name);
}

/* Drains and discards what earlier steps logged. */
static void
log_skip(void)
{
    if (have_logs)
        harness_log_drain(&h, logbuf, sizeof(logbuf));
}

static void
test_auth_basic(void)
{
    char *good = harness_token(&h, "alice", "");
    char *bad = strdup(good);
    char *sig = strrchr(bad, '.') + 5;
    char kidfield[64];
    struct harness_conv conv = {.answer = good};
    pam_handle_t *pamh = NULL;

    harness_service(&h, "basic", "auth required " JWT_LINE "\n", h.conf);
    log_skip();
    CHECK_PAM(harness_start(&h, "basic", "alice", &conv, &pamh), PAM_SUCCESS, "pam_start_confdir");
    CHECK_PAM(pam_authenticate(pamh, 0), PAM_SUCCESS, "auth: valid token");
    CHECK_STR(conv.last_prompt, "Token: ", "auth: default prompt");
    CHECK_INT(conv.last_style, PAM_PROMPT_ECHO_OFF, "auth: prompt with echo off");
    CHECK_INT(conv.calls, 1, "auth: one prompt");
    pam_end(pamh, PAM_SUCCESS);
    snprintf(kidfield, sizeof(kidfield), "kid=%s", signer_kid(h.key));
    check_log("accepted", good, NULL, "<86>", "accepted: service=basic user=alice jti=jti-",
              kidfield);

    /* A flipped signature character (not the last: that one has padding bits). */
    *sig = *sig == 'A' ? 'B' : 'A';
    CHECK_PAM(harness_auth(&h, "basic", "alice", bad), PAM_AUTH_ERR, "auth: bad signature");
    check_log("bad signature", bad, NULL, "<85>", "user=alice jti=- kid=- reason=bad signature",
              "service=basic");
    free(bad);
    CHECK_PAM(harness_auth(&h, "basic", "bob", good), PAM_AUTH_ERR, "auth: token of another user");
    check_log("wrong user", good, NULL, "user=bob", "reason=wrong user", "jti=jti-");
    free(good);
}

/* A prompt that fails (as sudo's does for answers of 512 bytes or more)
 * still gets its decision line. */
static void
conversation_fails(void)
{
    struct harness_conv conv = {.answer = NULL};
    pam_handle_t *pamh = NULL;

    log_skip();
    CHECK_PAM(harness_start(&h, "basic", "alice", &conv, &pamh), PAM_SUCCESS,
              "pam_start_confdir (failing conversation)");
    CHECK_PAM(pam_authenticate(pamh, 0), PAM_CONV_ERR, "auth: failed conversation");
    pam_end(pamh, PAM_SUCCESS);
    check_log("no answer", NULL, NULL, "user=alice jti=- kid=- reason=no token: the prompt failed",
              "512 bytes", NULL);
}

/* Mints a valid token just over limit bytes, cuts it to limit as a prompt
 * would (inside the signature) and checks the logged reason. */
static void
check_cut_token(size_t limit, const char *want)
{
    char extra[1200], pad[1100], name[64];
    char *tok = NULL;

    for (size_t n = 1; n < sizeof(pad) && (tok == NULL || strlen(tok) <= limit); n++) {
        free(tok);
        memset(pad, 'x', n);
        pad[n] = '\0';
        snprintf(extra, sizeof(extra), ",\"pad\":\"%s\"", pad);
        tok = harness_token(&h, "alice", extra);
    }
    CHECK(strlen(tok) > limit && strlen(tok) < limit + 5, "cut token: minted just over the limit");
    tok[limit] = '\0';
    snprintf(name, sizeof(name), "auth: token cut at %zu", limit);
    CHECK_PAM(harness_auth(&h, "long", "alice", tok), PAM_AUTH_ERR, name);
    snprintf(name, sizeof(name), "cut at %zu", limit);
    check_log(name, tok, NULL, want, "jti=- kid=-", NULL);
    free(tok);
}

/* Each claim set is refused by a claim check; the first passes (its twin). */
static void
test_auth_claims(void)
{
    long long t = now();
    struct {
        const char *what, *typ, *claims, *reason;
        int want;
    } cases[] = {
        {"all claims right", "at+jwt",
         "{\"iss\":\"test-issuer\",\"aud\":\"pam\",\"sub\":\"alice\",\"iat\":%lld,\"exp\":%lld}",
         NULL, PAM_SUCCESS},
        {"expired", "at+jwt",
         "{\"iss\":\"test-issuer\",\"aud\":\"pam\",\"sub\":\"alice\",\"iat\":%lld,\"exp\":%lld}",
         "reason=expired", PAM_AUTH_ERR},
        {"wrong aud", "at+jwt",
         "{\"iss\":\"test-issuer\",\"aud\":\"ssh\",\"sub\":\"alice\",\"iat\":%lld,\"exp\":%lld}",
         "reason=wrong audience", PAM_AUTH_ERR},
        {"wrong iss", "at+jwt",
         "{\"iss\":\"evil\",\"aud\":\"pam\",\"sub\":\"alice\",\"iat\":%lld,\"exp\":%lld}",
         "reason=wrong issuer", PAM_AUTH_ERR},
        {"refresh typ rt+jwt", "rt+jwt",
         "{\"iss\":\"test-issuer\",\"aud\":\"pam\",\"sub\":\"alice\",\"iat\":%lld,\"exp\":%lld}",
         "reason=typ not accepted", PAM_AUTH_ERR},
        {"ID token (nonce)", "JWT",
         "{\"iss\":\"test-issuer\",\"aud\":\"pam\",\"sub\":\"alice\",\"iat\":%lld,\"exp\":%lld,"
         "\"nonce\":\"n\"}",
         "reason=ID token", PAM_AUTH_ERR},
        {"lifetime over max_lifetime", "at+jwt",
         "{\"iss\":\"test-issuer\",\"aud\":\"pam\",\"sub\":\"alice\",\"iat\":%lld,\"exp\":%lld}",
         "reason=lifetime exceeds max_lifetime", PAM_AUTH_ERR},
        {"no typ counts as JWT", NULL,
         "{\"iss\":\"test-issuer\",\"aud\":[\"x\",\"pam\"],\"sub\":\"alice\",\"iat\":%lld,"
         "\"exp\":%lld}",
         NULL, PAM_SUCCESS},
    };
    long long times[][2] = {{t - 10, t + 300},  {t - 1000, t - 500}, {t - 10, t + 300},
                            {t - 10, t + 300},  {t - 10, t + 300},   {t - 10, t + 300},
                            {t - 10, t + 7200}, {t - 10, t + 300}};

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *tok = harness_mint(h.key, cases[i].typ, cases[i].claims, times[i][0], times[i][1]);
        char what[128];
        snprintf(what, sizeof(what), "auth: %s", cases[i].what);
        CHECK_PAM(harness_auth(&h, "basic", "alice", tok), cases[i].want, what);
        check_log(cases[i].what, tok, NULL,
                  cases[i].want == PAM_SUCCESS ? "accepted:" : "rejected:", cases[i].reason,
                  "user=alice");
        free(tok);
    }
}

static void
test_auth_length(void)
{
    char pad[700];
    char extra[800];
    char *tok;
    char reason[128];

    memset(pad, 'x', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    snprintf(extra, sizeof(extra), ",\"pad\":\"%s\"", pad);
    tok = harness_token(&h, "alice", extra);
    harness_service(&h, "short", "auth required " JWT_LINE " max_token_len=512\n", h.conf);
    harness_service(&h, "long", "auth required " JWT_LINE " max_token_len=2048\n", h.conf);
    CHECK_PAM(harness_auth(&h, "short", "alice", tok), PAM_AUTH_ERR, "auth: over max_token_len");
    snprintf(reason, sizeof(reason), "reason=token length %zu exceeds max_token_len 512",
             strlen(tok));
    check_log("too long", tok, NULL, reason, "jti=- kid=-", NULL);
    CHECK_PAM(harness_auth(&h, "long", "alice", tok), PAM_SUCCESS,
              "auth: same token, larger limit");
    log_skip();
    /* Cut to a prompt's limit, as the ssh client (1023) and PAM_MAX_RESP_SIZE
     * users (511) do silently: the log names the likely cause. */
    check_cut_token(1023, "reason=token length 1023 is the ssh client limit: probably cut short");
    check_cut_token(511,
                    "reason=token length 511 is the PAM_MAX_RESP_SIZE limit: probably cut short");
    check_cut_token(510, "reason=bad signature");
    conversation_fails();
    CHECK_PAM(harness_auth(&h, "basic", "alice", ""), PAM_AUTH_ERR, "auth: empty token");
    check_log("empty", NULL, NULL, "reason=empty token", NULL, NULL);
    /* Not a token at all: a password typed at the prompt must not be logged. */
    CHECK_PAM(harness_auth(&h, "basic", "alice", "hunter2-Secret!"), PAM_AUTH_ERR,
              "auth: a password is refused");
    check_log("password", NULL, "hunter2-Secret!", "reason=not three segments", NULL, NULL);
    free(tok);
}

static void
test_auth_user_unknown(void)
{
    char *tok = harness_token(&h, "alice", "");
    struct harness_conv conv = {.answer = tok, .user_answer = NULL};
    pam_handle_t *pamh = NULL;

    harness_start(&h, "basic", NULL, &conv, &pamh);
    CHECK_PAM(pam_authenticate(pamh, 0), PAM_USER_UNKNOWN, "auth: no user and no way to ask");
    pam_end(pamh, PAM_SUCCESS);
    log_skip();
    conv = (struct harness_conv){.answer = tok, .user_answer = "alice"};
    harness_start(&h, "basic", NULL, &conv, &pamh);
    CHECK_PAM(pam_authenticate(pamh, 0), PAM_SUCCESS, "auth: user asked for, then the token");
    CHECK_INT(conv.calls, 2, "auth: two prompts (user, token)");
    pam_end(pamh, PAM_SUCCESS);
    log_skip();
    free(tok);
}

static void
test_keyset_problems(void)
{
    char *tok = harness_token(&h, "alice", "");
    char path[PATH_MAX], lnk[PATH_MAX];

    snprintf(path, sizeof(path), "%s/other.json", h.dir);
    harness_jwks_write(path, &h.key, 1, true);
    harness_service(&h, "copy", "auth required " JWT_LINE " jwks=%s\n", h.conf, path);
    harness_service(&h, "missing", "auth required " JWT_LINE " jwks=%s/nope.json\n", h.conf, h.dir);
    CHECK_PAM(harness_auth(&h, "copy", "alice", tok), PAM_SUCCESS, "keys: a copy of the set works");
    log_skip();
    CHECK_PAM(harness_auth(&h, "missing", "alice", tok), PAM_AUTHINFO_UNAVAIL, "keys: missing set");
    check_log("missing key set", tok, NULL, "reason=key set: cannot open file", "jti=- kid=-",
              NULL);
    chmod(path, 0666);
    CHECK_PAM(harness_auth(&h, "copy", "alice", tok), PAM_AUTHINFO_UNAVAIL,
              "keys: world-writable set");
    check_log("unsafe key set", tok, NULL, "reason=key set: unsafe file", NULL, NULL);
    chmod(path, 0664);
    CHECK_PAM(harness_auth(&h, "copy", "alice", tok), PAM_AUTHINFO_UNAVAIL,
              "keys: group-writable set");
    log_skip();
    chmod(path, 0644);
    CHECK_PAM(harness_auth(&h, "copy", "alice", tok), PAM_SUCCESS, "keys: mode fixed, works again");
    log_skip();
    snprintf(lnk, sizeof(lnk), "%s/link.json", h.dir);
    CHECK(symlink(path, lnk) == 0, "keys: symlink made");
    harness_service(&h, "link", "auth required " JWT_LINE " jwks=%s\n", h.conf, lnk);
    CHECK_PAM(harness_auth(&h, "link", "alice", tok), PAM_AUTHINFO_UNAVAIL, "keys: symlinked set");
    log_skip();
    harness_file_write(&h, path, "{\"keys\":[{\"kty\":\"OKP\",", 0644, true, NULL);
    CHECK_PAM(harness_auth(&h, "copy", "alice", tok), PAM_AUTHINFO_UNAVAIL, "keys: truncated set");
    check_log("truncated key set", tok, NULL, "reason=key set:", NULL, NULL);
    harness_file_write(&h, path, "{\"keys\":[]}", 0644, true, NULL);
    CHECK_PAM(harness_auth(&h, "copy", "alice", tok), PAM_AUTHINFO_UNAVAIL, "keys: empty set");
    log_skip();
    free(tok);
}

static void
test_config_errors(void)
{
    char *tok = harness_token(&h, "alice", "");
    char path[PATH_MAX];
    struct {
        const char *what, *args, *logged;
    } cases[] = {
        {"unknown option", "frobnicate=1", "frobnicate"},
        {"bad number", "leeway=abc", "leeway"},
        {"huge max_token_len", "max_token_len=99999999", "max_token_len"},
        {"HS256 in algs", "algs=HS256", "algs"},
        {"none in algs", "algs=EdDSA,none", "algs"},
        {"relative jwks path", "jwks=jwks.json", "jwks"},
        {"a flag given a value (use_first_pass=maybe)", "use_first_pass=maybe", "use_first_pass"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char what[160];
        harness_service(&h, "badconf", "auth required " JWT_LINE " %s\n", h.conf, cases[i].args);
        snprintf(what, sizeof(what), "config: %s", cases[i].what);
        CHECK_PAM(harness_auth(&h, "badconf", "alice", tok), PAM_SERVICE_ERR, what);
        if (have_logs) {
            harness_log_drain(&h, logbuf, sizeof(logbuf));
            snprintf(what, sizeof(what), "log: config line names %s", cases[i].logged);
            CHECK(strstr(logbuf, "configuration:") != NULL &&
                      strstr(logbuf, cases[i].logged) != NULL,
                  what);
        }
    }
    harness_service(&h, "badconf", "auth required " MODULE_PATH " config=%s/nope.conf\n", h.dir);
    CHECK_PAM(harness_auth(&h, "badconf", "alice", tok), PAM_SERVICE_ERR,
              "config: missing config=");
    log_skip();
    harness_file_write(&h, "bad.conf", "jwks = /x\nthis is not a line\n", 0644, true, path);
    harness_service(&h, "badconf", "auth required " MODULE_PATH " config=%s\n", path);
    CHECK_PAM(harness_auth(&h, "badconf", "alice", tok), PAM_SERVICE_ERR, "config: bad file line");
    log_skip();
    harness_file_write(&h, "ww.conf", "issuer = test-issuer\naudience = pam\n", 0666, true, path);
    harness_service(&h, "badconf", "auth required " MODULE_PATH " config=%s jwks=%s\n", path,
                    h.jwks);
    CHECK_PAM(harness_auth(&h, "badconf", "alice", tok), PAM_SERVICE_ERR,
              "config: world-writable config file");
    chmod(path, 0644);
    CHECK_PAM(harness_auth(&h, "badconf", "alice", tok), PAM_SUCCESS,
              "config: same file, mode fixed");
    log_skip();
    /* Module arguments win over the file. */
    harness_service(&h, "argwins", "auth required " JWT_LINE " audience=ssh\n", h.conf);
    CHECK_PAM(harness_auth(&h, "argwins", "alice", tok), PAM_AUTH_ERR,
              "config: argument audience replaces the file's");
    free(tok);
    tok = harness_mint(h.key, NULL,
                       "{\"iss\":\"test-issuer\",\"aud\":\"ssh\",\"sub\":\"alice\",\"iat\":%lld,"
                       "\"exp\":%lld}",
                       now(), now() + 60);
    CHECK_PAM(harness_auth(&h, "argwins", "alice", tok), PAM_SUCCESS,
              "config: argument audience accepted");
    log_skip();
    free(tok);
}

static void
test_revocation(void)
{
    long long t = now(), listed = t - 100;
    char list[256], path[PATH_MAX];
    char *before = harness_mint(h.key, NULL,
                                "{\"iss\":\"test-issuer\",\"aud\":\"pam\",\"sub\":\"alice\","
                                "\"iat\":%lld,\"exp\":%lld}",
                                listed - 50, t + 300);
    char *at = harness_mint(h.key, NULL,
                            "{\"iss\":\"test-issuer\",\"aud\":\"pam\",\"sub\":\"alice\","
                            "\"iat\":%lld,\"exp\":%lld}",
                            listed, t + 300);
    char *after = harness_mint(h.key, NULL,
                               "{\"iss\":\"test-issuer\",\"aud\":\"pam\",\"sub\":\"alice\","
                               "\"iat\":%lld,\"exp\":%lld}",
                               listed + 1, t + 300);
    char *bob = harness_mint(h.key, NULL,
                             "{\"iss\":\"test-issuer\",\"aud\":\"pam\",\"sub\":\"bob\","
                             "\"iat\":%lld,\"exp\":%lld}",
                             listed - 50, t + 300);

    snprintf(list, sizeof(list), "carol:%lld\nalice:%lld\n", t, listed);
    harness_file_write(&h, "revoked", list, 0644, true, path);
    harness_service(&h, "rev", "auth required " JWT_LINE " revocation=%s\n", h.conf, path);
    CHECK_PAM(harness_auth(&h, "rev", "alice", before), PAM_AUTH_ERR,
              "revocation: issued before the instant");
    check_log("revoked", before, NULL, "reason=revoked", "jti=", NULL);
    CHECK_PAM(harness_auth(&h, "rev", "alice", at), PAM_AUTH_ERR,
              "revocation: issued at the instant");
    log_skip();
    CHECK_PAM(harness_auth(&h, "rev", "alice", after), PAM_SUCCESS, "revocation: issued after");
    log_skip();
    CHECK_PAM(harness_auth(&h, "rev", "bob", bob), PAM_SUCCESS, "revocation: unlisted user");
    log_skip();
    harness_file_write(&h, "revoked", "alice:yesterday\n", 0644, true, NULL);
    CHECK_PAM(harness_auth(&h, "rev", "bob", bob), PAM_AUTHINFO_UNAVAIL,
              "revocation: malformed list");
    check_log("malformed revocation list", bob, NULL, "reason=malformed revocation list", NULL,
              NULL);
    unlink(path);
    CHECK_PAM(harness_auth(&h, "rev", "bob", bob), PAM_AUTHINFO_UNAVAIL,
              "revocation: missing list");
    log_skip();
    harness_file_write(&h, "revoked", "", 0644, true, NULL);
    CHECK_PAM(harness_auth(&h, "rev", "alice", before), PAM_SUCCESS, "revocation: empty list");
    log_skip();
    free(before);
    free(at);
    free(after);
    free(bob);
}

static void
test_once(void)
{
    char *tok = harness_token(&h, "alice", "");
    char *other = harness_token(&h, "alice", "");
    char *nojti = harness_mint(h.key, NULL,
                               "{\"iss\":\"test-issuer\",\"aud\":\"pam\",\"sub\":\"alice\","
                               "\"iat\":%lld,\"exp\":%lld}",
                               now(), now() + 60);
    struct stat st;
    char dir[PATH_MAX];

    harness_service(&h, "once", "auth required " JWT_LINE " once\n", h.conf);
    CHECK_PAM(harness_auth(&h, "once", "alice", tok), PAM_SUCCESS, "once: first use");
    log_skip();
    CHECK_PAM(harness_auth(&h, "once", "alice", tok), PAM_AUTH_ERR, "once: second use");
    check_log("replayed", tok, NULL, "reason=token already used", NULL, NULL);
    CHECK_PAM(harness_auth(&h, "once", "alice", other), PAM_SUCCESS, "once: another jti");
    log_skip();
    CHECK_PAM(harness_auth(&h, "once", "alice", nojti), PAM_AUTH_ERR, "once: no jti");
    check_log("no jti", nojti, NULL, "reason=jti missing", NULL, NULL);
    CHECK_PAM(harness_auth(&h, "basic", "alice", tok), PAM_SUCCESS, "once: a line without once");
    log_skip();
    snprintf(dir, sizeof(dir), "%s/once", h.dir);
    CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700, "once: cache dir is 0700");
    chmod(dir, 0755);
    free(other);
    other = harness_token(&h, "alice", "");
    /* A cache others could write to is the system's fault, not the token's. */
    CHECK_PAM(harness_auth(&h, "once", "alice", other), PAM_AUTHINFO_UNAVAIL,
              "once: cache dir open to others is refused");
    log_skip();
    chmod(dir, 0700);
    free(tok);
    free(other);
    free(nojti);
}

static void
test_auth_age_scope_audience(void)
{
    char extra[128], host[256];
    char *tok;

    harness_service(&h, "age", "auth required " JWT_LINE " max_auth_age=300\n", h.conf);
    snprintf(extra, sizeof(extra), ",\"auth_time\":%lld", now() - 100);
    tok = harness_token(&h, "alice", extra);
    CHECK_PAM(harness_auth(&h, "age", "alice", tok), PAM_SUCCESS, "max_auth_age: fresh login");
    free(tok);
    log_skip();
    snprintf(extra, sizeof(extra), ",\"auth_time\":%lld", now() - 1000);
    tok = harness_token(&h, "alice", extra);
    CHECK_PAM(harness_auth(&h, "age", "alice", tok), PAM_AUTH_ERR, "max_auth_age: stale login");
    check_log("stale auth_time", tok, NULL, "reason=auth_time too old", NULL, NULL);
    free(tok);
    tok = harness_token(&h, "alice", "");
    CHECK_PAM(harness_auth(&h, "age", "alice", tok), PAM_AUTH_ERR, "max_auth_age: no auth_time");
    log_skip();
    free(tok);

    harness_service(&h, "scope", "auth required " JWT_LINE " scope=sudo\n", h.conf);
    tok = harness_token(&h, "alice", ",\"scope\":\"ssh sudo\"");
    CHECK_PAM(harness_auth(&h, "scope", "alice", tok), PAM_SUCCESS, "scope: granted");
    free(tok);
    log_skip();
    tok = harness_token(&h, "alice", ",\"scope\":\"ssh sudoers\"");
    CHECK_PAM(harness_auth(&h, "scope", "alice", tok), PAM_AUTH_ERR, "scope: only a longer word");
    check_log("scope", tok, NULL, "reason=scope not granted", NULL, NULL);
    free(tok);
    tok = harness_token(&h, "alice", "");
    CHECK_PAM(harness_auth(&h, "scope", "alice", tok), PAM_AUTH_ERR, "scope: none at all");
    log_skip();
    free(tok);

    gethostname(host, sizeof(host));
    host[sizeof(host) - 1] = '\0';
    host[strcspn(host, ".")] = '\0';
    harness_service(&h, "host", "auth required " JWT_LINE " audience=%%h\n", h.conf);
    tok = harness_mint(h.key, NULL,
                       "{\"iss\":\"test-issuer\",\"aud\":\"%s\",\"sub\":\"alice\",\"iat\":%lld,"
                       "\"exp\":%lld}",
                       host, now(), now() + 60);
    CHECK_PAM(harness_auth(&h, "host", "alice", tok), PAM_SUCCESS, "audience=%h: short host name");
    free(tok);
    log_skip();
    tok = harness_mint(h.key, NULL,
                       "{\"iss\":\"test-issuer\",\"aud\":\"%s-other\",\"sub\":\"alice\","
                       "\"iat\":%lld,\"exp\":%lld}",
                       host, now(), now() + 60);
    CHECK_PAM(harness_auth(&h, "host", "alice", tok), PAM_AUTH_ERR, "audience=%h: another host");
    log_skip();
    free(tok);
    tok = harness_token(&h, "alice", "");
    CHECK_PAM(harness_auth(&h, "host", "alice", tok), PAM_AUTH_ERR,
              "audience=%h: the default audience no longer counts");
    log_skip();
    free(tok);
}

/* Shaped like an OIDC provider's access token: RS256 with kid, typ JWT, a
 * UUID sub, preferred_username, scp array. */
static void
test_oidc(void)
{
    struct signer *rsa = NULL;
    char path[PATH_MAX];
    const char *claims = "{\"iss\":\"https://idp.example/realms/x\",\"aud\":[\"account\",\"pam\"],"
                         "\"sub\":\"0b6e7c52-3f1a-4d2b-9c1e-2f8d7a6b5c4d\",\"azp\":\"cli\","
                         "\"preferred_username\":\"%s\",\"scp\":[\"openid\",\"sudo\"],"
                         "\"typ\":\"Bearer\",\"iat\":%lld,\"exp\":%lld,\"jti\":\"oidc-1\"}";
    char *tok, *bob;

    if (signer_generate(JWT_ALG_RS256, 2048, &rsa) != JWT_OK) {
        CHECK(0, "oidc: RSA key generated");
        return;
    }
    snprintf(path, sizeof(path), "%s/idp.json", h.dir);
    harness_jwks_write(path, &rsa, 1, true);
    harness_service(&h, "oidc",
                    "auth required " JWT_LINE " jwks=%s issuer=https://idp.example/realms/x "
                    "user_claim=preferred_username scope=sudo algs=RS256\n",
                    h.conf, path);
    tok = harness_mint(rsa, "JWT", claims, "alice", now() - 5, now() + 300);
    bob = harness_mint(rsa, "JWT", claims, "bob", now() - 5, now() + 300);
    CHECK_PAM(harness_auth(&h, "oidc", "alice", tok), PAM_SUCCESS, "oidc: provider token accepted");
    check_log("oidc", tok, NULL, "alg=RS256", "jti=oidc-1", "user=alice");
    CHECK_PAM(harness_auth(&h, "oidc", "alice", bob), PAM_AUTH_ERR,
              "oidc: preferred_username of someone else");
    log_skip();
    CHECK_PAM(harness_auth(&h, "oidc", "0b6e7c52-3f1a-4d2b-9c1e-2f8d7a6b5c4d", tok), PAM_AUTH_ERR,
              "oidc: sub is not the user claim here");
    log_skip();
    /* Every client of the realm gets aud "account": client_id= (azp here)
     * tells the token issued to this application from the others. */
#define OIDC_CLIENT_LINE                                                                           \
    "auth required " JWT_LINE " jwks=%s issuer=https://idp.example/realms/x "                      \
    "user_claim=preferred_username algs=RS256 audience=account client_id=%s\n"
    harness_service(&h, "oidc-client", OIDC_CLIENT_LINE, h.conf, path, "pam-login,cli");
    CHECK_PAM(harness_auth(&h, "oidc-client", "alice", tok), PAM_SUCCESS,
              "oidc: client_id= lists the token's azp");
    log_skip();
    harness_service(&h, "oidc-other", OIDC_CLIENT_LINE, h.conf, path, "pam-login");
    CHECK_PAM(harness_auth(&h, "oidc-other", "alice", tok), PAM_AUTH_ERR,
              "oidc: a token issued to another client of the realm");
    check_log("wrong client", tok, NULL, "reason=wrong client", "user=alice", NULL);
    free(tok);
    free(bob);
    signer_free(rsa);
}

/* Writes the public half of s as a PEM SubjectPublicKeyInfo (key=). */
static bool
pem_write(const struct signer *s, const char *path)
{
    struct jwt_jwk *pub = NULL;
    EVP_PKEY *pkey = NULL;
    FILE *f = NULL;
    bool ok = false;

    if (signer_public_jwk(s, &pub) != JWT_OK ||
        (pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub->x, pub->x_len)) == NULL ||
        (f = fopen(path, "w")) == NULL)
        goto out;
    ok = PEM_write_PUBKEY(f, pkey) == 1;
out:
    if (f != NULL)
        ok = fclose(f) == 0 && ok;
    EVP_PKEY_free(pkey);
    jwt_jwk_free(pub);
    return ok;
}

/* The options not met elsewhere: algs, typ, leeway, max_lifetime, issuer
 * lists, key=, socket=. */
/* Sets this process's host name (our own UTS namespace, see main). */
static bool
set_host(const char *name)
{
    return sethostname(name, strlen(name)) == 0;
}

static char *
host_token(const char *aud)
{
    return harness_mint(h.key, "at+jwt",
                        "{\"iss\":\"" HARNESS_ISSUER "\",\"aud\":%s,\"sub\":\"alice\","
                        "\"iat\":%lld,\"exp\":%lld,\"jti\":\"host-%lld\"}",
                        aud, now() - 5, now() + 300, now());
}

/* pam_jwt(8) audience=: with no audience= at all a token is bound to this host by
 * its name (host:%h, host:%H); the same token is refused on another host,
 * and a loopback name is accepted only when listed. */
static void
test_host_bound(bool have_uts)
{
    char conf[PATH_MAX], text[1024];
    char *web1 = host_token("\"host:web1\""), *odd = host_token("[\"x\",\"HOST:Web1.\"]");
    char *full = host_token("\"host:web1.example.org\""), *lo = host_token("\"host:localhost\"");
    char *pam = host_token("\"pam\"");
    char saved[HOST_NAME_MAX + 1] = "";

    if (!have_uts || gethostname(saved, sizeof(saved) - 1) != 0) {
        CHECK(1, "host-bound default # SKIP needs root for a UTS namespace");
        goto out;
    }
    snprintf(text, sizeof(text), "jwks = %s\nissuer = " HARNESS_ISSUER "\n", h.jwks);
    harness_file_write(&h, "host.conf", text, 0644, true, conf);
    harness_service(&h, "hostbound", "auth required " MODULE_PATH " config=%s\n", conf);
    harness_service(&h, "hostlo",
                    "auth required " MODULE_PATH " config=%s audience=host:localhost\n", conf);
    CHECK(set_host("web1.example.org"), "host A: named web1.example.org");
    CHECK_PAM(harness_auth(&h, "hostbound", "alice", web1), PAM_SUCCESS, "host A: host:web1");
    CHECK_PAM(harness_auth(&h, "hostbound", "alice", full), PAM_SUCCESS,
              "host A: host:web1.example.org");
    CHECK_PAM(harness_auth(&h, "hostbound", "alice", odd), PAM_SUCCESS,
              "host A: HOST:Web1. in an aud array");
    log_skip();
    CHECK_PAM(harness_auth(&h, "hostbound", "alice", pam), PAM_AUTH_ERR,
              "host A: aud pam is no longer accepted by default");
    check_log("host A: wrong audience", pam, NULL,
              "reason=wrong audience (this host accepts host:web1, host:web1.example.org)", NULL,
              NULL);
    CHECK(set_host("web2"), "host B: named web2");
    CHECK_PAM(harness_auth(&h, "hostbound", "alice", web1), PAM_AUTH_ERR,
              "host B: a token for host A is refused");
    check_log("host B: wrong audience", web1, NULL,
              "reason=wrong audience (this host accepts host:web2)", NULL, NULL);
    CHECK_PAM(harness_auth(&h, "hostbound", "alice", lo), PAM_AUTH_ERR,
              "host B: host:localhost refused by default");
    log_skip();
    CHECK_PAM(harness_auth(&h, "hostlo", "alice", lo), PAM_SUCCESS,
              "host B: host:localhost accepted when listed");
    CHECK_PAM(harness_auth(&h, "hostlo", "alice", web1), PAM_AUTH_ERR,
              "host B: a listed audience replaces the default");
    CHECK(set_host("localhost"), "loopback: named localhost");
    CHECK_PAM(harness_auth(&h, "hostbound", "alice", lo), PAM_SERVICE_ERR,
              "loopback: a host named localhost has no default audience");
    CHECK_PAM(harness_auth(&h, "hostlo", "alice", lo), PAM_SUCCESS,
              "loopback: host:localhost when listed");
    log_skip();
    CHECK(set_host(saved), "host name restored");
out:
    free(web1);
    free(odd);
    free(full);
    free(lo);
    free(pam);
}

/* The shipped policy file (conf/pam_jwt.conf), read as pam_jwt reads it. */
#define SHIPPED_CONF VECTORS_DIR "/../../conf/pam_jwt.conf"
#define SHIPPED_REVOCATION "/var/lib/jwt-helper/revoked"

/* Copies the shipped file to dir/shipped.conf with its revocation list
 * moved into dir (revoked_path gets where); false when it cannot. */
static bool
shipped_copy(char *conf, char *revoked_path)
{
    char text[16384], *at;
    FILE *f = fopen(SHIPPED_CONF, "r");
    size_t n = f != NULL ? fread(text, 1, sizeof(text) - 1, f) : 0;
    /* Room for text twice: the compiler bounds each %s below on its own. */
    char out[2 * sizeof(text) + PATH_MAX];

    if (f != NULL)
        fclose(f);
    text[n] = '\0';
    snprintf(revoked_path, PATH_MAX, "%s/revoked", h.dir);
    if (n == 0 || (at = strstr(text, "\nrevocation = " SHIPPED_REVOCATION "\n")) == NULL)
        return false;
    *at = '\0';
    snprintf(out, sizeof(out), "%s\nrevocation = %s\n%s", text, revoked_path,
             at + strlen("\nrevocation = " SHIPPED_REVOCATION "\n"));
    return harness_file_write(&h, "shipped.conf", out, 0644, true, conf) &&
           harness_file_write(&h, revoked_path, "", 0644, true, NULL);
}

/* A token for this host (aud host:%h) with scope and, unless age < 0, an
 * auth_time age seconds ago. */
static char *
policy_token(const char *user, const char *scope, long long age)
{
    char host[HOST_NAME_MAX + 1] = "", extra[128] = "";

    if (gethostname(host, sizeof(host) - 1) != 0)
        return NULL;
    host[strcspn(host, ".")] = '\0';
    if (age >= 0)
        snprintf(extra, sizeof(extra), ",\"auth_time\":%lld", now() - age);
    return harness_mint(h.key, "at+jwt",
                        "{\"iss\":\"" HARNESS_ISSUER "\",\"aud\":\"host:%s\",\"sub\":\"%s\","
                        "\"scope\":\"%s\",\"iat\":%lld,\"exp\":%lld,\"jti\":\"pol-%s-%lld\"%s}",
                        host, user, scope, now() - 10, now() + 300, scope, age, extra);
}

/* Authenticates user on service of the shipped policy with a token of
 * scope and auth_time age (see policy_token). */
static int
shipped_auth(const char *service, const char *scope, long long age)
{
    char *tok = policy_token("alice", scope, age);
    int rc = harness_auth(&h, service, "alice", tok);

    free(tok);
    log_skip();
    return rc;
}

/* The shipped conf/pam_jwt.conf through real libpam: each service's
 * block, %s for a service without one, step-up on sudo and sudo-i, and
 * the revocation list on. The stack lines carry no policy of their own,
 * only where the test's keys are. */
static void
test_shipped_policy(void)
{
    static const char *const services[] = {"sshd", "sudo", "sudo-i", "su-l", "login"};
    static const struct {
        const char *service, *scope;
        long long age;
        int want;
        const char *what;
    } cases[] = {
        {"sshd", "ssh", -1, PAM_SUCCESS, "shipped: sshd takes scope ssh"},
        {"sshd", "sudo", -1, PAM_AUTH_ERR, "shipped: sshd refuses a sudo token"},
        {"sshd", "sshd", -1, PAM_AUTH_ERR, "shipped: sshd's block replaces scope=%s"},
        {"sudo", "sudo", 10, PAM_SUCCESS, "shipped: sudo with a fresh login"},
        {"sudo", "sudo", 400, PAM_AUTH_ERR, "shipped: sudo refuses a stale login"},
        {"sudo", "sudo", -1, PAM_AUTH_ERR, "shipped: sudo refuses a token without auth_time"},
        {"sudo", "ssh", 10, PAM_AUTH_ERR, "shipped: sudo refuses an ssh token"},
        {"sudo-i", "sudo", 10, PAM_SUCCESS, "shipped: sudo-i with a fresh login"},
        {"sudo-i", "sudo", 301 + 60, PAM_AUTH_ERR, "shipped: sudo-i step-up (max_auth_age 300)"},
        {"sudo-i", "sudo-i", 10, PAM_AUTH_ERR, "shipped: sudo-i wants scope sudo, not %s"},
        {"su-l", "su", -1, PAM_SUCCESS, "shipped: su-l takes scope su"},
        {"su-l", "ssh sudo", -1, PAM_AUTH_ERR, "shipped: su-l refuses ssh and sudo"},
        {"login", "login", -1, PAM_SUCCESS, "shipped: no block, scope %s = login"},
        {"login", "ssh su sudo", -1, PAM_AUTH_ERR, "shipped: no block, other scopes refused"},
    };
    char conf[PATH_MAX], revoked[PATH_MAX], list[128];

    if (!shipped_copy(conf, revoked)) {
        CHECK(0, "shipped: a copy of conf/pam_jwt.conf with its paths in the test dir");
        return;
    }
    for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
        harness_service(&h, services[i],
                        "auth required " MODULE_PATH " config=%s jwks=%s issuer=%s\n", conf, h.jwks,
                        HARNESS_ISSUER);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        CHECK_PAM(shipped_auth(cases[i].service, cases[i].scope, cases[i].age), cases[i].want,
                  cases[i].what);
    /* Revocation is on: a listed user's older tokens die at once. */
    snprintf(list, sizeof(list), "alice:%lld\n", now());
    harness_file_write(&h, revoked, list, 0644, true, NULL);
    CHECK_PAM(shipped_auth("sshd", "ssh", -1), PAM_AUTH_ERR, "shipped: revocation is on");
    unlink(revoked);
    CHECK_PAM(shipped_auth("sshd", "ssh", -1), PAM_AUTHINFO_UNAVAIL,
              "shipped: a missing revocation list fails closed");
    harness_file_write(&h, revoked, "", 0644, true, NULL);
    CHECK_PAM(shipped_auth("sshd", "ssh", -1), PAM_SUCCESS, "shipped: an empty list again");
}

/* Authenticates user on service answering the prompt with answer; returns
 * the stack's code and, in *calls, how often the conversation was asked. */
static int
auth_counting(const char *service, const char *user, const char *answer, int *calls)
{
    struct harness_conv conv = {.answer = answer};
    pam_handle_t *pamh = NULL;
    int rc;

    if ((rc = harness_start(&h, service, user, &conv, &pamh)) != PAM_SUCCESS)
        return rc;
    rc = pam_authenticate(pamh, 0);
    pam_end(pamh, rc);
    *calls = conv.calls;
    return rc;
}

/* Checks that nothing about answer, and no decision, reached the log. */
static void
check_log_silent(const char *what, const char *answer)
{
    char name[512];

    if (!have_logs) {
        snprintf(name, sizeof(name), "log: %s # SKIP %s", what, logs_why);
        CHECK(1, name);
        return;
    }
    harness_log_drain(&h, logbuf, sizeof(logbuf));
    snprintf(name, sizeof(name), "log: %s: no decision line, nothing typed", what);
    CHECK(strstr(logbuf, "rejected:") == NULL && strstr(logbuf, "accepted:") == NULL &&
              strstr(logbuf, answer) == NULL,
          name);
    if (strstr(logbuf, answer) != NULL || strstr(logbuf, "rejected:") != NULL)
        printf("#   captured:\n# %s\n", logbuf);
}

/* try_token (pam_jwt(8)): on a line that is one way in among others, a
 * password and an unusable key set are the next module's (PAM_IGNORE);
 * a token that fails still fails. Without it both are failures. */
static void
test_try_token(void)
{
    const char *permit = PAM_DIR "pam_permit.so";
    const char *const not_jws[] = {
        "correct horse 7", "", "pass.word.with!", "a.b", "a..c", ".b.c", "a.b.c.d", "a.b.c\n",
        /* three base64url runs, but no JSON header: passwords people pick */
        "Summer.2024.x", "first.last.pw", "a.b.c"};
    char *tok = harness_token(&h, "alice", "");
    char *tampered = strdup(tok), *sig = strrchr(tampered, '.') + 3;
    char *padded = malloc(strlen(tok) + 3);
    char what[160];
    int calls = 0;

    *sig = *sig == 'A' ? 'B' : 'A';
    harness_service(&h, "strict", "auth required " JWT_LINE "\nauth required %s\n", h.conf, permit);
    harness_service(&h, "trytok", "auth required " JWT_LINE " try_token\nauth required %s\n",
                    h.conf, permit);
    harness_service(&h, "trynokeys",
                    "auth required " JWT_LINE " try_token jwks=%s/gone.json\nauth required %s\n",
                    h.conf, h.dir, permit);
    harness_service(&h, "strictnokeys",
                    "auth required " JWT_LINE " jwks=%s/gone.json\nauth required %s\n", h.conf,
                    h.dir, permit);
    log_skip();
    CHECK_PAM(auth_counting("strict", "alice", "correct horse 7", &calls), PAM_AUTH_ERR,
              "no try_token: a password fails the stack");
    log_skip();
    for (size_t i = 0; i < sizeof(not_jws) / sizeof(not_jws[0]); i++) {
        snprintf(what, sizeof(what), "try_token: not a JWS (%zu) is the next module's", i);
        CHECK_PAM(auth_counting("trytok", "alice", not_jws[i], &calls), PAM_SUCCESS, what);
        /* Short answers could match anything: look for the longer ones. */
        check_log_silent(what, strlen(not_jws[i]) >= 5 ? not_jws[i] : "\x01");
    }
    CHECK_PAM(auth_counting("trytok", "alice", tampered, &calls), PAM_AUTH_ERR,
              "try_token: a tampered JWS still fails the stack");
    check_log("try_token: tampered", tampered, NULL, "reason=bad signature", NULL, NULL);
    CHECK_PAM(auth_counting("trytok", "alice", "eyJhIjoxfQ.b.c", &calls), PAM_AUTH_ERR,
              "try_token: a JSON header and two more segments are a token");
    log_skip();
    CHECK_PAM(auth_counting("trytok", "alice", "IHsgfQ.b.c", &calls), PAM_AUTH_ERR,
              "try_token: a header of \" { }\" (JSON blanks first) is a token");
    log_skip();
    CHECK(padded != NULL && snprintf(padded, strlen(tok) + 3, " %s\n", tok) > 0,
          "try_token: a token with blanks around it");
    CHECK_PAM(auth_counting("trytok", "alice", padded != NULL ? padded : "", &calls), PAM_AUTH_ERR,
              "try_token: a token pasted with blanks around it fails, never passed on");
    log_skip();
    CHECK_PAM(auth_counting("trytok", "alice", "eyJhbGciOiJub25lIn0.e30.", &calls), PAM_AUTH_ERR,
              "try_token: an empty signature (alg none) is a token that fails");
    log_skip();
    CHECK_PAM(auth_counting("trytok", "alice", tok, &calls), PAM_SUCCESS,
              "try_token: a good token still works");
    log_skip();
    CHECK_PAM(auth_counting("trynokeys", "alice", tok, &calls), PAM_SUCCESS,
              "try_token: no key set, the next module decides");
    CHECK_INT(calls, 0, "try_token: no key set, no prompt at all");
    check_log_silent("try_token: no key set", tok);
    CHECK_PAM(auth_counting("strictnokeys", "alice", tok, &calls), PAM_AUTHINFO_UNAVAIL,
              "no try_token: no key set fails the stack");
    log_skip();
    free(tok);
    free(tampered);
    free(padded);
}

/* A user pam_unix knows, in this process's mount namespace only: passwd
 * and shadow of the test dir bound over /etc's. */
#define UNIX_USER "pjtest"
#define UNIX_PASSWORD "correct horse 7"
#define UNIX_HASH                                                                                  \
    "$6$pamjwttestsalt$KR7CWRKeG4g9DUM.oGLue19gZox0chc9HOHhegDd.7Xu3qff9Ar8ksSF/1OzQYkujjM7MVCZoY" \
    "Qf20LOid/.60"

static bool
unix_user_bind(void)
{
    char passwd[PATH_MAX], shadow[PATH_MAX];

    return have_logs && /* the private mount namespace is set up with the logs */
           harness_file_write(&h, "passwd",
                              "root:x:0:0:root:/root:/bin/sh\n" UNIX_USER
                              ":x:4242:4242::/nonexistent:/usr/sbin/nologin\n",
                              0644, true, passwd) &&
           harness_file_write(&h, "shadow",
                              "root:*:19000:0:99999:7:::\n" UNIX_USER ":" UNIX_HASH
                              ":19000:0:99999:7:::\n",
                              0600, true, shadow) &&
           mount(passwd, "/etc/passwd", "none", MS_BIND, NULL) == 0 &&
           mount(shadow, "/etc/shadow", "none", MS_BIND, NULL) == 0;
}

/* ASan resolves its crypt() interceptor at start-up; pam_unix brings
 * libcrypt in later by dlopen, so in an ASan process its first crypt()
 * calls a null pointer. The normal build runs these checks. */
#if defined(__SANITIZE_ADDRESS__)
#define PAM_UNIX_LOADS false
#else
#define PAM_UNIX_LOADS true
#endif

/* The issue's stack: required pam_jwt, then required pam_unix, one prompt. */
static void
test_try_token_unix(void)
{
    const char *unix_line = PAM_DIR "pam_unix.so try_first_pass";
    char *tok = harness_token(&h, UNIX_USER, "");
    int calls = 0;

    if (!PAM_UNIX_LOADS) {
        CHECK(1, "try_token with pam_unix # SKIP ASan build: pam_unix's crypt() cannot run "
                 "under ASan (the normal build runs it)");
        free(tok);
        return;
    }
    if (!unix_user_bind()) {
        CHECK(1, "try_token with pam_unix # SKIP needs root and a private mount namespace");
        free(tok);
        return;
    }
    harness_service(&h, "unix-strict", "auth required " JWT_LINE "\nauth required %s\n", h.conf,
                    unix_line);
    harness_service(&h, "unix-try", "auth required " JWT_LINE " try_token\nauth required %s\n",
                    h.conf, unix_line);
    log_skip();
    CHECK_PAM(auth_counting("unix-strict", UNIX_USER, UNIX_PASSWORD, &calls), PAM_AUTH_ERR,
              "pam_unix: no try_token, the right password still fails the stack");
    log_skip();
    CHECK_PAM(auth_counting("unix-try", UNIX_USER, UNIX_PASSWORD, &calls), PAM_SUCCESS,
              "pam_unix: try_token, the right password logs in");
    CHECK_INT(calls, 1, "pam_unix: one prompt for both modules");
    check_log_silent("pam_unix: password", UNIX_PASSWORD);
    CHECK_PAM(auth_counting("unix-try", UNIX_USER, "wrong horse 7", &calls), PAM_AUTH_ERR,
              "pam_unix: try_token, a wrong password fails");
    log_skip();
    umount2("/etc/shadow", MNT_DETACH);
    umount2("/etc/passwd", MNT_DETACH);
    free(tok);
}

static void
test_options(void)
{
    long long t = now();
    const char *claims = "{\"iss\":\"test-issuer\",\"aud\":\"pam\",\"sub\":\"alice\",\"iat\":%lld,"
                         "\"exp\":%lld}";
    char *tok = harness_token(&h, "alice", "");
    char *jwt_typ = harness_mint(h.key, "JWT", claims, t, t + 60);
    char *app_typ = harness_mint(h.key, "application/AT+JWT", claims, t, t + 60);
    char *late = harness_mint(h.key, NULL, claims, t - 300, t - 30);
    char *longlived = harness_mint(h.key, NULL, claims, t - 10, t + 5000);
    struct signer *other = NULL;
    char *foreign = NULL;
    char pem[PATH_MAX], conf[PATH_MAX];

    harness_service(&h, "algs", "auth required " JWT_LINE " algs=ES256,RS256\n", h.conf);
    CHECK_PAM(harness_auth(&h, "algs", "alice", tok), PAM_AUTH_ERR, "algs=: EdDSA not listed");
    check_log("alg not allowed", tok, NULL, "reason=alg not allowed", NULL, NULL);
    harness_service(&h, "algs", "auth required " JWT_LINE " algs=ES256,EdDSA\n", h.conf);
    CHECK_PAM(harness_auth(&h, "algs", "alice", tok), PAM_SUCCESS, "algs=: EdDSA listed");

    harness_service(&h, "typ", "auth required " JWT_LINE " typ=at+jwt\n", h.conf);
    CHECK_PAM(harness_auth(&h, "typ", "alice", jwt_typ), PAM_AUTH_ERR, "typ=at+jwt: JWT refused");
    CHECK_PAM(harness_auth(&h, "typ", "alice", app_typ), PAM_SUCCESS,
              "typ=at+jwt: application/AT+JWT accepted");
    CHECK_PAM(harness_auth(&h, "typ", "alice", tok), PAM_SUCCESS, "typ=at+jwt: at+jwt accepted");
    harness_service(&h, "typ", "auth required " JWT_LINE " typ=rt+jwt,at+jwt\n", h.conf);
    CHECK_PAM(harness_auth(&h, "typ", "alice", tok), PAM_SERVICE_ERR,
              "typ=rt+jwt: can never be configured");

    CHECK_PAM(harness_auth(&h, "basic", "alice", late), PAM_SUCCESS,
              "leeway: expired 30 s ago passes the default 60 s");
    harness_service(&h, "leeway", "auth required " JWT_LINE " leeway=0\n", h.conf);
    CHECK_PAM(harness_auth(&h, "leeway", "alice", late), PAM_AUTH_ERR, "leeway=0: expired");

    harness_service(&h, "life", "auth required " JWT_LINE " max_lifetime=7200\n", h.conf);
    CHECK_PAM(harness_auth(&h, "basic", "alice", longlived), PAM_AUTH_ERR,
              "max_lifetime: default 3600 refuses 5010 s");
    CHECK_PAM(harness_auth(&h, "life", "alice", longlived), PAM_SUCCESS,
              "max_lifetime=7200 accepts 5010 s");

    harness_service(&h, "iss", "auth required " JWT_LINE " issuer=a issuer=test-issuer\n", h.conf);
    CHECK_PAM(harness_auth(&h, "iss", "alice", tok), PAM_SUCCESS, "issuer= twice: either matches");
    harness_service(&h, "iss", "auth required " JWT_LINE " issuer=a issuer=b\n", h.conf);
    CHECK_PAM(harness_auth(&h, "iss", "alice", tok), PAM_AUTH_ERR,
              "issuer= in arguments replaces the file's");

    snprintf(pem, sizeof(pem), "%s/key.pem", h.dir);
    CHECK(pem_write(h.key, pem), "key=: PEM written");
    harness_file_write(&h, "pem.conf", "issuer = test-issuer\naudience = pam\n", 0644, true, conf);
    harness_service(&h, "pem", "auth required " MODULE_PATH " config=%s key=%s\n", conf, pem);
    CHECK_PAM(harness_auth(&h, "pem", "alice", tok), PAM_SUCCESS, "key=: PEM public key");
    if (signer_generate(JWT_ALG_EDDSA, 0, &other) == JWT_OK)
        foreign = harness_token_with(other, "alice", "");
    CHECK_PAM(harness_auth(&h, "pem", "alice", foreign), PAM_AUTH_ERR, "key=: another key's token");
    harness_service(&h, "pem", "auth required " MODULE_PATH " config=%s key=%s/none.pem\n", conf,
                    h.dir);
    CHECK_PAM(harness_auth(&h, "pem", "alice", tok), PAM_AUTHINFO_UNAVAIL, "key=: missing PEM");

    harness_service(&h, "sock", "auth required " JWT_LINE " socket=%s/nosuch.sock\n", h.conf,
                    h.dir);
    CHECK_PAM(harness_auth(&h, "sock", "alice", tok), PAM_SUCCESS,
              "socket=: accepted as an option");
    harness_service(&h, "sock", "auth required " JWT_LINE " socket=relative.sock\n", h.conf);
    CHECK_PAM(harness_auth(&h, "sock", "alice", tok), PAM_SERVICE_ERR, "socket=: must be absolute");
    log_skip();
    free(tok);
    free(jwt_typ);
    free(app_typ);
    free(late);
    free(longlived);
    free(foreign);
    signer_free(other);
}

static void
test_prompt(void)
{
    char *tok = harness_token(&h, "alice", "");
    char path[PATH_MAX], text[1024];
    struct harness_conv conv = {.answer = tok};
    pam_handle_t *pamh = NULL;

    harness_service(&h, "prompt", "auth required " JWT_LINE " [prompt=Access token: ]\n", h.conf);
    harness_start(&h, "prompt", "alice", &conv, &pamh);
    CHECK_PAM(pam_authenticate(pamh, 0), PAM_SUCCESS, "prompt=: auth");
    CHECK_STR(conv.last_prompt, "Access token: ", "prompt=: argument text shown");
    CHECK_INT(conv.last_style, PAM_PROMPT_ECHO_OFF, "prompt=: echo off");
    pam_end(pamh, PAM_SUCCESS);
    log_skip();
    snprintf(text, sizeof(text),
             "jwks = %s\nissuer = test-issuer\naudience = pam\nprompt = \"JWT for sudo: \"\n",
             h.jwks);
    harness_file_write(&h, "prompt.conf", text, 0644, true, path);
    harness_service(&h, "prompt", "auth required " MODULE_PATH " config=%s\n", path);
    conv = (struct harness_conv){.answer = tok};
    harness_start(&h, "prompt", "alice", &conv, &pamh);
    CHECK_PAM(pam_authenticate(pamh, 0), PAM_SUCCESS, "prompt= in file: auth");
    CHECK_STR(conv.last_prompt, "JWT for sudo: ", "prompt= in file: text shown");
    pam_end(pamh, PAM_SUCCESS);
    log_skip();
    conv = (struct harness_conv){.answer = NULL};
    harness_start(&h, "prompt", "alice", &conv, &pamh);
    CHECK_PAM(pam_authenticate(pamh, 0), PAM_CONV_ERR, "prompt: conversation fails");
    pam_end(pamh, PAM_SUCCESS);
    log_skip();
    free(tok);
}

static void
test_debug_quiet(void)
{
    char *tok = harness_token(&h, "alice", "");
    char *old = harness_mint(h.key, NULL,
                             "{\"iss\":\"test-issuer\",\"aud\":\"pam\",\"sub\":\"alice\","
                             "\"iat\":%lld,\"exp\":%lld}",
                             now() - 1000, now() - 500);

    harness_service(&h, "quiet", "auth required " JWT_LINE " quiet\n", h.conf);
    harness_service(&h, "debug", "auth required " JWT_LINE " debug\n", h.conf);
    log_skip();
    CHECK_PAM(harness_auth(&h, "quiet", "alice", tok), PAM_SUCCESS, "quiet: auth");
    if (have_logs) {
        harness_log_drain(&h, logbuf, sizeof(logbuf));
        CHECK(strstr(logbuf, "accepted:") == NULL, "log: quiet drops the success line");
    }
    CHECK_PAM(harness_auth(&h, "quiet", "alice", old), PAM_AUTH_ERR, "quiet: failure");
    check_log("quiet keeps failures", old, NULL, "reason=expired", NULL, NULL);
    CHECK_PAM(harness_auth(&h, "debug", "alice", tok), PAM_SUCCESS, "debug: auth");
    if (have_logs) {
        harness_log_drain(&h, logbuf, sizeof(logbuf));
        CHECK(strstr(logbuf, "accepted:") != NULL && strstr(logbuf, "token: exp=") != NULL,
              "log: debug adds detail");
        CHECK(strstr(logbuf, tok) == NULL && strstr(logbuf, strrchr(tok, '.') + 1) == NULL,
              "log: debug never logs the token");
    }
    free(tok);
    free(old);
}

static void
test_stacks(void)
{
    char *good = harness_token(&h, "alice", "");
    char *bad = harness_token(&h, "bob", "");
    struct harness_conv conv = {.answer = good};
    pam_handle_t *pamh = NULL;
    const char *const permit = PAM_DIR "pam_permit.so", *deny = PAM_DIR "pam_deny.so";

    harness_service(&h, "suff-permit", "auth sufficient " JWT_LINE "\nauth required %s\n", h.conf,
                    permit);
    harness_service(&h, "suff-deny", "auth sufficient " JWT_LINE "\nauth required %s\n", h.conf,
                    deny);
    CHECK_PAM(harness_auth(&h, "suff-permit", "alice", bad), PAM_SUCCESS,
              "sufficient: bad token falls through to pam_permit");
    CHECK_PAM(harness_auth(&h, "suff-deny", "alice", bad), PAM_AUTH_ERR,
              "sufficient: bad token falls through to pam_deny");
    CHECK_PAM(harness_auth(&h, "suff-deny", "alice", good), PAM_SUCCESS,
              "sufficient: good token stops before pam_deny");
    log_skip();

    /* Hand-over: the first line prompts and sets PAM_AUTHTOK, the second
     * (use_first_pass) takes it without prompting. */
    harness_service(&h, "handover",
                    "auth optional " JWT_LINE "\nauth required " JWT_LINE " use_first_pass\n",
                    h.conf, h.conf);
    harness_start(&h, "handover", "alice", &conv, &pamh);
    CHECK_PAM(pam_authenticate(pamh, 0), PAM_SUCCESS, "try_first_pass: second line got the token");
    CHECK_INT(conv.calls, 1, "try_first_pass: one prompt for two lines");
    CHECK_PAM(pam_set_item(pamh, PAM_AUTHTOK, good), PAM_BAD_ITEM,
              "libpam: applications cannot set PAM_AUTHTOK");
    pam_end(pamh, PAM_SUCCESS);
    conv = (struct harness_conv){.answer = bad};
    harness_start(&h, "handover", "alice", &conv, &pamh);
    CHECK_PAM(pam_authenticate(pamh, 0), PAM_AUTH_ERR, "use_first_pass: the typed bad token");
    CHECK_INT(conv.calls, 1, "use_first_pass: no second prompt");
    pam_end(pamh, PAM_SUCCESS);

    harness_service(&h, "ufp", "auth required " JWT_LINE " use_first_pass\n", h.conf);
    harness_service(&h, "tfp", "auth required " JWT_LINE " try_first_pass\n", h.conf);
    conv = (struct harness_conv){.answer = good};
    harness_start(&h, "ufp", "alice", &conv, &pamh);
    CHECK_PAM(pam_authenticate(pamh, 0), PAM_AUTH_ERR, "use_first_pass: nothing before");
    CHECK_INT(conv.calls, 0, "use_first_pass: never prompts");
    pam_end(pamh, PAM_SUCCESS);
    conv = (struct harness_conv){.answer = good};
    harness_start(&h, "tfp", "alice", &conv, &pamh);
    CHECK_PAM(pam_authenticate(pamh, 0), PAM_SUCCESS, "try_first_pass: nothing before, prompts");
    CHECK_INT(conv.calls, 1, "try_first_pass: one prompt");
    pam_end(pamh, PAM_SUCCESS);

    /* PAM_AUTHTOK from a foreign earlier module (pam_wrapper's pam_set_items
     * sets items from the environment). */
    if (access(PAM_DIR "../pam_wrapper/pam_set_items.so", R_OK) == 0) {
        harness_service(&h, "setitem",
                        "auth required " PAM_DIR "../pam_wrapper/pam_set_items.so\n"
                        "auth required " JWT_LINE " try_first_pass\n",
                        h.conf);
        setenv("PAM_AUTHTOK", good, 1);
        conv = (struct harness_conv){.answer = bad};
        harness_start(&h, "setitem", "alice", &conv, &pamh);
        CHECK_PAM(pam_authenticate(pamh, 0), PAM_SUCCESS,
                  "try_first_pass: token from an earlier module");
        CHECK_INT(conv.calls, 0, "try_first_pass: no prompt when given one");
        pam_end(pamh, PAM_SUCCESS);
        setenv("PAM_AUTHTOK", bad, 1);
        conv = (struct harness_conv){.answer = good};
        harness_start(&h, "setitem", "alice", &conv, &pamh);
        CHECK_PAM(pam_authenticate(pamh, 0), PAM_AUTH_ERR,
                  "try_first_pass: a bad token from an earlier module is not retried");
        pam_end(pamh, PAM_SUCCESS);
        unsetenv("PAM_AUTHTOK");
    } else {
        CHECK(1, "try_first_pass: foreign module # SKIP pam_wrapper's pam_set_items.so missing");
    }
    log_skip();
    free(good);
    free(bad);
}

/* Runs auth then acct_mgmt on one handle. */
static int
auth_then_account(const char *service, const char *token, int *auth_rc)
{
    struct harness_conv conv = {.answer = token};
    pam_handle_t *pamh = NULL;
    int rc;

    harness_start(&h, service, "alice", &conv, &pamh);
    *auth_rc = pam_authenticate(pamh, 0);
    rc = pam_acct_mgmt(pamh, 0);
    pam_end(pamh, rc);
    return rc;
}

static void
test_account(void)
{
    char *tok = harness_token(&h, "alice", ",\"scope\":\"ssh\"");
    const char *const permit = PAM_DIR "pam_permit.so", *deny = PAM_DIR "pam_deny.so";
    int arc;

    harness_service(&h, "acct", "auth required " JWT_LINE "\naccount required " JWT_LINE "\n",
                    h.conf, h.conf);
    harness_service(&h, "acct-scope",
                    "auth required " JWT_LINE "\naccount required " JWT_LINE " scope=sudo\n",
                    h.conf, h.conf);
    harness_service(&h, "acct-ssh",
                    "auth required " JWT_LINE "\naccount required " JWT_LINE " scope=ssh\n", h.conf,
                    h.conf);
    harness_service(&h, "acct-other",
                    "auth required %s\naccount required " JWT_LINE " scope=sudo\n"
                    "account required %s\n",
                    permit, h.conf, permit);
    harness_service(&h, "acct-alone", "auth required %s\naccount required " JWT_LINE "\n", permit,
                    h.conf);
    harness_service(&h, "acct-probe",
                    "auth required %s\naccount [success=die ignore=ignore default=die] " JWT_LINE
                    "\naccount required %s\n",
                    permit, h.conf, deny);
    harness_service(&h, "acct-deny-only", "auth required %s\naccount required %s\n", permit, deny);
    CHECK_PAM(auth_then_account("acct", tok, &arc), PAM_SUCCESS, "account: after pam_jwt auth");
    CHECK_PAM(auth_then_account("acct-ssh", tok, &arc), PAM_SUCCESS, "account: scope granted");
    CHECK_PAM(auth_then_account("acct-scope", tok, &arc), PAM_PERM_DENIED,
              "account: scope not granted");
    CHECK_PAM(arc, PAM_SUCCESS, "account: (auth had succeeded)");
    CHECK_PAM(auth_then_account("acct-other", "x", &arc), PAM_SUCCESS,
              "account: not our auth, pam_jwt ignores (scope not applied)");
    /* libpam turns a stack whose only module ignored into PAM_PERM_DENIED. */
    CHECK_PAM(auth_then_account("acct-alone", "x", &arc), PAM_PERM_DENIED,
              "account: only pam_jwt, ignoring");
    /* pam_deny's own account code, then the probe that reaches it only
     * when pam_jwt returned PAM_IGNORE (success or failure would die). */
    int deny_rc = auth_then_account("acct-deny-only", "x", &arc);
    CHECK(deny_rc != PAM_SUCCESS && deny_rc != PAM_PERM_DENIED, "account: pam_deny's own code");
    CHECK_PAM(auth_then_account("acct-probe", "x", &arc), deny_rc,
              "account: pam_jwt returned PAM_IGNORE (reached pam_deny)");
    log_skip();
    free(tok);
}

/* One handle, a good token then a bad one: the failure must take back
 * what the success left (an application may retry on one handle). */
static void
test_failure_forgets_success(void)
{
    char *tok = harness_token(&h, "alice", ",\"scope\":\"ssh\"");
    struct harness_conv conv = {.answer = tok};
    pam_handle_t *pamh = NULL;
    const char *const deny = PAM_DIR "pam_deny.so";

    harness_service(&h, "acct-retry",
                    "auth required " JWT_LINE
                    "\naccount [success=die ignore=ignore default=die] " JWT_LINE
                    "\naccount required %s\n",
                    h.conf, h.conf, deny);
    harness_start(&h, "acct-retry", "alice", &conv, &pamh);
    CHECK_PAM(pam_authenticate(pamh, 0), PAM_SUCCESS, "retry: first auth succeeds");
    CHECK(pam_getenv(pamh, "JWT_SUBJECT") != NULL, "retry: JWT_SUBJECT set");
    conv.answer = "not-a-token";
    CHECK_PAM(pam_authenticate(pamh, 0), PAM_AUTH_ERR, "retry: second auth fails");
    CHECK(pam_getenv(pamh, "JWT_SUBJECT") == NULL, "retry: JWT_SUBJECT taken back");
    CHECK(pam_acct_mgmt(pamh, 0) != PAM_SUCCESS, "retry: account no longer grants");
    pam_end(pamh, PAM_SUCCESS);
    log_skip();
    conv.answer = tok;
    harness_start(&h, "acct-retry", "alice", &conv, &pamh);
    CHECK_PAM(pam_authenticate(pamh, 0), PAM_SUCCESS, "user change: auth as alice");
    pam_set_item(pamh, PAM_USER, "bob");
    CHECK_PAM(pam_acct_mgmt(pamh, 0), PAM_PERM_DENIED, "user change: account refuses bob");
    pam_end(pamh, PAM_SUCCESS);
    log_skip();
    free(tok);
}

static void
test_session_env(void)
{
    char *tok = harness_token(&h, "alice", "");
    struct harness_conv conv = {.answer = tok};
    pam_handle_t *pamh = NULL;
    const char *const permit = PAM_DIR "pam_permit.so", *deny = PAM_DIR "pam_deny.so";
    const char *v;
    char jti[64], envconf[PATH_MAX];
    int deny_rc;

    harness_service(&h, "sess",
                    "auth required " JWT_LINE "\nsession required " JWT_LINE
                    "\npassword required " JWT_LINE " socket=%s/no-daemon\n",
                    h.conf, h.conf, h.conf, h.dir);
    harness_start(&h, "sess", "alice", &conv, &pamh);
    CHECK(pam_getenv(pamh, "JWT_SUBJECT") == NULL, "env: nothing before auth");
    CHECK_PAM(pam_authenticate(pamh, 0), PAM_SUCCESS, "session: auth");
    CHECK_STR(pam_getenv(pamh, "JWT_SUBJECT"), "alice", "env: JWT_SUBJECT");
    v = pam_getenv(pamh, "JWT_ID");
    CHECK(v != NULL && strncmp(v, "jti-", 4) == 0, "env: JWT_ID is the token's jti");
    snprintf(jti, sizeof(jti), "%s", v != NULL ? v : "");
    v = pam_getenv(pamh, "JWT_EXPIRES");
    CHECK(v != NULL && llabs(atoll(v) - (now() + 300)) <= 5, "env: JWT_EXPIRES is exp");
    CHECK_PAM(pam_open_session(pamh, 0), PAM_SUCCESS, "session: open after pam_jwt auth");
    CHECK_PAM(pam_close_session(pamh, 0), PAM_SUCCESS, "session: close");
    CHECK_PAM(pam_setcred(pamh, PAM_ESTABLISH_CRED), PAM_SUCCESS, "setcred after pam_jwt auth");
    pam_end(pamh, PAM_SUCCESS);
    if (have_logs) {
        harness_log_drain(&h, logbuf, sizeof(logbuf));
        char want[96];
        snprintf(want, sizeof(want), "jti=%s", jti);
        CHECK(strstr(logbuf, want) != NULL, "log: the logged jti is JWT_ID");
    }

    conv = (struct harness_conv){.answer = "not-a-token"};
    harness_start(&h, "sess", "alice", &conv, &pamh);
    CHECK_PAM(pam_authenticate(pamh, 0), PAM_AUTH_ERR, "session: failed auth");
    CHECK(pam_getenv(pamh, "JWT_SUBJECT") == NULL, "env: nothing after a failed auth");
    CHECK_PAM(pam_open_session(pamh, 0), PAM_PERM_DENIED, "session: only pam_jwt, ignoring");
    pam_end(pamh, PAM_SUCCESS);

    /* A JWT_SUBJECT that pam_env put into the environment proves nothing:
     * only this handle's own data counts. pam_env's success is ignored,
     * so the stack's verdict is pam_jwt's alone (PAM_IGNORE everywhere
     * makes libpam answer PAM_PERM_DENIED). */
    harness_file_write(&h, "forged.env", "JWT_SUBJECT DEFAULT=alice\nJWT_ID DEFAULT=forged\n", 0644,
                       true, envconf);
    harness_service(&h, "sess-forged",
                    "session [success=ignore default=die] %s conffile=%s readenv=0 "
                    "user_readenv=0\nsession required " JWT_LINE "\n",
                    PAM_DIR "pam_env.so", envconf, h.conf);
    conv = (struct harness_conv){0};
    harness_start(&h, "sess-forged", "alice", &conv, &pamh);
    CHECK_PAM(pam_open_session(pamh, 0), PAM_PERM_DENIED,
              "session: a JWT_SUBJECT from pam_env is no pam_jwt login");
    CHECK_STR(pam_getenv(pamh, "JWT_SUBJECT"), "alice", "session: pam_env did set JWT_SUBJECT");
    CHECK_PAM(pam_close_session(pamh, 0), PAM_PERM_DENIED,
              "session: close ignores a forged JWT_SUBJECT too");
    pam_end(pamh, PAM_SUCCESS);

    harness_service(&h, "sess-deny", "session required %s\n", deny);
    harness_service(&h, "sess-probe",
                    "session [success=die ignore=ignore default=die] " JWT_LINE
                    "\nsession required %s\n",
                    h.conf, deny);
    conv = (struct harness_conv){0};
    harness_start(&h, "sess-deny", "alice", &conv, &pamh);
    deny_rc = pam_open_session(pamh, 0);
    pam_end(pamh, PAM_SUCCESS);
    harness_start(&h, "sess-probe", "alice", &conv, &pamh);
    CHECK_PAM(pam_open_session(pamh, 0), deny_rc, "session: without pam_jwt auth, PAM_IGNORE");
    pam_end(pamh, PAM_SUCCESS);

    /* password: PAM_IGNORE when no daemon listens at socket= (a socket path
     * of our own: a daemon on this machine must not change the answer). */
    harness_service(&h, "pw-probe",
                    "password [success=die ignore=ignore default=die] " JWT_LINE
                    " socket=%s/no-daemon\npassword required %s\n",
                    h.conf, h.dir, permit);
    harness_start(&h, "pw-probe", "alice", &conv, &pamh);
    CHECK_PAM(pam_chauthtok(pamh, 0), PAM_SUCCESS, "password: pam_jwt ignores, pam_permit answers");
    pam_end(pamh, PAM_SUCCESS);
    harness_start(&h, "sess", "alice", &conv, &pamh);
    CHECK_PAM(pam_chauthtok(pamh, 0), PAM_PERM_DENIED, "password: only pam_jwt, ignoring");
    pam_end(pamh, PAM_SUCCESS);
    log_skip();
    free(tok);
}

/* The cache follows the file: a rename of a new set and an in-place
 * rewrite of the same size are both seen by the same process. */
static void
test_rotation(void)
{
    struct signer *b = NULL, *c = NULL;
    char *old_tok, *b_tok, *c_tok;
    struct stat before, after;
    struct timespec times[2];
    int fd;

    if (signer_generate(JWT_ALG_EDDSA, 0, &b) != JWT_OK ||
        signer_generate(JWT_ALG_EDDSA, 0, &c) != JWT_OK) {
        CHECK(0, "rotation: keys generated");
        return;
    }
    old_tok = harness_token(&h, "alice", "");
    b_tok = harness_token_with(b, "alice", "");
    c_tok = harness_token_with(c, "alice", "");
    CHECK_PAM(harness_auth(&h, "basic", "alice", old_tok), PAM_SUCCESS, "rotation: old key cached");
    CHECK_PAM(harness_auth(&h, "basic", "alice", b_tok), PAM_AUTH_ERR, "rotation: new key unknown");
    harness_jwks_write(h.jwks, &b, 1, true);
    CHECK_PAM(harness_auth(&h, "basic", "alice", b_tok), PAM_SUCCESS,
              "rotation: renamed set, new key accepted");
    CHECK_PAM(harness_auth(&h, "basic", "alice", old_tok), PAM_AUTH_ERR,
              "rotation: renamed set, old key refused");

    /* In place, same size and inode; mtime set one nanosecond after the
     * old one, so the change is seen even within one clock tick. */
    stat(h.jwks, &before);
    harness_jwks_write(h.jwks, &c, 1, false);
    times[0] = before.st_atim;
    times[1] = before.st_mtim;
    times[1].tv_nsec = (times[1].tv_nsec + 1) % 1000000000L;
    if ((fd = open(h.jwks, O_RDONLY)) >= 0) {
        futimens(fd, times);
        close(fd);
    }
    stat(h.jwks, &after);
    CHECK(after.st_ino == before.st_ino && after.st_size == before.st_size,
          "rotation: in-place rewrite keeps inode and size");
    CHECK_PAM(harness_auth(&h, "basic", "alice", c_tok), PAM_SUCCESS,
              "rotation: in-place rewrite, new key accepted");
    CHECK_PAM(harness_auth(&h, "basic", "alice", b_tok), PAM_AUTH_ERR,
              "rotation: in-place rewrite, previous key refused");
    /* Back to the harness key for whatever follows. */
    harness_jwks_write(h.jwks, &h.key, 1, true);
    CHECK_PAM(harness_auth(&h, "basic", "alice", old_tok), PAM_SUCCESS, "rotation: back again");
    log_skip();
    free(old_tok);
    free(b_tok);
    free(c_tok);
    signer_free(b);
    signer_free(c);
}

int
main(void)
{
    bool have_uts;

    if (!harness_init(&h)) {
        printf("Bail out! cannot set up the temp dir and keys\n");
        return 1;
    }
    have_logs = harness_log_capture(&h, logs_why, sizeof(logs_why));
    /* A UTS namespace of our own: the host-bound tests rename the host. */
    have_uts = geteuid() == 0 && unshare(CLONE_NEWUTS) == 0;
    /* Everything below needs the module loaded: say so once, not 200 times. */
    harness_service(&h, "probe", "auth required " MODULE_PATH " config=%s\n", h.conf);
    if (harness_auth(&h, "probe", "alice", "x") == PAM_MODULE_UNKNOWN) {
        harness_log_drain(&h, logbuf, sizeof(logbuf));
        printf("Bail out! libpam cannot load %s\n# %s\n", MODULE_PATH, logbuf);
        harness_cleanup(&h);
        return 1;
    }
    log_skip();
    if (!have_logs)
        printf("# syslog not captured: %s\n", logs_why);
    test_auth_basic();
    test_auth_claims();
    test_auth_length();
    test_auth_user_unknown();
    test_keyset_problems();
    test_config_errors();
    test_revocation();
    test_once();
    test_auth_age_scope_audience();
    test_oidc();
    test_host_bound(have_uts);
    test_shipped_policy();
    test_try_token();
    test_try_token_unix();
    test_options();
    test_prompt();
    test_debug_quiet();
    test_stacks();
    test_account();
    test_failure_forgets_success();
    test_session_env();
    test_rotation();
    harness_cleanup(&h);
    return check_done();
}

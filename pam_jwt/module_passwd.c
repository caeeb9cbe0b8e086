/* SPDX-License-Identifier: MIT */
/* The password stack (pam_jwt(8), MODULE TYPES): changes the user's jwt-helper password
 * through jwt-helperd's socket.
 *
 * MUST:
 * 1. The socket path comes from socket= only: this code runs inside a
 *    setuid passwd, whose environment is the caller's.
 * 2. No password is sent before proto_client_connect has checked with
 *    SO_PEERCRED that root or the daemon's user listens; the probe before
 *    the prompts makes the same check, so nobody is asked for a password
 *    that could only go to a stranger.
 * 3. Every copy of a password this file makes is wiped (secret_free_str);
 *    the request line is wiped by the protocol client.
 * 4. Nothing typed at a prompt reaches a log line or a message. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <sodium.h>

#include "module.h"
#include "proto.h"
#include "secret.h"

/* A failed passwd is answered only after the daemon's failure delay
 * (login_delay doubling, capped at 60 s) plus two argon2id runs that may
 * queue behind others: wait long enough to report the daemon's verdict. */
#define PASSWD_TIMEOUT_MS (75 * 1000)
/* pam_set_data name: the preliminary check found a trusted daemon. */
#define PRELIM_SEEN_NAME "pam_jwt_passwd_daemon_seen"

#define PROMPT_OLD "Current jwt-helper password: "
#define PROMPT_NEW "New jwt-helper password: "
#define PROMPT_RETYPE "Retype new jwt-helper password: "

static struct proto_client
client_for(const struct conf *c)
{
    return (struct proto_client){
        .socket_path = c->socket,
        .daemon_user = JWT_DAEMON_USER,
        .extra_uid = -1, /* no test-only trust: root and the daemon's user */
        .timeout_ms = PASSWD_TIMEOUT_MS,
    };
}

/* Shows msg to the user unless the application asked for silence. */
static void
tell(pam_handle_t *pamh, int flags, const char *msg)
{
    if ((flags & PAM_SILENT) == 0)
        pam_error(pamh, "%s", msg);
}

/* Connects and hangs up at once: is a trusted daemon listening? The
 * daemon's idle_timeout (10 s by default) is shorter than a person takes
 * to type two passwords, so the request later goes on a new connection. */
static proto_result
daemon_probe(const struct proto_client *cl)
{
    int fd = -1;
    proto_result r = proto_client_connect(cl, &fd);

    if (r == PROTO_OK)
        close(fd);
    return r;
}

/* Maps a failed connect (r, errno err) to a PAM code and logs why. An
 * absent daemon is PAM_IGNORE unless the preliminary check saw one (then
 * the user was promised a change that cannot happen: PAM_AUTHTOK_ERR). */
static int
connect_failure(pam_handle_t *pamh, const struct conf *c, proto_result r, int err, bool seen)
{
    switch (r) {
    case PROTO_ERR_UNREACHABLE:
        if (!seen) {
            if (c->debug)
                pam_syslog(pamh, LOG_DEBUG, "password: no daemon at %s", c->socket);
            return PAM_IGNORE;
        }
        pam_syslog(pamh, LOG_ERR, "password: daemon at %s went away", c->socket);
        return PAM_AUTHTOK_ERR;
    case PROTO_ERR_UNTRUSTED_PEER:
        /* Someone else bound the path: never hand them a password. */
        pam_syslog(pamh, LOG_ERR,
                   "password: %s is not served by root or " JWT_DAEMON_USER ", nothing sent",
                   c->socket);
        return PAM_AUTHTOK_ERR;
    case PROTO_ERR_INVALID:
        pam_syslog(pamh, LOG_ERR, "password: socket path %s too long", c->socket);
        return PAM_SERVICE_ERR;
    case PROTO_ERR_NOMEM:
        return PAM_BUF_ERR;
    default: {
        char buf[128]; /* strerror is not thread-safe; GNU strerror_r is */
        pam_syslog(pamh, LOG_ERR, "password: cannot connect to %s: %s", c->socket,
                   strerror_r(err, buf, sizeof buf));
        return PAM_AUTHTOK_ERR;
    }
    }
}

/* Asks one question with echo off. *out is the caller's (secret_free_str). */
static int
ask(pam_handle_t *pamh, const char *prompt, char **out)
{
    char *resp = NULL;
    int rc = pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &resp, "%s", prompt);

    *out = NULL;
    if (rc != PAM_SUCCESS || resp == NULL) {
        secret_free_str(resp);
        return rc == PAM_SUCCESS ? PAM_CONV_ERR : rc;
    }
    *out = resp;
    return PAM_SUCCESS;
}

/* Copies item (PAM_OLDAUTHTOK or PAM_AUTHTOK) from an earlier module when
 * use_first_pass or try_first_pass allows it. Returns PAM_SUCCESS with *out
 * a copy (the caller's) or NULL when the caller should prompt; missing_rc
 * when use_first_pass found nothing; PAM_BUF_ERR. */
static int
earlier_token(pam_handle_t *pamh, const struct conf *c, int item, int missing_rc, char **out)
{
    const void *tok = NULL;

    *out = NULL;
    if (!c->use_first_pass && !c->try_first_pass)
        return PAM_SUCCESS;
    if (pam_get_item(pamh, item, &tok) == PAM_SUCCESS && tok != NULL) {
        *out = strdup(tok);
        return *out != NULL ? PAM_SUCCESS : PAM_BUF_ERR;
    }
    if (!c->use_first_pass)
        return PAM_SUCCESS;
    pam_syslog(pamh, LOG_NOTICE, "password: use_first_pass: no %s password from an earlier module",
               item == PAM_OLDAUTHTOK ? "current" : "new");
    return missing_rc;
}

/* Hands a prompted password to later modules (PAM_AUTHTOK/OLDAUTHTOK). */
static int
token_publish(pam_handle_t *pamh, int item, const char *value)
{
    int rc = pam_set_item(pamh, item, value);

    if (rc != PAM_SUCCESS)
        pam_syslog(pamh, LOG_ERR, "password: cannot set %s",
                   item == PAM_OLDAUTHTOK ? "PAM_OLDAUTHTOK" : "PAM_AUTHTOK");
    return rc;
}

/* The current password: from an earlier module, else by asking. */
static int
old_password_get(pam_handle_t *pamh, const struct conf *c, char **out)
{
    int rc = earlier_token(pamh, c, PAM_OLDAUTHTOK, PAM_AUTHTOK_RECOVERY_ERR, out);

    if (rc != PAM_SUCCESS || *out != NULL)
        return rc;
    if ((rc = ask(pamh, PROMPT_OLD, out)) != PAM_SUCCESS)
        return rc;
    return token_publish(pamh, PAM_OLDAUTHTOK, *out);
}

/* Returns true when the two answers are the same bytes. */
static bool
answers_match(const char *a, const char *b)
{
    size_t len = strlen(a);

    return len == strlen(b) && sodium_memcmp(a, b, len) == 0;
}

/* The new password: from an earlier module, else asked twice. A mismatch
 * sends nothing and is PAM_AUTHTOK_ERR, as pam_unix answers. */
static int
new_password_get(pam_handle_t *pamh, int flags, const struct conf *c, char **out)
{
    char *retyped = NULL;
    int rc = earlier_token(pamh, c, PAM_AUTHTOK, PAM_AUTHTOK_ERR, out);

    if (rc != PAM_SUCCESS || *out != NULL)
        return rc;
    if ((rc = ask(pamh, PROMPT_NEW, out)) != PAM_SUCCESS)
        goto out;
    if ((rc = ask(pamh, PROMPT_RETYPE, &retyped)) != PAM_SUCCESS)
        goto out;
    if (!answers_match(*out, retyped)) {
        tell(pamh, flags, "jwt-helper passwords do not match; password unchanged.");
        pam_syslog(pamh, LOG_NOTICE, "password: retyped password does not match, nothing sent");
        rc = PAM_AUTHTOK_ERR;
        goto out;
    }
    rc = token_publish(pamh, PAM_AUTHTOK, *out);
out:
    secret_free_str(retyped);
    if (rc != PAM_SUCCESS) {
        secret_free_str(*out);
        *out = NULL;
    }
    return rc;
}

/* The protocol's bounds (1..PROTO_MAX_PASSWORD bytes), told to the user
 * before anything is sent. */
static bool
password_fits(pam_handle_t *pamh, int flags, const char *pw)
{
    size_t len = strlen(pw);

    if (len == 0)
        tell(pamh, flags, "Empty jwt-helper password; password unchanged.");
    else if (len > PROTO_MAX_PASSWORD)
        tell(pamh, flags, "jwt-helper password too long; password unchanged.");
    return len > 0 && len <= PROTO_MAX_PASSWORD;
}

/* Maps the daemon's answer to a PAM code, logs it and tells the user. */
static int
answer_map(pam_handle_t *pamh, int flags, const char *user, const struct proto_response *resp)
{
    if (resp->ok) {
        pam_syslog(pamh, LOG_NOTICE, "password changed for %s", user);
        return PAM_SUCCESS;
    }
    switch (resp->error) {
    case PROTO_E_INVALID_GRANT:
        /* An unknown user gets the same answer as a wrong password. */
        pam_syslog(pamh, LOG_NOTICE,
                   "password: change refused for %s: wrong password or unknown user", user);
        tell(pamh, flags, "jwt-helper password unchanged: wrong current password.");
        return PAM_AUTHTOK_ERR;
    case PROTO_E_RATE_LIMITED:
        /* Temporary, like a busy lock: the user may try again later. */
        pam_syslog(pamh, LOG_NOTICE, "password: change for %s rate limited", user);
        tell(pamh, flags, "Too many failed attempts; try again later.");
        return PAM_AUTHTOK_LOCK_BUSY;
    default:
        /* The daemon's policy (a new password too short) or its trouble:
         * its description is printable ASCII without secrets (proto.h),
         * and it is the only place the reason is known. */
        pam_syslog(pamh, LOG_ERR, "password: change for %s refused: %s (%s)", user,
                   proto_error_str(resp->error) != NULL ? proto_error_str(resp->error) : "?",
                   resp->error_description != NULL ? resp->error_description : "");
        if ((flags & PAM_SILENT) == 0)
            pam_error(pamh, "jwt-helper password unchanged: %s.",
                      resp->error_description != NULL ? resp->error_description : "refused");
        return PAM_AUTHTOK_ERR;
    }
}

/* Sends the change and maps what happens. */
static int
passwd_send(pam_handle_t *pamh, int flags, const struct conf *c, const char *user, char *old_pw,
            char *new_pw)
{
    struct proto_client cl = client_for(c);
    struct proto_request req = {
        .op = PROTO_OP_PASSWD,
        .username = (char *)(uintptr_t)user, /* encode only reads */
        .old_password = old_pw,
        .new_password = new_pw,
    };
    struct proto_response resp;
    proto_result r = proto_client_call(&cl, &req, &resp);
    int err = errno, rc;

    if (r == PROTO_OK) {
        rc = answer_map(pamh, flags, user, &resp);
    } else if (r == PROTO_ERR_INVALID && req.detail[0] != '\0') {
        /* Our own request broke the wire rules (a password that is not
         * UTF-8 text, or holds a NUL): nothing was sent. detail names the
         * member, never its value. */
        pam_syslog(pamh, LOG_NOTICE, "password: change for %s not sent: %s", user, req.detail);
        tell(pamh, flags, "jwt-helper password unchanged: passwords must be UTF-8 text.");
        rc = PAM_AUTHTOK_ERR;
    } else if (r == PROTO_ERR_UNREACHABLE || r == PROTO_ERR_UNTRUSTED_PEER) {
        /* It was there for the probe: whatever is there now gets nothing. */
        rc = connect_failure(pamh, c, r, err, true);
        tell(pamh, flags, "jwt-helper password unchanged: the daemon went away.");
    } else if (r == PROTO_ERR_NOMEM) {
        rc = PAM_BUF_ERR;
    } else {
        /* Timed out, hung up, or answered garbage: the change may or may
         * not have happened, which only the next login can tell. */
        pam_syslog(pamh, LOG_ERR, "password: exchange with %s failed for %s: %s", c->socket, user,
                   proto_result_str(r));
        tell(pamh, flags, "jwt-helper password change unconfirmed: the daemon did not answer.");
        rc = PAM_AUTHTOK_ERR;
    }
    proto_response_clear(&resp);
    return rc;
}

/* PAM_PRELIM_CHECK: is there a trusted daemon to change the password with? */
static int
prelim_check(pam_handle_t *pamh, const struct conf *c)
{
    struct proto_client cl = client_for(c);
    proto_result r = daemon_probe(&cl);

    if (r != PROTO_OK)
        return connect_failure(pamh, c, r, errno, false);
    /* Remembered so that a daemon gone by the update is an error, not a
     * silent PAM_IGNORE after the user was told a change would happen. */
    if (pam_set_data(pamh, PRELIM_SEEN_NAME, (void *)(uintptr_t)1, NULL) != PAM_SUCCESS)
        return PAM_BUF_ERR;
    return PAM_SUCCESS;
}

static bool
prelim_seen(pam_handle_t *pamh)
{
    const void *seen = NULL;

    return pam_get_data(pamh, PRELIM_SEEN_NAME, &seen) == PAM_SUCCESS && seen != NULL;
}

/* PAM_UPDATE_AUTHTOK: probe, ask, send. */
static int
update(pam_handle_t *pamh, int flags, const struct conf *c, const char *user)
{
    struct proto_client cl = client_for(c);
    char *old_pw = NULL, *new_pw = NULL;
    proto_result r;
    int rc;

    if ((r = daemon_probe(&cl)) != PROTO_OK) {
        int err = errno; /* before pam_get_data can touch it */
        rc = connect_failure(pamh, c, r, err, prelim_seen(pamh));
        goto out;
    }
    if ((rc = old_password_get(pamh, c, &old_pw)) != PAM_SUCCESS)
        goto out;
    if ((rc = new_password_get(pamh, flags, c, &new_pw)) != PAM_SUCCESS)
        goto out;
    rc = PAM_AUTHTOK_ERR;
    if (!password_fits(pamh, flags, old_pw) || !password_fits(pamh, flags, new_pw))
        goto out;
    rc = passwd_send(pamh, flags, c, user, old_pw, new_pw);
out:
    secret_free_str(old_pw);
    secret_free_str(new_pw);
    return rc;
}

int
module_passwd_change(pam_handle_t *pamh, int flags, const struct conf *c, const char *user)
{
    /* A name outside the user-record grammar has no jwt-helper password;
     * the check also makes the name safe to log as it is. */
    if (!jwt_user_name_is_valid(user, strlen(user))) {
        if (c->debug)
            pam_syslog(pamh, LOG_DEBUG, "password: not a jwt-helper user name, ignored");
        return PAM_IGNORE;
    }
    if (flags & PAM_PRELIM_CHECK)
        return prelim_check(pamh, c);
    if (flags & PAM_UPDATE_AUTHTOK)
        return update(pamh, flags, c, user);
    return PAM_SERVICE_ERR; /* libpam always sets one of the two */
}

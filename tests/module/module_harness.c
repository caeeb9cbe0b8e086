/* SPDX-License-Identifier: MIT */
/* Drives the built pam_jwt.so through real libpam: temp dir, keys, tokens, services, logs. */
#define _GNU_SOURCE
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "module_harness.h"
#include "secret.h"

static atomic_uint jti_counter;

bool
harness_file_write(const struct harness *h, const char *name, const char *text, mode_t mode,
                   bool atomic, char *path_out)
{
    char path[PATH_MAX], tmp[PATH_MAX + 8];
    size_t len = strlen(text);
    int fd;
    bool ok;

    if (name[0] == '/')
        snprintf(path, sizeof(path), "%s", name);
    else
        snprintf(path, sizeof(path), "%s/%s", h->dir, name);
    if (path_out != NULL)
        memcpy(path_out, path, strlen(path) + 1);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    fd = open(atomic ? tmp : path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return false;
    ok = write(fd, text, len) == (ssize_t)len && fchmod(fd, mode) == 0;
    ok = close(fd) == 0 && ok;
    if (ok && atomic)
        ok = rename(tmp, path) == 0;
    return ok;
}

bool
harness_jwks_write(const char *path, struct signer *const *keys, size_t n, bool atomic)
{
    struct json_object *set = json_object_new_object(), *arr = json_object_new_array();
    struct harness none;
    bool ok = set != NULL && arr != NULL;

    memset(&none, 0, sizeof(none));
    for (size_t i = 0; ok && i < n; i++) {
        struct jwt_jwk *pub = NULL;
        struct json_object *j = NULL;
        ok = signer_public_jwk(keys[i], &pub) == JWT_OK && (j = jwt_jwk_to_json(pub)) != NULL;
        if (ok)
            json_object_array_add(arr, j);
        jwt_jwk_free(pub);
    }
    if (ok) {
        json_object_object_add(set, "keys", arr);
        arr = NULL;
        ok = harness_file_write(&none, path,
                                json_object_to_json_string_ext(set, JSON_C_TO_STRING_PLAIN), 0644,
                                atomic, NULL);
    }
    json_object_put(arr);
    json_object_put(set);
    return ok;
}

bool
harness_service(const struct harness *h, const char *name, const char *fmt, ...)
{
    char path[PATH_MAX], text[8192];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    snprintf(path, sizeof(path), "%s/%s", h->pamd, name);
    return harness_file_write(h, path, text, 0644, false, NULL);
}

bool
harness_init(struct harness *h)
{
    char text[1024];

    memset(h, 0, sizeof(*h));
    h->log_fd = -1;
    snprintf(h->dir, sizeof(h->dir), "%s/pam_jwt-module-XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(h->dir) == NULL)
        return false;
    snprintf(h->pamd, sizeof(h->pamd), "%s/pam.d", h->dir);
    snprintf(h->jwks, sizeof(h->jwks), "%s/jwks.json", h->dir);
    snprintf(h->conf, sizeof(h->conf), "%s/pam_jwt.conf", h->dir);
    if (mkdir(h->pamd, 0755) != 0 || signer_generate(JWT_ALG_EDDSA, 0, &h->key) != JWT_OK)
        return false;
    if (!harness_jwks_write(h->jwks, &h->key, 1, true))
        return false;
    snprintf(text, sizeof(text),
             "# written by the module tests\njwks = %s\nissuer = " HARNESS_ISSUER
             "\naudience = " HARNESS_AUDIENCE "\nonce_dir = %s/once\n",
             h->jwks, h->dir);
    return harness_file_write(h, h->conf, text, 0644, true, NULL);
}

static int
remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

void
harness_cleanup(struct harness *h)
{
    for (int i = 0; i < h->log_nconn; i++)
        close(h->log_conn[i]);
    if (h->log_fd >= 0)
        close(h->log_fd);
    if (h->dev_replaced) {
        umount2("/dev", MNT_DETACH);
        umount2(h->olddev, MNT_DETACH);
    }
    /* FTW_MOUNT: never descend into something still mounted. */
    if (h->dir[0] != '\0')
        nftw(h->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
    signer_free(h->key);
    memset(h, 0, sizeof(*h));
    h->log_fd = -1;
}

char *
harness_mint(const struct signer *s, const char *typ, const char *fmt, ...)
{
    char text[16384];
    struct json_object *claims;
    char *token = NULL;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if ((claims = json_tokener_parse(text)) == NULL) {
        fprintf(stderr, "harness_mint: bad JSON %s\n", text);
        return NULL;
    }
    if (signer_sign_claims(s, claims, typ, &token) != JWT_OK)
        token = NULL;
    json_object_put(claims);
    return token;
}

char *
harness_token_with(const struct signer *s, const char *user, const char *extra)
{
    long long now = (long long)time(NULL);

    return harness_mint(s, "at+jwt",
                        "{\"iss\":\"" HARNESS_ISSUER "\",\"aud\":\"" HARNESS_AUDIENCE
                        "\",\"sub\":\"%s\",\"iat\":%lld,\"exp\":%lld,\"jti\":\"jti-%ld-%u\"%s}",
                        user, now - 10, now + 300, (long)getpid(),
                        atomic_fetch_add(&jti_counter, 1), extra);
}

char *
harness_token(const struct harness *h, const char *user, const char *extra)
{
    return harness_token_with(h->key, user, extra);
}

static int
conv_reply(const char *answer, struct pam_response *r)
{
    if (answer == NULL)
        return PAM_CONV_ERR;
    return (r->resp = strdup(answer)) != NULL ? PAM_SUCCESS : PAM_BUF_ERR;
}

static int
conversation(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    struct harness_conv *c = data;
    struct pam_response *r = calloc((size_t)n, sizeof(*r));
    int rc = r != NULL ? PAM_SUCCESS : PAM_BUF_ERR;

    for (int i = 0; rc == PAM_SUCCESS && i < n; i++) {
        c->calls++;
        c->last_style = msg[i]->msg_style;
        snprintf(c->last_prompt, sizeof(c->last_prompt), "%s", msg[i]->msg);
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF)
            rc = conv_reply(c->answer, &r[i]);
        else if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
            rc = conv_reply(c->user_answer, &r[i]);
    }
    if (rc != PAM_SUCCESS) {
        for (int i = 0; r != NULL && i < n; i++)
            secret_free_str(r[i].resp);
        free(r);
        return rc;
    }
    *resp = r;
    return PAM_SUCCESS;
}

int
harness_start(const struct harness *h, const char *service, const char *user,
              struct harness_conv *conv, pam_handle_t **pamh)
{
    const struct pam_conv pc = {conversation, conv};

    return pam_start_confdir(service, user, &pc, h->pamd, pamh);
}

int
harness_auth(const struct harness *h, const char *service, const char *user, const char *token)
{
    struct harness_conv conv = {.answer = token};
    pam_handle_t *pamh = NULL;
    int rc;

    if ((rc = harness_start(h, service, user, &conv, &pamh)) != PAM_SUCCESS)
        return rc == PAM_SUCCESS ? PAM_SYSTEM_ERR : rc;
    rc = pam_authenticate(pamh, PAM_SILENT);
    pam_end(pamh, rc);
    return rc;
}

/* /dev has no log socket here: give this namespace a /dev of symlinks to
 * the real one (bound at olddev) plus our socket, so nothing is written to
 * the shared /dev. */
static bool
dev_replace(struct harness *h, const char *newdev, char *why, size_t why_len)
{
    DIR *d;
    struct dirent *e;

    snprintf(h->olddev, sizeof(h->olddev), "%s/olddev", h->dir);
    if (mkdir(h->olddev, 0700) != 0 || mkdir(newdev, 0755) != 0 ||
        mount("/dev", h->olddev, "none", MS_BIND | MS_REC, NULL) != 0) {
        snprintf(why, why_len, "cannot bind /dev: %s", strerror(errno));
        return false;
    }
    if ((d = opendir(h->olddev)) == NULL)
        return false;
    while ((e = readdir(d)) != NULL) {
        char from[PATH_MAX + 300], to[PATH_MAX + 300];
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(from, sizeof(from), "%s/%s", newdev, e->d_name);
        snprintf(to, sizeof(to), "%s/%s", h->olddev, e->d_name);
        if (symlink(to, from) != 0)
            break;
    }
    closedir(d);
    if (mount(newdev, "/dev", "none", MS_BIND, NULL) != 0) {
        snprintf(why, why_len, "cannot bind a new /dev: %s", strerror(errno));
        return false;
    }
    h->dev_replaced = true;
    return true;
}

/* A stream socket, not a datagram one: a unix datagram socket queues only
 * net.unix.max_dgram_qlen (10) messages before syslog(3) blocks, while
 * glibc falls back to a stream connection (EPROTOTYPE) whose buffer holds
 * far more than one test step logs, and which we read between steps
 * without a thread. */
static int
log_socket(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || chmod(path, 0666) != 0 ||
        listen(fd, HARNESS_LOG_CONNS) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

bool
harness_log_capture(struct harness *h, char *why, size_t why_len)
{
    char newdev[PATH_MAX], sock[PATH_MAX];
    struct stat st;

    if (geteuid() != 0) {
        snprintf(why, why_len, "not root: cannot put a socket at /dev/log");
        return false;
    }
    if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0) {
        snprintf(why, why_len, "no private mount namespace: %s", strerror(errno));
        return false;
    }
    snprintf(newdev, sizeof(newdev), "%s/dev", h->dir);
    if (lstat("/dev/log", &st) != 0) {
        if (!dev_replace(h, newdev, why, why_len))
            return false;
        h->log_fd = log_socket("/dev/log");
    } else {
        snprintf(sock, sizeof(sock), "%s/log.sock", h->dir);
        h->log_fd = log_socket(sock);
        if (h->log_fd >= 0 && mount(sock, "/dev/log", "none", MS_BIND, NULL) != 0) {
            close(h->log_fd);
            h->log_fd = -1;
        }
    }
    if (h->log_fd < 0) {
        snprintf(why, why_len, "cannot bind a socket at /dev/log: %s", strerror(errno));
        return false;
    }
    closelog(); /* a connection made before would bypass ours */
    return true;
}

/* Reads what is queued on every connection made to our /dev/log. */
int
harness_log_drain(struct harness *h, char *buf, size_t len)
{
    size_t used = 0;
    int count = 0, fd;
    char chunk[4096];
    ssize_t n;

    buf[0] = '\0';
    while (h->log_fd >= 0 && h->log_nconn < HARNESS_LOG_CONNS &&
           (fd = accept4(h->log_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
        h->log_conn[h->log_nconn++] = fd;
    for (int i = 0; i < h->log_nconn; i++) {
        while ((n = read(h->log_conn[i], chunk, sizeof(chunk))) > 0) {
            for (ssize_t k = 0; k < n && used + 2 < len; k++) {
                /* glibc ends each message with a NUL on a stream socket. */
                buf[used++] = chunk[k] == '\0' ? '\n' : chunk[k];
                count += chunk[k] == '\0';
            }
            buf[used] = '\0';
        }
    }
    return count;
}

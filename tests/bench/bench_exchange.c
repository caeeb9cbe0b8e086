/* SPDX-License-Identifier: MIT */
/* Benchmark: jwt-helperd's refresh exchanges and logins per second over its
 * socket, with 1, 8 and 64 clients, beside the raw crypto of one exchange
 * (HMAC-SHA-256 verify + Ed25519 sign) and one login (argon2id verify)
 * measured in the same run; latency percentiles and the daemon's RSS.
 * Prints medians and ratios; asserts nothing. It exits non-zero only when
 * the daemon cannot be started or an exchange fails.
 *
 * It starts the built daemon (HELPERD_PATH) itself in a temp dir with keys,
 * users and config made here, so it needs nothing installed. Run as root,
 * the daemon drops to "nobody" as it would to _jwt-helper. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "helperd_tokens.h"
#include "jwt.h"
#include "proto.h"
#include "secret.h"
#include "signer.h"
#include "userdb.h"

#define N_USERS 3 /* user 0 owns the refresh token; 1 and 2 log in in a loop */
#define LOGIN_CLIENTS 2
#define MIXED_REFRESH_CLIENTS 8
#define MAX_ROUNDS 5
#define MAX_CLIENTS 64
#define STARTUP_TIMEOUT_S 30.0 /* the daemon hashes a dummy password before serving */
#define WARMUP_TIMEOUT_S 5.0   /* a client refused by the per-uid limit retries this long */
#define STOP_TIMEOUT_S 10.0    /* SIGTERM lets in-flight argon2id jobs finish */
#define EXCHANGE_TIMEOUT_MS 30000
#define LOG_TAIL_BYTES 4096
#define MAX_FILLERS 20000 /* BENCH_USERS: userdb_add's duplicate check is linear */

static const unsigned client_counts[] = {1, 8, 64};
#define N_COUNTS (sizeof(client_counts) / sizeof(client_counts[0]))

/* Durations; --quick (or BENCH_QUICK=1) shrinks them to check the bench
 * itself, e.g. under valgrind. */
struct options {
    bool quick;
    unsigned rounds;       /* rounds of each daemon measurement (median taken) */
    unsigned raw_rounds;   /* rounds of the raw baseline (median taken) */
    double window_s;       /* timed window of a refresh or login measurement */
    double mixed_window_s; /* timed window of refreshes while logins run */
    double raw_slice_s;    /* CPU time of one raw round */
    unsigned raw_hashes;   /* argon2id verifies per raw round */
    unsigned fillers;      /* BENCH_USERS: extra records before the bench's users */
};

/* Everything the run is built from. Secrets: passwords, refresh_token,
 * hmac_key, ed_sk, hashes (wiped by fixture_free). */
struct fixture {
    char dir[64];
    char conf_path[128], sock_path[128], log_path[128], users_path[128];
    pid_t daemon;
    struct proto_client client;
    char *passwords[N_USERS];
    char *hash; /* user 0's argon2id string, for the raw login baseline */
    char *refresh_token;
    size_t rt_input_len; /* header "." payload of the refresh token */
    size_t at_input_len; /* the same for an access token */
    char *at_input;      /* an access token's signing input (its copy) */
    unsigned char hmac_key[crypto_auth_hmacsha256_KEYBYTES];
    unsigned char hmac_tag[crypto_auth_hmacsha256_BYTES];
    unsigned char ed_pk[crypto_sign_PUBLICKEYBYTES];
    unsigned char ed_sk[crypto_sign_SECRETKEYBYTES];
    bool dropped; /* root: the daemon runs as nobody */
    uid_t nobody_uid;
    gid_t nobody_gid;
};

/* The daemon's pid for the signal handler: a bench killed by ^C must not
 * leave a daemon behind. */
static volatile sig_atomic_t daemon_pid_for_signal;

/* ---- clocks, statistics, /proc ---- */

static double
clock_s(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t
mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int
double_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static int
u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

/* Median of v[0..n) without reordering v. */
static double
median(const double *v, size_t n)
{
    double s[MAX_ROUNDS];

    if (n == 0)
        return 0.0;
    memcpy(s, v, n * sizeof(*v));
    qsort(s, n, sizeof(*s), double_cmp);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* The nearest-rank percentile p (0..100] of sorted[0..n), in milliseconds. */
static double
percentile_ms(const uint64_t *sorted, size_t n, double p)
{
    size_t rank;

    if (n == 0)
        return 0.0;
    rank = (size_t)((p / 100.0) * (double)n + 0.999999);
    rank = rank < 1 ? 1 : rank > n ? n : rank;
    return (double)sorted[rank - 1] / 1e6;
}

/* A "Key:   123 kB" line of /proc/PID/status in KiB; -1 when unreadable. */
static long
proc_status_kb(pid_t pid, const char *key)
{
    char path[64], line[256];
    size_t klen = strlen(key);
    long kb = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
    if ((f = fopen(path, "re")) == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            kb = strtol(line + klen + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

/* CPU seconds (user + system) used by the whole process pid, or with
 * thread_only by its main thread alone (the daemon's event loop, which
 * answers every refresh; its workers only hash passwords); -1 when
 * unreadable. Fields 14 and 15 of .../stat, after the ")" that ends the
 * command name (which may itself hold spaces). */
static double
proc_cpu_s(pid_t pid, bool thread_only)
{
    char path[64], buf[1024], *p;
    unsigned long long ut = 0, st = 0;
    ssize_t n;
    int fd;

    if (thread_only)
        snprintf(path, sizeof(path), "/proc/%ld/task/%ld/stat", (long)pid, (long)pid);
    else
        snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return -1.0;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1.0;
    buf[n] = '\0';
    if ((p = strrchr(buf, ')')) == NULL ||
        sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1.0;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* The first three fields of /proc/loadavg into out ("?" when unreadable):
 * wall-clock figures mean little on a loaded machine. */
static void
loadavg_read(char *out, size_t len)
{
    double a = 0, b = 0, c = 0;
    FILE *f = fopen("/proc/loadavg", "re");

    if (f != NULL && fscanf(f, "%lf %lf %lf", &a, &b, &c) == 3)
        snprintf(out, len, "%.2f %.2f %.2f", a, b, c);
    else
        snprintf(out, len, "?");
    if (f != NULL)
        fclose(f);
}

/* ---- the temp dir: keys, users, config ---- */

/* Creates dir/name (which must not exist) with text and mode, owned by
 * uid/gid when uid is not (uid_t)-1. */
static bool
file_write(const struct fixture *fx, const char *name, const char *text, mode_t mode, uid_t uid,
           gid_t gid)
{
    char path[192];
    size_t len = strlen(text), done = 0;
    ssize_t n;
    int fd;
    bool ok = false;

    snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        goto out;
    while (done < len && (n = write(fd, text + done, len - done)) > 0)
        done += (size_t)n;
    ok = done == len && fchmod(fd, mode) == 0 && (uid == (uid_t)-1 || fchown(fd, uid, gid) == 0);
out:
    if (fd >= 0)
        close(fd);
    if (!ok)
        fprintf(stderr, "bench_exchange: cannot write %s: %s\n", path, strerror(errno));
    return ok;
}

/* {"keys":[s's public JWK]}, malloc'd; NULL on failure. */
static char *
jwks_text(const struct signer *s)
{
    struct jwt_jwk *jwk = NULL;
    struct json_object *set = json_object_new_object(), *keys = json_object_new_array(), *key;
    char *text = NULL;

    if (set == NULL || keys == NULL || signer_public_jwk(s, &jwk) != JWT_OK)
        goto out;
    if ((key = jwt_jwk_to_json(jwk)) == NULL || json_object_array_add(keys, key) != 0) {
        json_object_put(key);
        goto out;
    }
    json_object_object_add(set, "keys", keys);
    keys = NULL; /* set owns it */
    text = strdup(json_object_to_json_string_ext(set, JSON_C_TO_STRING_PLAIN));
out:
    json_object_put(keys);
    json_object_put(set);
    jwt_jwk_free(jwk);
    return text;
}

/* signing.jwk, refresh.key and jwks.json, as `jwt-helper keygen` makes
 * them; the daemon reads all three as root, before it drops. */
static bool
keys_write(const struct fixture *fx)
{
    struct signer *s = NULL;
    /* A fixed refresh.key: 32 bytes ("pam_jwt test refresh key, one..!"). */
    static const char rkey[] = "cGFtX2p3dCB0ZXN0IHJlZnJlc2gga2V5LCBvbmUuLiE\n";
    char *jwk = NULL, *set = NULL;
    bool ok = false;

    if (signer_generate(JWT_ALG_EDDSA, 0, &s) != JWT_OK ||
        signer_private_jwk_json(s, &jwk) != JWT_OK || (set = jwks_text(s)) == NULL) {
        fprintf(stderr, "bench_exchange: key generation failed\n");
        goto out;
    }
    ok = file_write(fx, "signing.jwk", jwk, 0600, (uid_t)-1, (gid_t)-1) &&
         file_write(fx, "refresh.key", rkey, 0600, (uid_t)-1, (gid_t)-1) &&
         file_write(fx, "jwks.json", set, 0644, (uid_t)-1, (gid_t)-1);
out:
    secret_free_str(jwk);
    free(set);
    signer_free(s);
    return ok;
}

struct users_ctx {
    struct fixture *fx;
    char *hashes[N_USERS];
    unsigned fillers;
};

static userdb_result
users_add(struct userdb *db, void *ctx)
{
    struct users_ctx *u = ctx;
    struct userdb_record rec = {0};
    userdb_result r = USERDB_OK;

    rec.gen = 1;
    rec.changed = (int64_t)time(NULL);
    if ((r = userdb_scopes_parse("ssh,sudo", &rec.scopes, &rec.n_scopes)) != USERDB_OK)
        return r;
    /* Fillers first, so that every lookup of a bench user walks past them. */
    rec.hash = u->hashes[0];
    for (unsigned i = 0; i < u->fillers && r == USERDB_OK; i++) {
        snprintf(rec.name, sizeof(rec.name), "filler%05u", i);
        r = userdb_add(db, &rec);
    }
    for (size_t i = 0; i < N_USERS && r == USERDB_OK; i++) {
        snprintf(rec.name, sizeof(rec.name), "bench%zu", i);
        rec.hash = u->hashes[i];
        r = userdb_add(db, &rec);
    }
    userdb_scopes_free(rec.scopes, rec.n_scopes);
    return r;
}

/* N_USERS users with random passwords, hashed as `jwt-helper useradd`
 * would (argon2id INTERACTIVE: 64 MiB; --quick uses the minimum so that
 * valgrind finishes), after `fillers` users sharing user 0's hash (a
 * larger users file). The file belongs to the daemon's user. */
static bool
users_write(struct fixture *fx, bool quick, unsigned fillers)
{
    struct users_ctx u = {.fx = fx, .fillers = fillers};
    unsigned long long ops =
        quick ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_INTERACTIVE;
    size_t mem = quick ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_INTERACTIVE;
    unsigned char raw[18];
    userdb_result r = USERDB_ERR_NOMEM;
    bool ok = false;

    for (size_t i = 0; i < N_USERS; i++) {
        randombytes_buf(raw, sizeof(raw));
        fx->passwords[i] = jwt_b64url_encode(raw, sizeof(raw));
        u.hashes[i] = malloc(crypto_pwhash_STRBYTES);
        if (fx->passwords[i] == NULL || u.hashes[i] == NULL ||
            crypto_pwhash_str(u.hashes[i], fx->passwords[i], strlen(fx->passwords[i]), ops, mem) !=
                0)
            goto out;
    }
    r = userdb_update(fx->users_path, fx->dropped ? (long)fx->nobody_uid : -1,
                      fx->dropped ? fx->nobody_uid : (uid_t)-1,
                      fx->dropped ? fx->nobody_gid : (gid_t)-1, users_add, &u, NULL);
    ok = r == USERDB_OK;
    fx->hash = u.hashes[0];
    u.hashes[0] = NULL;
out:
    if (!ok)
        fprintf(stderr, "bench_exchange: cannot make the users file: %s\n", userdb_result_str(r));
    sodium_memzero(raw, sizeof(raw));
    for (size_t i = 0; i < N_USERS; i++)
        secret_free(u.hashes[i], crypto_pwhash_STRBYTES);
    return ok;
}

static bool
conf_write(const struct fixture *fx)
{
    char text[2048];
    const char *d = fx->dir;

    /* max_clients_per_uid 64: every client of this bench has one uid.
     * login_delay 0: the logins here all succeed; no delay is ever due. */
    snprintf(text, sizeof(text),
             "issuer = jwt-helper@bench\naudience = pam\n"
             "jwks = %s/jwks.json\nsigning_key = %s/signing.jwk\n"
             "refresh_key = %s/refresh.key\nusers = %s\nrevocation = %s/revoked\n"
             "socket = %s\ndefault_scope = ssh,sudo\n"
             "max_clients = 128\nmax_clients_per_uid = %u\nidle_timeout = 60\n"
             "login_delay = 0\nmax_hashes = 1\n%s",
             d, d, d, fx->users_path, d, fx->sock_path, MAX_CLIENTS,
             fx->dropped ? "user = nobody\n" : "");
    return file_write(fx, "jwt-helperd.conf", text, 0644, (uid_t)-1, (gid_t)-1);
}

/* Makes the temp dir and everything the daemon reads. */
static bool
fixture_setup(struct fixture *fx, const struct options *o)
{
    struct passwd *pw;

    snprintf(fx->dir, sizeof(fx->dir), "/tmp/pam_jwt-bench-exchange.XXXXXX");
    if (mkdtemp(fx->dir) == NULL) {
        fprintf(stderr, "bench_exchange: mkdtemp: %s\n", strerror(errno));
        fx->dir[0] = '\0';
        return false;
    }
    snprintf(fx->conf_path, sizeof(fx->conf_path), "%s/jwt-helperd.conf", fx->dir);
    snprintf(fx->sock_path, sizeof(fx->sock_path), "%s/socket", fx->dir);
    snprintf(fx->log_path, sizeof(fx->log_path), "%s/jwt-helperd.log", fx->dir);
    snprintf(fx->users_path, sizeof(fx->users_path), "%s/users", fx->dir);
    if (geteuid() == 0) {
        /* The daemon drops to nobody: it must traverse the dir and own users. */
        if ((pw = getpwnam("nobody")) == NULL) {
            fprintf(stderr, "bench_exchange: running as root needs a \"nobody\" user\n");
            return false;
        }
        fx->dropped = true;
        fx->nobody_uid = pw->pw_uid;
        fx->nobody_gid = pw->pw_gid;
        if (chmod(fx->dir, 0755) != 0)
            return false;
    }
    fx->client.socket_path = fx->sock_path;
    fx->client.extra_uid = (long)geteuid();
    fx->client.timeout_ms = EXCHANGE_TIMEOUT_MS;
    return keys_write(fx) && users_write(fx, o->quick, o->fillers) && conf_write(fx);
}

static int
remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

static void
fixture_free(struct fixture *fx)
{
    for (size_t i = 0; i < N_USERS; i++)
        secret_free_str(fx->passwords[i]);
    secret_free_str(fx->hash);
    secret_free_str(fx->refresh_token);
    secret_free(fx->at_input, fx->at_input_len);
    sodium_memzero(fx->hmac_key, sizeof(fx->hmac_key));
    sodium_memzero(fx->ed_sk, sizeof(fx->ed_sk));
    if (fx->dir[0] != '\0' && nftw(fx->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "bench_exchange: could not remove %s\n", fx->dir);
}

/* ---- the daemon ---- */

/* Prints the end of the daemon's log (its stderr) to our stderr. */
static void
log_print_tail(const struct fixture *fx)
{
    char buf[LOG_TAIL_BYTES + 1];
    ssize_t n;
    off_t size;
    int fd = open(fx->log_path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return;
    size = lseek(fd, 0, SEEK_END);
    lseek(fd, size > LOG_TAIL_BYTES ? size - LOG_TAIL_BYTES : 0, SEEK_SET);
    if ((n = read(fd, buf, LOG_TAIL_BYTES)) > 0) {
        buf[n] = '\0';
        fprintf(stderr, "---- jwt-helperd log (%s) ----\n%s%s---- end of log ----\n",
                size > LOG_TAIL_BYTES ? "its end" : "all of it", buf,
                buf[n - 1] == '\n' ? "" : "\n");
    }
    close(fd);
}

static void
child_exec_daemon(const struct fixture *fx)
{
    int log = open(fx->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

    if (log < 0 || null < 0 || dup2(null, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
        _exit(126);
    execl(HELPERD_PATH, "jwt-helperd", "-f", "-c", fx->conf_path, (char *)NULL);
    dprintf(2, "bench_exchange: exec %s: %s\n", HELPERD_PATH, strerror(errno));
    _exit(127);
}

/* Returns true once the daemon accepts a connection on its socket; false
 * when it exits first or does not listen within STARTUP_TIMEOUT_S. */
static bool
daemon_wait_ready(struct fixture *fx)
{
    double deadline = clock_s(CLOCK_MONOTONIC) + STARTUP_TIMEOUT_S;
    int status, fd = -1;
    proto_result r;

    while (clock_s(CLOCK_MONOTONIC) < deadline) {
        if (waitpid(fx->daemon, &status, WNOHANG) == fx->daemon) {
            fprintf(stderr, "bench_exchange: jwt-helperd exited (%s %d) before serving\n",
                    WIFEXITED(status) ? "status" : "signal",
                    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
            fx->daemon = 0;
            daemon_pid_for_signal = 0;
            return false;
        }
        if ((r = proto_client_connect(&fx->client, &fd)) == PROTO_OK) {
            close(fd);
            return true;
        }
        if (r != PROTO_ERR_UNREACHABLE) {
            fprintf(stderr, "bench_exchange: connecting to %s: %s\n", fx->sock_path,
                    proto_result_str(r));
            return false;
        }
        sleep_ms(20);
    }
    fprintf(stderr, "bench_exchange: jwt-helperd did not listen within %.0f s\n",
            STARTUP_TIMEOUT_S);
    return false;
}

static bool
daemon_start(struct fixture *fx)
{
    pid_t pid;

    if (access(HELPERD_PATH, X_OK) != 0) {
        fprintf(stderr, "bench_exchange: %s: %s (build it first)\n", HELPERD_PATH, strerror(errno));
        return false;
    }
    fflush(NULL);
    if ((pid = fork()) < 0) {
        fprintf(stderr, "bench_exchange: fork: %s\n", strerror(errno));
        return false;
    }
    if (pid == 0)
        child_exec_daemon(fx);
    fx->daemon = pid;
    daemon_pid_for_signal = (sig_atomic_t)pid;
    if (daemon_wait_ready(fx))
        return true;
    log_print_tail(fx);
    return false;
}

/* SIGTERM, then waits (SIGKILL after STOP_TIMEOUT_S). Returns false when
 * the daemon had died already or did not exit cleanly on SIGTERM. */
static bool
daemon_stop(struct fixture *fx)
{
    double deadline = clock_s(CLOCK_MONOTONIC) + STOP_TIMEOUT_S;
    int status = 0;
    pid_t got = 0;

    if (fx->daemon <= 0)
        return false;
    if (waitpid(fx->daemon, &status, WNOHANG) == fx->daemon) {
        fprintf(stderr, "bench_exchange: jwt-helperd had died (%s %d)\n",
                WIFEXITED(status) ? "status" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        fx->daemon = 0;
        return false;
    }
    kill(fx->daemon, SIGTERM);
    while ((got = waitpid(fx->daemon, &status, WNOHANG)) == 0 &&
           clock_s(CLOCK_MONOTONIC) < deadline)
        sleep_ms(10);
    if (got == 0) {
        fprintf(stderr, "bench_exchange: jwt-helperd ignored SIGTERM for %.0f s: killed\n",
                STOP_TIMEOUT_S);
        kill(fx->daemon, SIGKILL);
        waitpid(fx->daemon, &status, 0);
    }
    fx->daemon = 0;
    daemon_pid_for_signal = 0;
    if (got != 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return true;
    if (got != 0)
        fprintf(stderr, "bench_exchange: jwt-helperd exited with %s %d on SIGTERM\n",
                WIFEXITED(status) ? "status" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return false;
}

static void
on_fatal_signal(int sig)
{
    if (daemon_pid_for_signal > 0)
        kill((pid_t)daemon_pid_for_signal, SIGTERM);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* ---- one exchange ---- */

/* Describes a failed exchange (never a token or password: the daemon's
 * error_description is its own static text). */
static void
failure_describe(proto_result r, const struct proto_response *resp, char *why, size_t len)
{
    if (r == PROTO_ERR_IO)
        snprintf(why, len, "%s (%s)", proto_result_str(r), strerror(errno));
    else if (r != PROTO_OK)
        snprintf(why, len, "%s%s%s", proto_result_str(r), resp->detail[0] ? ": " : "",
                 resp->detail);
    else
        snprintf(why, len, "%s: %s", proto_error_str(resp->error),
                 resp->error_description ? resp->error_description : "");
}

#define OP_REFRESH (-1)
#define OP_JWKS (-2)

/* One login (user >= 0: as bench<user>), refresh (OP_REFRESH) or jwks
 * (OP_JWKS) on fd. On success with keep set, *keep receives the response
 * (the caller clears it). */
static bool
exchange(struct fixture *fx, int fd, int user, struct proto_response *keep, char *why,
         size_t why_len)
{
    struct proto_request req = {0};
    struct proto_response resp = {0};
    char name[16];
    proto_result r;
    bool ok;

    if (user >= 0) {
        snprintf(name, sizeof(name), "bench%d", user);
        req.op = PROTO_OP_LOGIN;
        req.username = name;
        req.password = fx->passwords[user];
    } else if (user == OP_REFRESH) {
        req.op = PROTO_OP_REFRESH;
        req.refresh_token = fx->refresh_token;
    } else {
        req.op = PROTO_OP_JWKS;
    }
    r = proto_client_exchange(fd, &req, EXCHANGE_TIMEOUT_MS, &resp);
    ok = r == PROTO_OK && resp.ok;
    if (!ok)
        failure_describe(r, &resp, why, why_len);
    if (ok && keep != NULL)
        *keep = resp;
    else
        proto_response_clear(&resp);
    return ok;
}

/* ---- the raw baseline ---- */

/* Length of token's signing input: everything before its last ".". */
static size_t
signing_input_len(const char *token)
{
    const char *dot = strrchr(token, '.');

    return dot ? (size_t)(dot - token) : 0;
}

/* The first login: a refresh token for the measurements, and the sizes of
 * the two signing inputs the raw baseline works on. */
static bool
first_login(struct fixture *fx)
{
    struct proto_response resp = {0};
    char why[PROTO_MAX_DESCRIPTION + 64];
    int fd = -1;
    proto_result r;
    bool ok = false;

    if ((r = proto_client_connect(&fx->client, &fd)) != PROTO_OK) {
        fprintf(stderr, "bench_exchange: connect: %s\n", proto_result_str(r));
        return false;
    }
    if (!exchange(fx, fd, 0, &resp, why, sizeof(why))) {
        fprintf(stderr, "bench_exchange: the first login failed: %s\n", why);
        goto out;
    }
    fx->refresh_token = strdup(resp.refresh_token);
    fx->rt_input_len = signing_input_len(resp.refresh_token);
    fx->at_input_len = signing_input_len(resp.access_token);
    if (fx->refresh_token == NULL || (fx->at_input = malloc(fx->at_input_len + 1)) == NULL)
        goto out;
    memcpy(fx->at_input, resp.access_token, fx->at_input_len);
    fx->at_input[fx->at_input_len] = '\0';
    ok = fx->rt_input_len > 0 && fx->at_input_len > 0;
out:
    proto_response_clear(&resp);
    close(fd);
    return ok;
}

/* The crypto of one refresh, done by hand: the HMAC over the refresh
 * token's signing input (a tag made here under a key made here: the same
 * work as the daemon's check) and an Ed25519 signature over an access
 * token's signing input. */
static bool
raw_setup(struct fixture *fx)
{
    crypto_auth_hmacsha256_keygen(fx->hmac_key);
    crypto_auth_hmacsha256(fx->hmac_tag, (const unsigned char *)fx->refresh_token, fx->rt_input_len,
                           fx->hmac_key);
    return crypto_sign_keypair(fx->ed_pk, fx->ed_sk) == 0;
}

/* Raw exchanges per CPU-second of this thread over about seconds of CPU
 * time (at most 3x that in wall time); -1 when a verify fails. */
static double
raw_exchange_rate(const struct fixture *fx, double seconds)
{
    double cpu0 = clock_s(CLOCK_THREAD_CPUTIME_ID), wall0 = clock_s(CLOCK_MONOTONIC), cpu;
    unsigned char sig[crypto_sign_BYTES];
    size_t ops = 0, bad = 0;

    do {
        for (int k = 0; k < 16; k++, ops++) {
            bad += crypto_auth_hmacsha256_verify(fx->hmac_tag,
                                                 (const unsigned char *)fx->refresh_token,
                                                 fx->rt_input_len, fx->hmac_key) != 0;
            crypto_sign_detached(sig, NULL, (const unsigned char *)fx->at_input, fx->at_input_len,
                                 fx->ed_sk);
        }
        cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - cpu0;
    } while (cpu < seconds && clock_s(CLOCK_MONOTONIC) - wall0 < 3 * seconds);
    return bad ? -1.0 : (double)ops / cpu;
}

/* Argon2id verifies per CPU-second of this thread, of user 0's hash. */
static double
raw_login_rate(const struct fixture *fx, unsigned n)
{
    double cpu0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    size_t bad = 0;

    for (unsigned i = 0; i < n; i++)
        bad += crypto_pwhash_str_verify(fx->hash, fx->passwords[0], strlen(fx->passwords[0])) != 0;
    return bad ? -1.0 : (double)n / (clock_s(CLOCK_THREAD_CPUTIME_ID) - cpu0);
}

/* ---- client threads ---- */

struct run {
    struct fixture *fx;
    pthread_barrier_t ready; /* every client connected and warmed up, and main */
    atomic_bool stop;
};

struct client {
    pthread_t tid;
    struct run *run;
    int user;         /* >= 0: logs in as bench<user>; OP_REFRESH: refreshes */
    uint64_t *lat_ns; /* one latency per exchange in the window */
    size_t n, cap;
    bool failed;
    char why[PROTO_MAX_DESCRIPTION + 64];
    uint64_t end_ns; /* when its last exchange finished */
};

static bool
latency_push(struct client *c, uint64_t ns)
{
    uint64_t *grown;

    if (c->n == c->cap) {
        if ((grown = realloc(c->lat_ns, (c->cap ? 2 * c->cap : 4096) * sizeof(*grown))) == NULL)
            return false;
        c->lat_ns = grown;
        c->cap = c->cap ? 2 * c->cap : 4096;
    }
    c->lat_ns[c->n++] = ns;
    return true;
}

/* Connects and makes one untimed exchange (a refresh, or for a login
 * client a cheap jwks). A connection the daemon turns away (the previous
 * round's connections may not be reaped yet, and this bench uses all of
 * max_clients_per_uid) is retried for WARMUP_TIMEOUT_S. */
static int
client_connect(struct client *c)
{
    double deadline = clock_s(CLOCK_MONOTONIC) + WARMUP_TIMEOUT_S;
    int fd = -1;
    proto_result r;

    do {
        if (fd >= 0) {
            close(fd);
            fd = -1;
            sleep_ms(20);
        }
        r = proto_client_connect(&c->run->fx->client, &fd);
        if (r != PROTO_OK) {
            snprintf(c->why, sizeof(c->why), "connect: %s", proto_result_str(r));
            continue;
        }
        if (exchange(c->run->fx, fd, c->user >= 0 ? OP_JWKS : c->user, NULL, c->why,
                     sizeof(c->why)))
            return fd;
    } while (clock_s(CLOCK_MONOTONIC) < deadline);
    if (fd >= 0)
        close(fd);
    return -1;
}

static void *
client_main(void *arg)
{
    struct client *c = arg;
    uint64_t t0, t1;
    int fd = client_connect(c);

    c->failed = fd < 0;
    pthread_barrier_wait(&c->run->ready);
    while (fd >= 0 && !atomic_load(&c->run->stop)) {
        t0 = mono_ns();
        if (!exchange(c->run->fx, fd, c->user, NULL, c->why, sizeof(c->why))) {
            c->failed = true;
            break;
        }
        t1 = mono_ns();
        if (!latency_push(c, t1 - t0)) {
            snprintf(c->why, sizeof(c->why), "out of memory");
            c->failed = true;
            break;
        }
    }
    c->end_ns = mono_ns();
    if (fd >= 0)
        close(fd);
    return NULL;
}

/* What one timed window measured, for one kind of client. */
struct window {
    double rate; /* exchanges per wall second */
    double p50_ms, p99_ms;
    size_t n;
};

/* Merges the latencies of clients[0..n) into w; false when one failed
 * (its reason printed). */
static bool
window_collect(struct client *clients, size_t n, uint64_t start_ns, struct window *w)
{
    uint64_t *all = NULL, end = start_ns;
    size_t total = 0, k = 0;
    bool ok = true;

    for (size_t i = 0; i < n; i++) {
        total += clients[i].n;
        end = clients[i].end_ns > end ? clients[i].end_ns : end;
        if (clients[i].failed && ok) {
            fprintf(stderr, "bench_exchange: %s failed: %s\n",
                    clients[i].user >= 0 ? "a login" : "a refresh", clients[i].why);
            ok = false;
        }
    }
    memset(w, 0, sizeof(*w));
    if (total > 0 && (all = malloc(total * sizeof(*all))) != NULL) {
        for (size_t i = 0; i < n; k += clients[i].n, i++)
            memcpy(all + k, clients[i].lat_ns, clients[i].n * sizeof(*all));
        qsort(all, total, sizeof(*all), u64_cmp);
        w->n = total;
        w->rate = (double)total / ((double)(end - start_ns) / 1e9);
        w->p50_ms = percentile_ms(all, total, 50.0);
        w->p99_ms = percentile_ms(all, total, 99.0);
    }
    free(all);
    if (ok && total == 0 && n > 0) {
        fprintf(stderr, "bench_exchange: no %s finished within the window\n",
                clients[0].user >= 0 ? "login" : "refresh");
        ok = false;
    }
    return ok;
}

/* One timed window: n_refresh refreshing clients and n_login logging-in
 * ones (alternating over users 1..N_USERS-1) for seconds. Fills refresh and
 * login, and the CPU seconds the daemon and this process used meanwhile. */
struct measurement {
    struct window refresh, login;
    double loop_cpu_s;   /* the daemon's event-loop thread */
    double daemon_cpu_s; /* the whole daemon, password workers included */
    double bench_cpu_s;  /* this process: the clients */
    double wall_s;
};

static bool
window_run(struct fixture *fx, unsigned n_refresh, unsigned n_login, double seconds,
           struct measurement *m)
{
    struct run run = {.fx = fx};
    struct client *cl = calloc(n_refresh + n_login, sizeof(*cl));
    unsigned n = n_refresh + n_login, started = 0;
    double l0, d0, b0;
    uint64_t start;
    bool ok = false;

    if (cl == NULL || pthread_barrier_init(&run.ready, NULL, n + 1) != 0) {
        free(cl);
        return false;
    }
    atomic_init(&run.stop, false);
    for (; started < n; started++) {
        cl[started].run = &run;
        cl[started].user =
            started < n_refresh ? OP_REFRESH : 1 + (int)(started - n_refresh) % (N_USERS - 1);
        if (pthread_create(&cl[started].tid, NULL, client_main, &cl[started]) != 0) {
            /* The barrier can never be released now: stop the daemon, give up. */
            fprintf(stderr, "bench_exchange: cannot start client threads\n");
            kill(fx->daemon, SIGTERM);
            _exit(1);
        }
    }
    pthread_barrier_wait(&run.ready);
    start = mono_ns();
    l0 = proc_cpu_s(fx->daemon, true);
    d0 = proc_cpu_s(fx->daemon, false);
    b0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    sleep_ms((long)(seconds * 1000));
    atomic_store(&run.stop, true);
    for (unsigned i = 0; i < n; i++)
        pthread_join(cl[i].tid, NULL);
    m->loop_cpu_s = proc_cpu_s(fx->daemon, true) - l0;
    m->daemon_cpu_s = proc_cpu_s(fx->daemon, false) - d0;
    m->bench_cpu_s = clock_s(CLOCK_PROCESS_CPUTIME_ID) - b0;
    m->wall_s = (double)(mono_ns() - start) / 1e9;
    ok = window_collect(cl, n_refresh, start, &m->refresh);
    ok = window_collect(cl + n_refresh, n_login, start, &m->login) && ok;
    for (unsigned i = 0; i < n; i++)
        free(cl[i].lat_ns);
    pthread_barrier_destroy(&run.ready);
    free(cl);
    return ok;
}

/* ---- the measurements ---- */

struct results {
    unsigned rounds, raw_rounds;
    double raw[MAX_ROUNDS];       /* raw exchanges per CPU-second */
    double raw_login[MAX_ROUNDS]; /* raw argon2id verifies per CPU-second */
    struct measurement refresh[N_COUNTS][MAX_ROUNDS];
    struct measurement mixed[MAX_ROUNDS];  /* refreshes while logins run */
    struct measurement logins[MAX_ROUNDS]; /* logins alone */
    long rss_idle_kb, hwm_start_kb, rss_end_kb, hwm_end_kb;
    char loadavg[32]; /* /proc/loadavg's first three fields */
};

/* Rounds interleave the raw baseline with the daemon's windows, so that
 * frequency scaling and background load hit both alike. */
static bool
rounds_run(struct fixture *fx, const struct options *o, struct results *res)
{
    bool ok = true;

    res->rounds = o->rounds;
    res->raw_rounds = o->raw_rounds;
    for (unsigned r = 0; r < o->raw_rounds && ok; r++) {
        res->raw[r] = raw_exchange_rate(fx, o->raw_slice_s);
        if (!(ok = res->raw[r] > 0))
            fprintf(stderr, "bench_exchange: the raw baseline failed to verify its own tag\n");
        for (size_t k = 0; k < N_COUNTS && r < o->rounds && ok; k++)
            ok = window_run(fx, client_counts[k], 0, o->window_s, &res->refresh[k][r]);
        fprintf(stderr, "refresh round %u/%u done\n", r + 1, o->raw_rounds);
    }
    for (unsigned r = 0; r < o->rounds && ok; r++) {
        res->raw_login[r] = raw_login_rate(fx, o->raw_hashes);
        ok = res->raw_login[r] > 0 &&
             window_run(fx, MIXED_REFRESH_CLIENTS, LOGIN_CLIENTS, o->mixed_window_s,
                        &res->mixed[r]) &&
             window_run(fx, 0, LOGIN_CLIENTS, o->window_s, &res->logins[r]);
        fprintf(stderr, "login round %u/%u done\n", r + 1, o->rounds);
    }
    return ok;
}

/* ---- report ---- */

/* The figures of one round, derived from its measurement and the raw
 * rates of the same round; the report prints the median of each. */
enum figure {
    F_RATE,
    F_RATIO,
    F_P50,
    F_P99,
    F_LOOP_US,
    F_BUSY,
    F_CLI_US,
    F_RATIO_LOOP, /* refreshes */
    F_LOGINS,
    F_LOGIN_RATIO,
    F_LOGIN_P50,
    F_LOGIN_P99,
    F_HASH_MS,
    F_RATIO_HASH, /* logins */
    F_COUNT
};

static void
figures_derive(const struct measurement *m, double raw, double raw_login, double f[F_COUNT])
{
    double n = (double)m->refresh.n;

    f[F_RATE] = m->refresh.rate;
    f[F_RATIO] = m->refresh.rate / raw;
    f[F_P50] = m->refresh.p50_ms;
    f[F_P99] = m->refresh.p99_ms;
    f[F_LOOP_US] = n > 0 ? m->loop_cpu_s / n * 1e6 : 0.0;
    f[F_BUSY] = m->wall_s > 0 ? 100.0 * m->loop_cpu_s / m->wall_s : 0.0;
    f[F_CLI_US] = n > 0 ? m->bench_cpu_s / n * 1e6 : 0.0;
    f[F_RATIO_LOOP] = m->loop_cpu_s > 0 ? n / m->loop_cpu_s / raw : 0.0;
    f[F_LOGINS] = m->login.rate;
    f[F_LOGIN_RATIO] = raw_login > 0 ? m->login.rate / raw_login : 0.0;
    f[F_LOGIN_P50] = m->login.p50_ms;
    f[F_LOGIN_P99] = m->login.p99_ms;
    /* Outside the loop thread the daemon only hashes passwords. */
    f[F_HASH_MS] = m->login.n ? (m->daemon_cpu_s - m->loop_cpu_s) / (double)m->login.n * 1e3 : 0;
    f[F_RATIO_HASH] = f[F_HASH_MS] > 0 && raw_login > 0 ? 1e3 / f[F_HASH_MS] / raw_login : 0.0;
}

/* out[i] = the median over res->rounds of figure i of the measurements m[]. */
static void
figures_median(const struct measurement *m, const struct results *res, double out[F_COUNT])
{
    double f[MAX_ROUNDS][F_COUNT], v[MAX_ROUNDS];

    for (unsigned r = 0; r < res->rounds; r++)
        figures_derive(&m[r], res->raw[r], res->raw_login[r], f[r]);
    for (size_t i = 0; i < F_COUNT; i++) {
        for (unsigned r = 0; r < res->rounds; r++)
            v[r] = f[r][i];
        out[i] = median(v, res->rounds);
    }
}

static void
refresh_row_print(const char *label, const struct measurement *m, const struct results *res)
{
    double f[F_COUNT];

    figures_median(m, res, f);
    printf("%-20s %8.0f %6.3f %7.3f %7.3f %7.1f %6.0f%% %7.1f %7.3f\n", label, f[F_RATE],
           f[F_RATIO], f[F_P50], f[F_P99], f[F_LOOP_US], f[F_BUSY], f[F_CLI_US], f[F_RATIO_LOOP]);
}

static void
login_row_print(const char *label, const struct measurement *m, const struct results *res)
{
    double f[F_COUNT];

    figures_median(m, res, f);
    printf("%-20s %8.2f %6.3f %7.1f %7.1f %7.1f %7.3f\n", label, f[F_LOGINS], f[F_LOGIN_RATIO],
           f[F_LOGIN_P50], f[F_LOGIN_P99], f[F_HASH_MS], f[F_RATIO_HASH]);
}

/* The loop-thread figures assume refreshes are answered on that thread
 * alone: say so when the daemon spent CPU elsewhere in a refresh window. */
static void
outside_loop_note(const struct results *res)
{
    double loop = 0, all = 0;

    for (size_t k = 0; k < N_COUNTS; k++) {
        for (unsigned r = 0; r < res->rounds; r++) {
            loop += res->refresh[k][r].loop_cpu_s;
            all += res->refresh[k][r].daemon_cpu_s;
        }
    }
    if (all > 1.1 * loop + 0.05)
        printf("note: in refresh-only windows the daemon used %.2f CPU-s, its loop thread only"
               " %.2f: loop us understates the cost\n",
               all, loop);
}

static void
legend_print(const struct options *o, const struct results *res)
{
    printf("\n(medians of %u rounds; %.1f s windows, %.1f s with logins; raw: %u rounds."
           " Load average %s at the start.\n",
           res->rounds, o->window_s, o->mixed_window_s, res->raw_rounds, res->loadavg);
    printf(" x raw    exchanges per wall-second / raw exchanges per CPU-second (the target)\n"
           " loop us  CPU time of the daemon's event-loop thread per refresh; busy: its share"
           " of the window\n"
           " cli us   CPU time of this bench's client threads per refresh\n"
           " x raw/l  refreshes per loop-thread CPU-second / raw: what the daemon would reach"
           " given a whole CPU\n"
           " hash ms  daemon CPU time outside the loop thread (password workers) per login;"
           " x raw/w: logins per\n"
           "          worker CPU-second / raw argon2id verifies per CPU-second\n");
    printf(" %ld CPUs online: refreshes are answered on one daemon thread while the client"
           " threads share the\n CPUs with it (and with anything else running), so the"
           " wall-clock figures also pay for the clients.)\n",
           sysconf(_SC_NPROCESSORS_ONLN));
    if (o->quick)
        printf("QUICK RUN: short windows, minimum-cost password hashes: figures not meaningful\n");
}

static void
report_print(const struct fixture *fx, const struct options *o, const struct results *res)
{
    double raw = median(res->raw, res->raw_rounds), ratio64, p99mixed;
    double f64[F_COUNT], fmixed[F_COUNT];
    char label[32];

    printf("\nraw crypto per refresh (HMAC-SHA-256 verify of %zu B + Ed25519 sign of %zu B):"
           " %.0f per CPU-second\n",
           fx->rt_input_len, fx->at_input_len, raw);
    printf("\n%-20s %8s %6s %7s %7s %7s %7s %7s %7s\n", "refresh", "exch/s", "x raw", "p50 ms",
           "p99 ms", "loop us", "busy", "cli us", "x raw/l");
    for (size_t k = 0; k < N_COUNTS; k++) {
        snprintf(label, sizeof(label), "  %u client%s", client_counts[k],
                 client_counts[k] == 1 ? "" : "s");
        refresh_row_print(label, res->refresh[k], res);
    }
    snprintf(label, sizeof(label), "  %u + %u logging in", MIXED_REFRESH_CLIENTS, LOGIN_CLIENTS);
    refresh_row_print(label, res->mixed, res);
    printf("\n%-20s %8s %6s %7s %7s %7s %7s   (raw argon2id verify: %.2f per CPU-second)\n",
           "login", "logins/s", "x raw", "p50 ms", "p99 ms", "hash ms", "x raw/w",
           median(res->raw_login, res->rounds));
    snprintf(label, sizeof(label), "  %u clients alone", LOGIN_CLIENTS);
    login_row_print(label, res->logins, res);
    snprintf(label, sizeof(label), "  %u + %u refreshing", LOGIN_CLIENTS, MIXED_REFRESH_CLIENTS);
    login_row_print(label, res->mixed, res);
    printf("\ndaemon memory: idle VmRSS %.1f MiB (VmHWM %.1f MiB after start-up);"
           " at the end VmRSS %.1f MiB, peak VmHWM %.1f MiB\n",
           res->rss_idle_kb / 1024.0, res->hwm_start_kb / 1024.0, res->rss_end_kb / 1024.0,
           res->hwm_end_kb / 1024.0);
    legend_print(o, res);
    outside_loop_note(res);
    figures_median(res->refresh[N_COUNTS - 1], res, f64);
    figures_median(res->mixed, res, fmixed);
    ratio64 = f64[F_RATIO];
    p99mixed = fmixed[F_P99];
    printf("\ntarget >= 0.5x raw with 64 clients: %.2f (%s)\n", ratio64,
           ratio64 >= 0.5 ? "met" : "missed");
    printf("target p99 refresh while logins run < 5 ms: %.2f ms (%s)\n", p99mixed,
           p99mixed < 5.0 ? "met" : "missed");
}

/* The daemon's own counters ("status" answers root peers only): a check
 * that it counted what was sent, and how many connections it turned away
 * (the warm-up retries those). */
static void
counters_print(const struct fixture *fx)
{
    struct proto_request req = {.op = PROTO_OP_STATUS};
    struct proto_response resp = {0};
    proto_result r;

    if (geteuid() != 0)
        return;
    r = proto_client_call(&fx->client, &req, &resp);
    if (r != PROTO_OK || !resp.ok) {
        printf("daemon counters: status failed: %s\n",
               r != PROTO_OK ? proto_result_str(r) : proto_error_str(resp.error));
    } else {
        printf("daemon counters:");
        for (size_t i = 0; i < resp.n_counters; i++)
            printf("%s %s %lld", i ? "," : "", resp.counters[i].name,
                   (long long)resp.counters[i].value);
        printf("\n");
    }
    proto_response_clear(&resp);
}

/* ---- main ---- */

static bool
options_parse(int argc, char **argv, struct options *o)
{
    const char *env = getenv("BENCH_QUICK"), *users = getenv("BENCH_USERS");
    char *end = NULL;
    unsigned long n = 0;

    o->quick = env != NULL && strcmp(env, "1") == 0;
    if (argc == 2 && strcmp(argv[1], "--quick") == 0)
        o->quick = true;
    else if (argc != 1)
        return false;
    o->rounds = o->quick ? 1 : 3;
    o->raw_rounds = o->quick ? 1 : 5;
    o->window_s = o->quick ? 0.2 : 2.0;
    o->mixed_window_s = o->quick ? 0.3 : 2.5;
    o->raw_slice_s = o->quick ? 0.05 : 0.3;
    o->raw_hashes = o->quick ? 1 : 3;
    if (users != NULL) {
        errno = 0;
        n = strtoul(users, &end, 10);
        if (errno != 0 || end == users || *end != '\0' || n > MAX_FILLERS)
            return false;
    }
    o->fillers = (unsigned)n;
    return true;
}

static void
signals_setup(void)
{
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_fatal_signal);
    signal(SIGTERM, on_fatal_signal);
    signal(SIGHUP, on_fatal_signal);
}

int
main(int argc, char **argv)
{
    static struct fixture fx;
    static struct results res;
    struct options o;
    int rc = 1;

    if (!options_parse(argc, argv, &o)) {
        fprintf(stderr,
                "usage: [BENCH_QUICK=1] [BENCH_USERS=N] bench_exchange [--quick]\n"
                "  --quick, BENCH_QUICK=1: short windows, cheap hashes (for valgrind)\n"
                "  BENCH_USERS=N: N (<= %d) extra records ahead of the bench's users\n",
                MAX_FILLERS);
        return 2;
    }
    if (sodium_init() < 0)
        return 1;
    signals_setup();
    if (!fixture_setup(&fx, &o) || !daemon_start(&fx))
        goto out;
    printf("jwt-helperd exchange benchmark (EdDSA access tokens, HS256 refresh tokens;"
           " daemon %s, pid %ld%s; %u user records)\n",
           HELPERD_PATH, (long)fx.daemon, fx.dropped ? ", running as nobody" : "",
           o.fillers + N_USERS);
    loadavg_read(res.loadavg, sizeof(res.loadavg));
    res.rss_idle_kb = proc_status_kb(fx.daemon, "VmRSS");
    res.hwm_start_kb = proc_status_kb(fx.daemon, "VmHWM");
    if (!first_login(&fx) || !raw_setup(&fx) || !rounds_run(&fx, &o, &res)) {
        log_print_tail(&fx);
        goto out;
    }
    res.rss_end_kb = proc_status_kb(fx.daemon, "VmRSS");
    res.hwm_end_kb = proc_status_kb(fx.daemon, "VmHWM");
    report_print(&fx, &o, &res);
    counters_print(&fx);
    rc = 0;
out:
    if (fx.daemon > 0 && !daemon_stop(&fx) && rc == 0)
        log_print_tail(&fx);
    if (rc != 0)
        fprintf(stderr, "bench_exchange: FAILED (see above)\n");
    fixture_free(&fx);
    return rc;
}

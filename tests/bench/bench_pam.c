/* SPDX-License-Identifier: MIT */
/* Benchmark: pam_jwt round trips through real libpam beside pam_permit and a
 * raw Ed25519 verify, warm (one process) and cold (a process per login).
 * Prints medians and ratios; asserts nothing. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <security/pam_appl.h>
#include <sodium.h>

#include "conf.h"
#include "jwt.h"
#include "signer.h"

#define ROUNDS 7
#define WARM_OPS 400
#define COLD_RUNS 25

extern char **environ;

struct bench_env {
    char dir[64];
    char *token;
    unsigned char pk[32];
    unsigned char sig[64];
    unsigned char *msg;
    size_t msg_len;
};

static double
now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double
median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), compare_doubles);
    return v[n / 2];
}

/* The conversation answers every prompt with the token. */
static int
answer_with_token(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
    struct pam_response *r = calloc((size_t)n, sizeof(*r));

    if (r == NULL)
        return PAM_BUF_ERR;
    for (int i = 0; i < n; i++) {
        if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
            r[i].resp = strdup((const char *)data);
    }
    *resp = r;
    return PAM_SUCCESS;
}

/* One pam_start + pam_authenticate + pam_end; returns the auth result. */
static int
round_trip(const char *dir, const char *service, char *token)
{
    struct pam_conv conv = {answer_with_token, token};
    pam_handle_t *pamh = NULL;
    int rc;

    if (pam_start_confdir(service, "alice", &conv, dir, &pamh) != PAM_SUCCESS)
        return PAM_SYSTEM_ERR;
    rc = pam_authenticate(pamh, PAM_SILENT);
    pam_end(pamh, rc);
    return rc;
}

static int
write_file(const char *dir, const char *name, const char *text)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if ((f = fopen(path, "w")) == NULL)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static char *
public_set_text(const struct signer *s)
{
    struct jwt_jwk *jwk = NULL;
    struct json_object *set, *keys;
    char *text;

    if (signer_public_jwk(s, &jwk) != JWT_OK)
        return NULL;
    set = json_object_new_object();
    keys = json_object_new_array();
    json_object_array_add(keys, jwt_jwk_to_json(jwk));
    json_object_object_add(set, "keys", keys);
    text = strdup(json_object_to_json_string(set));
    json_object_put(set);
    jwt_jwk_free(jwk);
    return text;
}

static char *
mint_token(const struct signer *s)
{
    struct json_object *c = NULL;
    int64_t now = (int64_t)time(NULL);
    char *token = NULL, host[256], aud[sizeof(host) + 8];

    /* Host-bound, as the module's default audience (host:%h) wants it. */
    if (!conf_hostname(false, host, sizeof(host)))
        return NULL;
    snprintf(aud, sizeof(aud), "host:%s", host);
    c = json_object_new_object();
    json_object_object_add(c, "iss", json_object_new_string("bench"));
    json_object_object_add(c, "sub", json_object_new_string("alice"));
    json_object_object_add(c, "aud", json_object_new_string(aud));
    json_object_object_add(c, "iat", json_object_new_int64(now));
    json_object_object_add(c, "exp", json_object_new_int64(now + 3000));
    json_object_object_add(c, "jti", json_object_new_string("bench-1"));
    json_object_object_add(c, "scope", json_object_new_string("ssh sudo"));
    if (signer_sign_claims(s, c, "at+jwt", &token) != JWT_OK)
        token = NULL;
    json_object_put(c);
    return token;
}

/* Splits the token for the raw baseline: signing input and signature. */
static int
prepare_raw(struct bench_env *env, const struct signer *s)
{
    struct jwt_jwk *jwk = NULL;
    const char *dot = strrchr(env->token, '.');

    if (signer_public_jwk(s, &jwk) != JWT_OK || jwk->x_len != 32)
        return -1;
    memcpy(env->pk, jwk->x, 32);
    jwt_jwk_free(jwk);
    env->msg_len = (size_t)(dot - env->token);
    env->msg = (unsigned char *)env->token;
    return jwt_b64url_decode_exact(dot + 1, strlen(dot + 1), env->sig, 64) == JWT_OK ? 0 : -1;
}

static int
setup(struct bench_env *env)
{
    struct signer *s = NULL;
    char *set = NULL, conf[512], svc[1024];
    int rc = -1;

    snprintf(env->dir, sizeof(env->dir), "/tmp/pam_jwt-bench.XXXXXX");
    if (mkdtemp(env->dir) == NULL || signer_generate(JWT_ALG_EDDSA, 0, &s) != JWT_OK)
        goto out;
    if ((set = public_set_text(s)) == NULL || (env->token = mint_token(s)) == NULL ||
        prepare_raw(env, s) != 0)
        goto out;
    /* The shipped policy's costs: revocation on (an empty list), the
     * default host-bound audience. */
    snprintf(conf, sizeof(conf), "jwks = %s/jwks.json\nissuer = bench\nrevocation = %s/revoked\n",
             env->dir, env->dir);
    snprintf(
        svc, sizeof(svc),
        "auth required %s config=%s/pam_jwt.conf\naccount required %s config=%s/pam_jwt.conf\n",
        MODULE_PATH, env->dir, MODULE_PATH, env->dir);
    if (write_file(env->dir, "jwks.json", set) != 0 ||
        write_file(env->dir, "pam_jwt.conf", conf) != 0 ||
        write_file(env->dir, "revoked", "") != 0 || write_file(env->dir, "bench-jwt", svc) != 0 ||
        write_file(env->dir, "bench-permit",
                   "auth required pam_permit.so\naccount required pam_permit.so\n") != 0)
        goto out;
    rc = 0;
out:
    free(set);
    signer_free(s);
    return rc;
}

/* Seconds per operation of `ops` round trips on one service. */
static double
time_round_trips(const struct bench_env *env, const char *service, int ops, int *failures)
{
    double t0 = now_seconds();

    for (int i = 0; i < ops; i++) {
        if (round_trip(env->dir, service, env->token) != PAM_SUCCESS)
            (*failures)++;
    }
    return (now_seconds() - t0) / ops;
}

static double
time_raw_verify(const struct bench_env *env, int ops, int *failures)
{
    double t0 = now_seconds();

    for (int i = 0; i < ops; i++) {
        if (crypto_sign_verify_detached(env->sig, env->msg, env->msg_len, env->pk) != 0)
            (*failures)++;
    }
    return (now_seconds() - t0) / ops;
}

static void
bench_warm(const struct bench_env *env)
{
    double jwt[ROUNDS], permit[ROUNDS], raw[ROUNDS], extra[ROUNDS], med;
    int failures = 0;

    for (int r = 0; r < ROUNDS; r++) {
        jwt[r] = time_round_trips(env, "bench-jwt", WARM_OPS, &failures);
        permit[r] = time_round_trips(env, "bench-permit", WARM_OPS, &failures);
        raw[r] = time_raw_verify(env, WARM_OPS, &failures);
        extra[r] = (jwt[r] - permit[r]) / raw[r];
    }
    printf("warm, %d rounds of %d round trips (pam_start + pam_authenticate + pam_end):\n", ROUNDS,
           WARM_OPS);
    if (failures != 0)
        printf("  WARNING: %d operations failed: figures are not meaningful\n", failures);
    printf("  pam_permit round trip   %8.1f us (median)\n", median(permit, ROUNDS) * 1e6);
    printf("  pam_jwt round trip      %8.1f us (median)\n", median(jwt, ROUNDS) * 1e6);
    printf("  raw Ed25519 verify      %8.1f us (median)\n", median(raw, ROUNDS) * 1e6);
    med = median(extra, ROUNDS); /* sorts extra: min and max are its ends */
    printf("  (pam_jwt - pam_permit) / raw verify: median %.2f, min %.2f, max %.2f "
           "(target <= 1.3)\n",
           med, extra[0], extra[ROUNDS - 1]);
}

/* The child of a cold run: one login in a fresh process, printing the
 * microseconds spent in pam_start, pam_authenticate and pam_end. */
static int
cold_child(const char *dir, const char *service, char *token)
{
    struct pam_conv conv = {answer_with_token, token};
    pam_handle_t *pamh = NULL;
    double t0 = now_seconds(), t1, t2, t3;
    int rc;

    if (pam_start_confdir(service, "alice", &conv, dir, &pamh) != PAM_SUCCESS)
        return 1;
    t1 = now_seconds();
    rc = pam_authenticate(pamh, PAM_SILENT);
    t2 = now_seconds();
    pam_end(pamh, rc);
    t3 = now_seconds();
    printf("%.1f %.1f %.1f\n", (t1 - t0) * 1e6, (t2 - t1) * 1e6, (t3 - t2) * 1e6);
    return rc == PAM_SUCCESS ? 0 : 1;
}

/* Runs one cold child; returns its wall time and reads its three figures. */
static double
run_cold(char *self, struct bench_env *env, char *service, double parts[3])
{
    char cold[] = "--cold";
    char *argv[] = {self, cold, env->dir, service, env->token, NULL};
    int fds[2], status = 0;
    posix_spawn_file_actions_t fa;
    pid_t pid;
    double t0 = now_seconds(), t;
    char buf[128] = {0};
    ssize_t n;

    if (pipe(fds) != 0)
        return -1;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    if (posix_spawn(&pid, self, &fa, NULL, argv, environ) != 0)
        pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    n = pid > 0 ? read(fds[0], buf, sizeof(buf) - 1) : -1;
    close(fds[0]);
    if (pid > 0)
        waitpid(pid, &status, 0);
    t = now_seconds() - t0;
    if (n <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        sscanf(buf, "%lf %lf %lf", &parts[0], &parts[1], &parts[2]) != 3)
        return -1;
    return t;
}

static void
bench_cold(char *self, struct bench_env *env)
{
    char permit[] = "bench-permit", jwt[] = "bench-jwt";
    char *services[] = {permit, jwt};
    double wall[2][COLD_RUNS], parts[2][3][COLD_RUNS];
    int failures = 0;

    for (int i = 0; i < COLD_RUNS; i++) {
        for (int s = 0; s < 2; s++) {
            double p[3] = {0};
            wall[s][i] = run_cold(self, env, services[s], p);
            failures += wall[s][i] < 0;
            for (int k = 0; k < 3; k++)
                parts[s][k][i] = p[k];
        }
    }
    printf("cold, %d fresh processes each doing one login (as sudo does):\n", COLD_RUNS);
    if (failures != 0)
        printf("  WARNING: %d runs failed: figures are not meaningful\n", failures);
    for (int s = 0; s < 2; s++)
        printf("  %-12s process %7.0f us: pam_start %6.0f us (loads modules), "
               "pam_authenticate %6.0f us, pam_end %5.0f us\n",
               services[s], median(wall[s], COLD_RUNS) * 1e6, median(parts[s][0], COLD_RUNS),
               median(parts[s][1], COLD_RUNS), median(parts[s][2], COLD_RUNS));
    printf("  pam_jwt / pam_permit whole process: %.2f\n",
           median(wall[1], COLD_RUNS) / median(wall[0], COLD_RUNS));
}

/* n warm round trips of each service, untimed: under valgrind
 * --tool=callgrind, the inclusive instruction count of round_trip is a
 * figure the machine's load cannot move (tests/bench/callgrind.sh). */
/* noinline: callgrind counts by this function's name */
__attribute__((noinline)) static int
count_round_trips(const struct bench_env *env, int n)
{
    int failures = 0;

    (void)time_round_trips(env, "bench-jwt", n, &failures);
    printf("counted %d round trips, %d failed\n", n, failures);
    return failures == 0 ? 0 : 1;
}

static void
cleanup(struct bench_env *env)
{
    static const char *const names[] = {"jwks.json", "pam_jwt.conf", "revoked", "bench-jwt",
                                        "bench-permit"};
    char path[256];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", env->dir, names[i]);
        unlink(path);
    }
    rmdir(env->dir);
    free(env->token);
}

int
main(int argc, char **argv)
{
    struct bench_env env = {0};
    int count = 0, rc = 0;

    if (argc == 3 && strcmp(argv[1], "--count") == 0 &&
        (sscanf(argv[2], "%d", &count) != 1 || count <= 0)) {
        fprintf(stderr, "usage: bench_pam [--count N]\n");
        return 1;
    }
    if (argc == 5 && strcmp(argv[1], "--cold") == 0)
        return cold_child(argv[2], argv[3], argv[4]);
    if (sodium_init() < 0 || setup(&env) != 0) {
        fprintf(stderr, "bench_pam: setup failed\n");
        return 1;
    }
    printf("pam_jwt PAM benchmark (EdDSA key, real libpam, module %s)\n", MODULE_PATH);
    if (count > 0) {
        /* one round trip first: loading the module is not a warm login's cost */
        rc = round_trip(env.dir, "bench-jwt", env.token) != PAM_SUCCESS ||
             count_round_trips(&env, count);
        cleanup(&env);
        return rc;
    }
    /* pam_jwt stays resident (-z nodelete) while libpam would dlopen and
     * dlclose pam_permit on every round trip: pin pam_permit too, so the
     * warm figures compare the modules' work, not the loader's. */
    if (dlopen(PERMIT_PATH, RTLD_NOW | RTLD_NODELETE) == NULL)
        printf("note: could not pin %s: %s\n", PERMIT_PATH, dlerror());
    bench_warm(&env);
    bench_cold(argv[0], &env);
    cleanup(&env);
    return 0;
}

/* SPDX-License-Identifier: MIT */
/* Parity: each token goes through the real module and `jwt-helper verify` with one config. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../unit/check.h"
#include "module_harness.h"

#ifndef HELPER_PATH
#error "HELPER_PATH must name the built jwt-helper"
#endif

/* Claim formats and config lines come from the table below. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
/* Each case names only what differs from TOKEN's defaults. */
#pragma GCC diagnostic ignored "-Woverride-init"

#define NONE LLONG_MIN /* a time claim left out */
#define SERVICE "parity"

enum shape {
    MINTED,  /* the claims signed with typ */
    HEADER,  /* the claims signed under the header given as is */
    NO_SIG,  /* header {"alg":"none"} and an empty signature */
    FLIPPED, /* a minted token with one signature character changed */
    LITERAL, /* the text in header, typed as is */
};

struct parity_case {
    const char *what;
    const char *conf;    /* extra config lines; %s is the test dir */
    const char *revoked; /* the revocation list's text (%lld: now), NULL: no file */
    bool no_audience;    /* the config leaves audience to its host-bound default */
    const char *jwks;    /* another key set path (%s: the test dir), NULL: ours */
    const char *user;
    enum shape shape;
    const char *typ, *header;
    const char *iss, *aud, *sub;        /* aud is JSON; %s in it is this host's short name */
    long long iat, exp, nbf, auth_time; /* offsets from now, or NONE */
    const char *extra;                  /* more claims, starting with ',' */
    bool retired_key;                   /* signed by the key the set marks retired 1000 s ago */
    size_t pad, cut;  /* claim bytes to add; length to cut the token to (0: none) */
    const char *want; /* the module's reason starts so; NULL: accepted */
};

#define TOKEN(...)                                                                                 \
    {                                                                                              \
        .user = "alice", .shape = MINTED, .typ = "at+jwt", .iss = "test-issuer", .aud = "\"pam\"", \
        .sub = "alice", .iat = -10, .exp = 300, .nbf = NONE, .auth_time = NONE, .extra = "",       \
        .conf = "", __VA_ARGS__                                                                    \
    }

static const struct parity_case cases[] = {
    TOKEN(.what = "a good token"),
    TOKEN(.what = "no typ counts as JWT", .typ = NULL),
    TOKEN(.what = "aud array with ours", .aud = "[\"x\",\"pam\"]"),
    TOKEN(.what = "expired", .iat = -1000, .exp = -500, .want = "expired"),
    TOKEN(.what = "nbf in the future", .nbf = 600, .want = "not yet valid"),
    TOKEN(.what = "nbf within leeway", .nbf = 30),
    TOKEN(.what = "iat in the future", .iat = 600, .exp = 900, .want = "issued in the future"),
    TOKEN(.what = "lifetime over max_lifetime", .exp = 7200,
          .want = "lifetime exceeds max_lifetime"),
    TOKEN(.what = "no exp", .exp = NONE, .want = "exp missing"),
    TOKEN(.what = "wrong issuer", .iss = "evil", .want = "wrong issuer"),
    TOKEN(.what = "wrong audience", .aud = "\"ssh\"", .want = "wrong audience"),
    TOKEN(.what = "host-bound default: this host", .no_audience = true, .aud = "\"host:%s\""),
    TOKEN(.what = "host-bound default: another host", .no_audience = true,
          .aud = "\"host:elsewhere-%s\"", .want = "wrong audience"),
    TOKEN(.what = "host-bound default: loopback", .no_audience = true, .aud = "\"host:localhost\"",
          .want = "wrong audience"),
    TOKEN(.what = "loopback listed", .conf = "audience = host:localhost\n",
          .aud = "\"host:localhost\""),
    TOKEN(.what = "wrong user", .user = "bob", .want = "wrong user"),
    TOKEN(.what = "sub of the wrong type", .sub = NULL, .extra = ",\"sub\":7",
          .want = "claim of wrong type"),
    TOKEN(.what = "scope granted", .conf = "scope = ssh\n", .extra = ",\"scope\":\"ssh sudo\""),
    TOKEN(.what = "scope not granted", .conf = "scope = sudo\n", .extra = ",\"scope\":\"ssh\"",
          .want = "scope not granted"),
    TOKEN(.what = "no scope claim", .conf = "scope = ssh\n", .want = "scope not granted"),
    TOKEN(.what = "client_id right", .conf = "client_id = cli\n",
          .extra = ",\"client_id\":\"cli\""),
    TOKEN(.what = "azp where client_id is absent", .conf = "client_id = cli\n",
          .extra = ",\"azp\":\"cli\""),
    TOKEN(.what = "client_id wrong", .conf = "client_id = cli\n",
          .extra = ",\"client_id\":\"other\"", .want = "wrong client"),
    TOKEN(.what = "step-up: fresh auth_time", .conf = "max_auth_age = 300\n", .auth_time = -10),
    TOKEN(.what = "step-up: stale auth_time", .conf = "max_auth_age = 300\n", .auth_time = -400,
          .want = "auth_time too old"),
    TOKEN(.what = "step-up: no auth_time", .conf = "max_auth_age = 300\n",
          .want = "auth_time too old"),
    TOKEN(.what = "ID token (nonce)", .typ = "JWT", .extra = ",\"nonce\":\"n\"",
          .want = "ID token"),
    TOKEN(.what = "ID token (at_hash)", .typ = "JWT", .extra = ",\"at_hash\":\"h\"",
          .want = "ID token"),
    TOKEN(.what = "refresh token typ rt+jwt", .typ = "rt+jwt", .want = "typ not accepted"),
    TOKEN(.what = "revoked", .conf = "revocation = %s/revoked\n", .revoked = "alice:%lld\n",
          .want = "revoked"),
    TOKEN(.what = "another user's revocation", .conf = "revocation = %s/revoked\n",
          .revoked = "bob:%lld\n"),
    TOKEN(.what = "issued after the revocation", .conf = "revocation = %s/revoked\n",
          .revoked = "alice:%lld\n", .iat = 30),
    TOKEN(.what = "missing revocation list", .conf = "revocation = %s/revoked\n",
          .want = "revocation list: cannot open file"),
    TOKEN(.what = "malformed revocation list", .conf = "revocation = %s/revoked\n",
          .revoked = "alice\n", .want = "malformed revocation list"),
    TOKEN(.what = "retired key, iat after retirement", .retired_key = true, .want = "key retired"),
    TOKEN(.what = "retired key, iat before retirement", .retired_key = true, .iat = -2000),
    TOKEN(.what = "bad signature", .shape = FLIPPED, .want = "bad signature"),
    TOKEN(.what = "alg none", .shape = NO_SIG, .want = "alg not allowed"),
    TOKEN(.what = "HS256", .shape = HEADER, .header = "{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}",
          .want = "alg not allowed"),
    TOKEN(.what = "crit", .shape = HEADER,
          .header = "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"crit\":[\"x\"],\"x\":1}",
          .want = "crit not supported"),
    TOKEN(.what = "embedded jwk", .shape = HEADER,
          .header = "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"jwk\":{}}",
          .want = "header carries a key"),
    TOKEN(.what = "unknown kid", .shape = HEADER,
          .header = "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\",\"kid\":\"nope\"}",
          .want = "no matching key"),
    TOKEN(.what = "too long", .conf = "max_token_len = 512\n", .pad = 600, .want = "token length"),
    TOKEN(.what = "long but allowed", .conf = "max_token_len = 2048\n", .pad = 1200),
    TOKEN(.what = "cut at 1023 bytes", .pad = 1200, .cut = 1023,
          .want = "token length 1023 is the ssh client limit"),
    TOKEN(.what = "cut at 1000 bytes", .pad = 1200, .cut = 1000, .want = "not three segments"),
    TOKEN(.what = "empty", .shape = LITERAL, .header = "", .want = "empty token"),
    TOKEN(.what = "a password", .shape = LITERAL, .header = "hunter2-Secret!",
          .want = "not three segments"),
    TOKEN(.what = "bad base64url", .shape = LITERAL, .header = "e3*.e30.AAAA",
          .want = "bad base64url"),
    TOKEN(.what = "once, no jti", .conf = "once = yes\nonce_dir = %s/once\n",
          .want = "jti missing"),
    TOKEN(.what = "once, a jti", .conf = "once = yes\nonce_dir = %s/once\n",
          .extra = ",\"jti\":\"parity-once\""),
    TOKEN(.what = "missing key set", .jwks = "%s/nope.json", .want = "key set: cannot open file"),
};

static struct harness h;
static struct signer *retired;
static char host[256];
static long long t0;

/* Our key and a key retired 1000 seconds ago, in one set (RFC 7517 plus
 * the "retired" member of pam_jwt.conf(5)). */
static bool
write_keys(const char *path)
{
    struct jwt_jwk *pub[2] = {NULL, NULL};
    struct json_object *set = json_object_new_object(), *arr = json_object_new_array();
    bool ok = signer_public_jwk(h.key, &pub[0]) == JWT_OK &&
              signer_public_jwk(retired, &pub[1]) == JWT_OK;

    if (ok) {
        pub[1]->retired = t0 - 1000;
        json_object_array_add(arr, jwt_jwk_to_json(pub[0]));
        json_object_array_add(arr, jwt_jwk_to_json(pub[1]));
        json_object_object_add(set, "keys", json_object_get(arr));
        ok = harness_file_write(&h, path,
                                json_object_to_json_string_ext(set, JSON_C_TO_STRING_PLAIN), 0644,
                                true, NULL);
    }
    json_object_put(arr);
    json_object_put(set);
    jwt_jwk_free(pub[0]);
    jwt_jwk_free(pub[1]);
    return ok;
}

static void
add_time(char *buf, size_t len, const char *name, long long offset)
{
    if (offset != NONE)
        snprintf(buf + strlen(buf), len - strlen(buf), ",\"%s\":%lld", name, t0 + offset);
}

/* The case's claims as JSON text. */
static void
claims_of(const struct parity_case *c, char *buf, size_t len)
{
    char aud[300], pad[2048];

    snprintf(aud, sizeof(aud), c->aud, host);
    memset(pad, 'p', c->pad);
    pad[c->pad] = '\0';
    snprintf(buf, len, "{\"iss\":\"%s\",\"aud\":%s", c->iss, aud);
    if (c->sub != NULL)
        snprintf(buf + strlen(buf), len - strlen(buf), ",\"sub\":\"%s\"", c->sub);
    add_time(buf, len, "iat", c->iat);
    add_time(buf, len, "exp", c->exp);
    add_time(buf, len, "nbf", c->nbf);
    add_time(buf, len, "auth_time", c->auth_time);
    snprintf(buf + strlen(buf), len - strlen(buf), "%s%s%s%s}", c->extra,
             c->pad > 0 ? ",\"pad\":\"" : "", pad, c->pad > 0 ? "\"" : "");
}

/* The case's token, malloc'd, or NULL. */
static char *
token_of(const struct parity_case *c)
{
    const struct signer *s = c->retired_key ? retired : h.key;
    char claims[4096];
    char *token = NULL, *input = NULL;

    claims_of(c, claims, sizeof(claims));
    if (c->shape == LITERAL)
        return strdup(c->header);
    if (c->shape == NO_SIG) {
        input = jwt_jws_signing_input("{\"alg\":\"none\",\"typ\":\"at+jwt\"}", claims);
        token = input != NULL ? jwt_jws_compact(input, (const unsigned char *)"", 0) : NULL;
        free(input);
        return token;
    }
    if (c->shape == HEADER)
        return signer_sign(s, c->header, claims, &token) == JWT_OK ? token : NULL;
    if ((token = harness_mint(s, c->typ, "%s", claims)) == NULL)
        return NULL;
    if (c->shape == FLIPPED) {
        char *sig = strrchr(token, '.') + 5; /* not the last: it has padding bits */
        *sig = *sig == 'A' ? 'B' : 'A';
    }
    if (c->cut > 0 && strlen(token) > c->cut)
        token[c->cut] = '\0';
    return token;
}

/* Writes the case's config file and revocation list. */
static bool
setup(const struct parity_case *c, char *conf_path)
{
    char text[2048], extra[512], jwks[300], revoked[PATH_MAX], list[128];

    snprintf(extra, sizeof(extra), c->conf, h.dir);
    snprintf(jwks, sizeof(jwks), c->jwks != NULL ? c->jwks : "%s/parity.json", h.dir);
    snprintf(text, sizeof(text), "jwks = %s\nissuer = test-issuer\n%s%s", jwks,
             c->no_audience ? "" : "audience = pam\n", extra);
    snprintf(revoked, sizeof(revoked), "%s/revoked", h.dir);
    unlink(revoked);
    snprintf(list, sizeof(list), c->revoked != NULL ? c->revoked : "", t0);
    snprintf(conf_path, PATH_MAX, "%s/parity.conf", h.dir);
    return (c->revoked == NULL || harness_file_write(&h, revoked, list, 0644, true, NULL)) &&
           harness_file_write(&h, conf_path, text, 0644, true, NULL) &&
           harness_service(&h, SERVICE, "auth required " MODULE_PATH " config=%s\n", conf_path);
}

/* The module's verdict: the PAM code and the reason of its one decision
 * line ("" when it accepted). False when no decision line was logged. */
static bool
module_decides(const struct parity_case *c, const char *token, int *rc, char *reason, size_t len)
{
    static char logbuf[1 << 16];
    const char *line, *end;

    *rc = harness_auth(&h, SERVICE, c->user, token);
    harness_log_drain(&h, logbuf, sizeof(logbuf));
    reason[0] = '\0';
    if (strstr(logbuf, "accepted: service=" SERVICE) != NULL)
        return true;
    if ((line = strstr(logbuf, "rejected: service=" SERVICE)) == NULL ||
        (line = strstr(line, " reason=")) == NULL)
        return false;
    line += strlen(" reason=");
    end = strchr(line, '\n');
    snprintf(reason, len, "%.*s", (int)(end != NULL ? end - line : (long)strlen(line)), line);
    return true;
}

/* Reads what fd carries into buf (len bytes, NUL-terminated). */
static void
read_all(int fd, char *buf, size_t len)
{
    size_t n = 0;
    ssize_t got;

    while (n + 1 < len && (got = read(fd, buf + n, len - 1 - n)) > 0)
        n += (size_t)got;
    buf[n] = '\0';
}

/* Runs `jwt-helper verify --config conf --service S --user U token`:
 * returns its exit status, its first stdout line in out, its stderr in err. */
static int
verify_decides(const struct parity_case *c, const char *conf, const char *token, char *out,
               char *err, size_t len)
{
    int po[2], pe[2], status = 0;
    pid_t pid;

    if (pipe(po) != 0 || pipe(pe) != 0 || (pid = fork()) < 0)
        return -1;
    if (pid == 0) {
        dup2(po[1], 1);
        dup2(pe[1], 2);
        execl(HELPER_PATH, "jwt-helper", "verify", "--config", conf, "--service", SERVICE, "--user",
              c->user, token, (char *)NULL);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    read_all(po[0], out, len); /* small outputs: the pipes never fill */
    read_all(pe[0], err, len);
    close(po[0]);
    close(pe[0]);
    waitpid(pid, &status, 0);
    out[strcspn(out, "\n")] = '\0';
    err[strcspn(err, "\n")] = '\0';
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The verdicts agree: both accept; both reject with one reason; or a
 * configured file failed closed, which verify reports as a configuration
 * error (exit 4) naming the file, ending with the module's result. */
static bool
verdicts_agree(int rc, const char *reason, int vrc, const char *out, const char *err)
{
    char want[320];
    const char *tail = strrchr(reason, ':');
    size_t n;

    if (rc == PAM_SUCCESS)
        return vrc == 0 && strncmp(out, "accepted: ", 10) == 0;
    snprintf(want, sizeof(want), "rejected: %s", reason);
    if (vrc == 1)
        return strcmp(out, want) == 0;
    tail = tail != NULL ? tail + 2 : reason;
    n = strlen(tail);
    return vrc == 4 && out[0] == '\0' && strlen(err) > n &&
           strcmp(err + strlen(err) - n, tail) == 0;
}

static void
run_case(const struct parity_case *c)
{
    char conf[PATH_MAX], reason[320], out[4096], err[4096], name[300];
    char *token = NULL;
    int rc = PAM_SYSTEM_ERR, vrc;
    bool logged;

    if (!setup(c, conf) || (token = token_of(c)) == NULL) {
        snprintf(name, sizeof(name), "%s: set up", c->what);
        CHECK(0, name);
        return;
    }
    logged = module_decides(c, token, &rc, reason, sizeof(reason));
    snprintf(name, sizeof(name), "%s: module %s", c->what, c->want ? c->want : "accepts");
    CHECK(logged && (c->want == NULL
                         ? rc == PAM_SUCCESS && reason[0] == '\0'
                         : rc != PAM_SUCCESS && strncmp(reason, c->want, strlen(c->want)) == 0),
          name);
    if (!logged || (c->want == NULL) != (rc == PAM_SUCCESS))
        printf("#   PAM code %d, reason \"%s\"\n", rc, reason);
    else if (c->want != NULL && strncmp(reason, c->want, strlen(c->want)) != 0)
        printf("#   reason \"%s\"\n", reason);
    vrc = verify_decides(c, conf, token, out, err, sizeof(out));
    snprintf(name, sizeof(name), "%s: verify agrees", c->what);
    CHECK(verdicts_agree(rc, reason, vrc, out, err), name);
    if (!verdicts_agree(rc, reason, vrc, out, err))
        printf("#   module %d \"%s\"; verify exit %d, stdout \"%s\", stderr \"%s\"\n", rc, reason,
               vrc, out, err);
    free(token);
}

int
main(void)
{
    char why[256], path[PATH_MAX];

    t0 = (long long)time(NULL);
    if (!harness_init(&h) || signer_generate(JWT_ALG_EDDSA, 0, &retired) != JWT_OK ||
        gethostname(host, sizeof(host)) != 0) {
        printf("Bail out! cannot set up the temp dir and keys\n");
        return 1;
    }
    host[strcspn(host, ".")] = '\0'; /* %h: the name up to its first dot */
    snprintf(path, sizeof(path), "%s/parity.json", h.dir);
    /* The module's reasons are only in its log lines. */
    if (!harness_log_capture(&h, why, sizeof(why))) {
        printf("1..0 # SKIP syslog cannot be captured: %s\n", why);
        signer_free(retired);
        harness_cleanup(&h);
        return 0;
    }
    if (!write_keys(path)) {
        printf("Bail out! cannot write the key set\n");
        return 1;
    }
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i]);
    signer_free(retired);
    harness_cleanup(&h);
    return check_done();
}

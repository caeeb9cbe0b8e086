/* SPDX-License-Identifier: MIT */
/* Tests for the claim checks: each rule with a passing and a failing twin. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "check.h"
#include "test_policy.h"
#include "jwt.h"

#define NOW 1800000000LL

static const char *const issuers[] = {"jwt-helper@host"};
static const char *const audiences[] = {"pam", "host:web1"};

static void
policy_for_tests(struct jwt_policy *p)
{
    test_policy_defaults(p);
    p->now = NOW;
    p->issuers = issuers;
    p->n_issuers = 1;
    p->audiences = audiences;
    p->n_audiences = 2;
    p->user = "alice";
}

/* Checks payload text (printf-style, with NOW offsets filled by the caller). */
static jwt_result
check_with(const struct jwt_policy *p, const char *payload)
{
    struct json_object *obj = NULL;
    struct jwt_verified v = {0};
    jwt_result r = jwt_json_parse_object(payload, strlen(payload), &obj);

    if (r == JWT_OK)
        r = jwt_claims_check(obj, p, &v);
    json_object_put(obj);
    jwt_verified_clear(&v);
    return r;
}

/* A valid payload with one member replaced or added: "extra" is spliced in
 * after the fixed members, and exp/iat given as text so tests can break them. */
static jwt_result
check_payload(const struct jwt_policy *p, const char *exp, const char *iat, const char *extra)
{
    char buf[1024];

    snprintf(buf, sizeof(buf),
             "{\"iss\":\"jwt-helper@host\",\"sub\":\"alice\",\"aud\":\"pam\"%s%s%s%s%s}",
             exp ? ",\"exp\":" : "", exp ? exp : "", iat ? ",\"iat\":" : "", iat ? iat : "",
             extra ? extra : "");
    return check_with(p, buf);
}

static void
test_times(void)
{
    struct jwt_policy p;
    char exp[32], iat[32], tmp[64];

    policy_for_tests(&p);
    snprintf(exp, sizeof(exp), "%lld", NOW + 300);
    snprintf(iat, sizeof(iat), "%lld", NOW);
    CHECK_RESULT(check_payload(&p, exp, iat, NULL), JWT_OK, "valid token accepted");
    CHECK_RESULT(check_payload(&p, NULL, iat, NULL), JWT_ERR_EXP_MISSING, "exp required");
    snprintf(exp, sizeof(exp), "%lld", NOW - 60);
    CHECK_RESULT(check_payload(&p, exp, "1799999000", NULL), JWT_ERR_EXPIRED,
                 "exp = now - leeway expired");
    snprintf(exp, sizeof(exp), "%lld", NOW - 59);
    CHECK_RESULT(check_payload(&p, exp, "1799999000", NULL), JWT_OK,
                 "exp one second inside leeway accepted");
    snprintf(exp, sizeof(exp), "%lld", NOW + 300);
    snprintf(tmp, sizeof(tmp), ",\"nbf\":%lld", NOW + 61);
    CHECK_RESULT(check_payload(&p, exp, iat, tmp), JWT_ERR_NOT_YET_VALID, "future nbf refused");
    snprintf(tmp, sizeof(tmp), ",\"nbf\":%lld", NOW + 60);
    CHECK_RESULT(check_payload(&p, exp, iat, tmp), JWT_OK, "nbf within leeway accepted");
    snprintf(iat, sizeof(iat), "%lld", NOW + 61);
    CHECK_RESULT(check_payload(&p, exp, iat, NULL), JWT_ERR_IAT_FUTURE, "future iat refused");
    snprintf(iat, sizeof(iat), "%lld", NOW + 60);
    CHECK_RESULT(check_payload(&p, exp, iat, NULL), JWT_OK, "iat within leeway accepted");
}

static void
test_lifetime(void)
{
    struct jwt_policy p;
    char exp[32], iat[32];

    policy_for_tests(&p);
    snprintf(iat, sizeof(iat), "%lld", NOW - 100);
    snprintf(exp, sizeof(exp), "%lld", NOW - 100 + 3600);
    CHECK_RESULT(check_payload(&p, exp, iat, NULL), JWT_OK, "lifetime exactly max accepted");
    snprintf(exp, sizeof(exp), "%lld", NOW - 100 + 3601);
    CHECK_RESULT(check_payload(&p, exp, iat, NULL), JWT_ERR_LIFETIME,
                 "lifetime max+1 refused (no leeway)");
    snprintf(exp, sizeof(exp), "%lld", NOW + 3601);
    CHECK_RESULT(check_payload(&p, exp, NULL, NULL), JWT_ERR_LIFETIME,
                 "without iat exp - now counts");
    snprintf(exp, sizeof(exp), "%lld", NOW + 3600);
    CHECK_RESULT(check_payload(&p, exp, NULL, NULL), JWT_OK, "without iat, exp - now = max ok");
    CHECK_RESULT(check_payload(&p, "9223372036854775807", "-9223372036854775807", NULL),
                 JWT_ERR_LIFETIME, "extreme exp and iat do not overflow into acceptance");
}

static void
test_types(void)
{
    struct jwt_policy p;
    char iat[32];

    policy_for_tests(&p);
    snprintf(iat, sizeof(iat), "%lld", NOW);
    CHECK_RESULT(check_payload(&p, "\"1800000300\"", iat, NULL), JWT_ERR_CLAIM_TYPE,
                 "exp as string refused");
    CHECK_RESULT(check_payload(&p, "1800000300.5", iat, NULL), JWT_ERR_CLAIM_TYPE,
                 "exp as float refused");
    CHECK_RESULT(check_payload(&p, "1800000300.0", iat, NULL), JWT_ERR_CLAIM_TYPE,
                 "exp with fraction .0 refused");
    CHECK_RESULT(check_payload(&p, "18000003e2", iat, NULL), JWT_ERR_CLAIM_TYPE,
                 "exp with exponent refused");
    CHECK_RESULT(check_payload(&p, "1e400", iat, NULL), JWT_ERR_CLAIM_TYPE, "exp 1e400 refused");
    CHECK_RESULT(check_payload(&p, "9223372036854775808", iat, NULL), JWT_ERR_CLAIM_TYPE,
                 "exp beyond int64 refused");
    CHECK_RESULT(check_payload(&p, "1800000300", iat, ",\"jti\":5"), JWT_ERR_CLAIM_TYPE,
                 "jti as number refused");
    CHECK_RESULT(check_payload(&p, "1800000300", iat, ",\"scope\":[\"a\"]"), JWT_ERR_CLAIM_TYPE,
                 "scope as array refused");
    CHECK_RESULT(check_payload(&p, "1800000300", iat, ",\"scp\":[\"a\",1]"), JWT_ERR_CLAIM_TYPE,
                 "scp with a number refused");
    CHECK_RESULT(check_payload(&p, "1800000300", iat, ",\"auth_time\":true"), JWT_ERR_CLAIM_TYPE,
                 "auth_time as bool refused");
    CHECK_RESULT(check_payload(&p, "1800000300", iat, ",\"nbf\":null"), JWT_ERR_CLAIM_TYPE,
                 "nbf null refused");
    CHECK_RESULT(check_with(&p, "{\"iss\":\"jwt-helper@host\",\"sub\":[\"alice\"],\"aud\":\"pam\","
                                "\"exp\":1800000300}"),
                 JWT_ERR_CLAIM_TYPE, "sub as array refused");
    CHECK_RESULT(check_with(&p, "{\"iss\":\"jwt-helper@host\",\"sub\":\"alice\",\"aud\":{},"
                                "\"exp\":1800000300}"),
                 JWT_ERR_CLAIM_TYPE, "aud as object refused");
}

static void
test_identity(void)
{
    struct jwt_policy p;
    const char *base = "{\"exp\":1800000300,\"iat\":1800000000,";
    char buf[512];

    policy_for_tests(&p);
    snprintf(buf, sizeof(buf), "%s\"iss\":\"other\",\"sub\":\"alice\",\"aud\":\"pam\"}", base);
    CHECK_RESULT(check_with(&p, buf), JWT_ERR_ISSUER, "wrong issuer refused");
    snprintf(buf, sizeof(buf), "%s\"sub\":\"alice\",\"aud\":\"pam\"}", base);
    CHECK_RESULT(check_with(&p, buf), JWT_ERR_ISSUER, "missing issuer refused");
    snprintf(buf, sizeof(buf), "%s\"iss\":\"jwt-helper@host\",\"sub\":\"alice\",\"aud\":\"pam2\"}",
             base);
    CHECK_RESULT(check_with(&p, buf), JWT_ERR_AUDIENCE, "wrong audience refused");
    snprintf(buf, sizeof(buf), "%s\"iss\":\"jwt-helper@host\",\"sub\":\"alice\"}", base);
    CHECK_RESULT(check_with(&p, buf), JWT_ERR_AUDIENCE, "missing audience refused");
    snprintf(buf, sizeof(buf),
             "%s\"iss\":\"jwt-helper@host\",\"sub\":\"alice\",\"aud\":[\"x\",\"host:web1\"]}",
             base);
    CHECK_RESULT(check_with(&p, buf), JWT_OK, "aud array containing a configured one accepted");
    snprintf(buf, sizeof(buf), "%s\"iss\":\"jwt-helper@host\",\"sub\":\"Alice\",\"aud\":\"pam\"}",
             base);
    CHECK_RESULT(check_with(&p, buf), JWT_ERR_USER, "user differs in case refused");
    snprintf(buf, sizeof(buf), "%s\"iss\":\"jwt-helper@host\",\"aud\":\"pam\"}", base);
    CHECK_RESULT(check_with(&p, buf), JWT_ERR_USER, "missing sub refused");
    p.user_claim = "preferred_username";
    snprintf(buf, sizeof(buf),
             "%s\"iss\":\"jwt-helper@host\",\"sub\":\"f00-uuid\",\"preferred_username\":\"alice\","
             "\"aud\":\"pam\"}",
             base);
    CHECK_RESULT(check_with(&p, buf), JWT_OK, "user_claim preferred_username accepted");
    snprintf(buf, sizeof(buf),
             "%s\"iss\":\"jwt-helper@host\",\"sub\":\"alice\",\"preferred_username\":7,"
             "\"aud\":\"pam\"}",
             base);
    CHECK_RESULT(check_with(&p, buf), JWT_ERR_CLAIM_TYPE, "user claim of wrong type refused");
}

/* host: audiences compare as host names (one place: jwt_audience_matches);
 * every other audience byte for byte. */
static void
test_host_audience(void)
{
    static const struct {
        const char *configured, *claimed;
        bool match;
        const char *what;
    } cases[] = {
        {"host:web1", "host:web1", true, "host: same name"},
        {"host:web1", "HOST:Web1.", true, "host: case of prefix and name, trailing dot"},
        {"host:Web1.", "host:web1", true, "host: trailing dot on the configured side"},
        {"host:web1.", "host:web1.", true, "host: both with a trailing dot"},
        {"host:web1", "host:web1..", false, "host: only one trailing dot is ignored"},
        {"host:web1", "host:web2", false, "host: another host"},
        {"host:web1", "host:web10", false, "host: a longer name"},
        {"host:web10", "host:web1", false, "host: a shorter name"},
        {"host:web1", "host:web1.example.org", false, "host: short is not the full name"},
        {"host:web1", "web1", false, "host: the prefix is needed"},
        {"host:web1", "hosts:web1", false, "host: another prefix"},
        {"host:web1", "host: web1", false, "host: a blank is part of the name"},
        {"host:web\u0131", "host:WEBI", false, "host: only ASCII case folds"},
        {"pam", "PAM", false, "other audiences: case matters"},
        {"pam", "pam.", false, "other audiences: a dot matters"},
        {"account", "account", true, "other audiences: exact"},
    };
    struct jwt_policy p;
    const char *const one[] = {"host:web1", "account", "host:web1.example.org"};
    char buf[512];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        CHECK(jwt_audience_matches(cases[i].configured, cases[i].claimed) == cases[i].match,
              cases[i].what);
    policy_for_tests(&p);
    p.audiences = one;
    p.n_audiences = 1;
    snprintf(buf, sizeof(buf),
             "{\"exp\":1800000300,\"iat\":1800000000,\"iss\":\"jwt-helper@host\",\"sub\":"
             "\"alice\",\"aud\":[\"host:web2\",\"HOST:WEB1.\"]}");
    CHECK_RESULT(check_with(&p, buf), JWT_OK, "host: an aud array element in another case");
    p.n_audiences = 3;
    jwt_audience_reason(&p, buf, sizeof(buf));
    CHECK_STR(buf, "wrong audience (this host accepts host:web1, host:web1.example.org)",
              "reason: names the host: audiences only");
    p.audiences = one + 1;
    p.n_audiences = 1;
    jwt_audience_reason(&p, buf, sizeof(buf));
    CHECK_STR(buf, "wrong audience", "reason: no host: audience, nothing to add");
    p.audiences = one;
    p.n_audiences = 3;
    jwt_audience_reason(&p, buf, 30);
    CHECK_INT((long long)strlen(buf), 29, "reason: cut to the buffer");
}

/* client_id (RFC 9068), else azp, must be one of the configured clients. */
static void
test_client_id(void)
{
    static const char *const clients[] = {"pam-login", "ssh-gw"};
    static const struct {
        const char *members;
        jwt_result want;
        const char *what;
    } cases[] = {
        {"", JWT_ERR_CLIENT, "client_id: neither client_id nor azp"},
        {",\"client_id\":\"pam-login\"", JWT_OK, "client_id: listed"},
        {",\"client_id\":\"ssh-gw\"", JWT_OK, "client_id: the second listed"},
        {",\"client_id\":\"web-app\"", JWT_ERR_CLIENT, "client_id: another client"},
        {",\"client_id\":\"PAM-login\"", JWT_ERR_CLIENT, "client_id: case matters"},
        {",\"azp\":\"pam-login\"", JWT_OK, "azp: where client_id is absent"},
        {",\"azp\":\"web-app\"", JWT_ERR_CLIENT, "azp: another client"},
        {",\"client_id\":\"web-app\",\"azp\":\"pam-login\"", JWT_ERR_CLIENT,
         "client_id wins over azp"},
        {",\"client_id\":[\"pam-login\"]", JWT_ERR_CLAIM_TYPE, "client_id: an array"},
        {",\"azp\":7", JWT_ERR_CLAIM_TYPE, "azp: a number"},
    };
    struct jwt_policy p;
    char exp[32];

    policy_for_tests(&p);
    snprintf(exp, sizeof(exp), "%lld", NOW + 300);
    CHECK_RESULT(check_payload(&p, exp, "1800000000", ""), JWT_OK, "client_id: unset, any client");
    p.client_ids = clients;
    p.n_client_ids = 2;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        CHECK_RESULT(check_payload(&p, exp, "1800000000", cases[i].members), cases[i].want,
                     cases[i].what);
    /* Right after the audience (pam_jwt(8) order): a wrong audience is named first. */
    p.audiences = clients;
    p.n_audiences = 1;
    CHECK_RESULT(check_payload(&p, exp, "1800000000", ""), JWT_ERR_AUDIENCE,
                 "client_id: checked after aud");
    p.audiences = audiences;
    p.user = "bob";
    CHECK_RESULT(check_payload(&p, exp, "1800000000", ""), JWT_ERR_CLIENT,
                 "client_id: checked before the user");
}

static void
test_scope_and_step_up(void)
{
    static const char *const need_sudo[] = {"sudo"};
    static const char *const need_two[] = {"ssh", "sudo"};
    struct jwt_policy p;

    policy_for_tests(&p);
    p.scopes = need_sudo;
    p.n_scopes = 1;
    CHECK_RESULT(check_payload(&p, "1800000300", "1800000000", ",\"scope\":\"ssh sudo\""), JWT_OK,
                 "scope word present");
    CHECK_RESULT(check_payload(&p, "1800000300", "1800000000", ",\"scope\":\"sudoers ssh\""),
                 JWT_ERR_SCOPE, "scope only as a prefix refused");
    CHECK_RESULT(check_payload(&p, "1800000300", "1800000000", ",\"scope\":\"xsudo\""),
                 JWT_ERR_SCOPE, "scope only as a suffix refused");
    CHECK_RESULT(check_payload(&p, "1800000300", "1800000000", NULL), JWT_ERR_SCOPE,
                 "no scope at all refused");
    CHECK_RESULT(check_payload(&p, "1800000300", "1800000000", ",\"scp\":[\"openid\",\"sudo\"]"),
                 JWT_OK, "scp array accepted");
    CHECK_RESULT(check_payload(&p, "1800000300", "1800000000", ",\"scp\":\"sudo\""), JWT_OK,
                 "scp string accepted");
    CHECK_RESULT(
        check_payload(&p, "1800000300", "1800000000", ",\"scope\":\"ssh\",\"scp\":[\"sudo\"]"),
        JWT_ERR_SCOPE, "scp ignored where scope is present");
    CHECK_RESULT(check_payload(&p, "1800000300", "1800000000", ",\"scp\":[\"ssh sudo\"]"),
                 JWT_ERR_CLAIM_TYPE, "scp element holding two words refused");
    CHECK_RESULT(check_payload(&p, "1800000300", "1800000000", ",\"scp\":[\"\"]"),
                 JWT_ERR_CLAIM_TYPE, "empty scp element refused");
    CHECK_RESULT(check_payload(&p, "1800000300", "1800000000", ",\"scp\":[\"a\\\"b\",\"sudo\"]"),
                 JWT_ERR_CLAIM_TYPE, "scp element outside RFC 6749 scope-token refused");
    p.scopes = need_two;
    p.n_scopes = 2;
    CHECK_RESULT(check_payload(&p, "1800000300", "1800000000", ",\"scope\":\"sudo\""),
                 JWT_ERR_SCOPE, "every required scope needed");
    p.n_scopes = 0;
    p.max_auth_age = 300;
    CHECK_RESULT(check_payload(&p, "1800000300", "1800000000", ",\"auth_time\":1799999700"), JWT_OK,
                 "auth_time exactly max_auth_age ago accepted");
    CHECK_RESULT(check_payload(&p, "1800000300", "1800000000", ",\"auth_time\":1799999699"),
                 JWT_ERR_AUTH_AGE, "auth_time one second older refused");
    CHECK_RESULT(check_payload(&p, "1800000300", "1800000000", NULL), JWT_ERR_AUTH_AGE,
                 "auth_time missing refused under max_auth_age");
    CHECK_RESULT(check_payload(&p, "1800000300", "1800000000", ",\"auth_time\":1800000061"),
                 JWT_ERR_AUTH_AGE, "auth_time beyond now + leeway refused");
    CHECK_RESULT(check_payload(&p, "1800000300", "1800000000", ",\"auth_time\":1800000060"), JWT_OK,
                 "auth_time within leeway accepted");
}

static void
test_id_token_markers(void)
{
    struct jwt_policy p;

    policy_for_tests(&p);
    CHECK_RESULT(check_payload(&p, "1800000300", "1800000000", ",\"nonce\":\"n\""),
                 JWT_ERR_ID_TOKEN, "nonce marks an ID token");
    CHECK_RESULT(check_payload(&p, "1800000300", "1800000000", ",\"at_hash\":\"h\""),
                 JWT_ERR_ID_TOKEN, "at_hash marks an ID token");
    CHECK_RESULT(check_payload(&p, "1800000300", "1800000000", ",\"c_hash\":\"h\""),
                 JWT_ERR_ID_TOKEN, "c_hash marks an ID token");
    CHECK_RESULT(check_payload(&p, "1800000300", "1800000000", ",\"nonces\":\"n\""), JWT_OK,
                 "a similar name is not a marker");
}

static void
test_facts(void)
{
    struct jwt_policy p;
    struct json_object *obj = NULL;
    struct jwt_verified v = {0};
    const char *text = "{\"iss\":\"jwt-helper@host\",\"sub\":\"alice\",\"aud\":\"pam\","
                       "\"exp\":1800000300,\"iat\":1800000000,\"jti\":\"j1\","
                       "\"scp\":[\"ssh\",\"sudo\"],\"auth_time\":1799999999}";

    policy_for_tests(&p);
    CHECK_RESULT(jwt_json_parse_object(text, strlen(text), &obj), JWT_OK, "facts payload parses");
    CHECK_RESULT(jwt_claims_check(obj, &p, &v), JWT_OK, "facts payload accepted");
    CHECK_STR(v.subject, "alice", "subject copied");
    CHECK_STR(v.jti, "j1", "jti copied");
    CHECK_STR(v.scope, "ssh sudo", "scp array joined into scope");
    CHECK_INT(v.exp, 1800000300, "exp copied");
    CHECK(v.has_iat && v.iat == 1800000000, "iat copied");
    CHECK(v.has_auth_time && v.auth_time == 1799999999, "auth_time copied");
    json_object_put(obj);
    jwt_verified_clear(&v);
}

int
main(void)
{
    test_times();
    test_lifetime();
    test_types();
    test_identity();
    test_host_audience();
    test_client_id();
    test_scope_and_step_up();
    test_id_token_markers();
    test_facts();
    return check_done();
}

/* SPDX-License-Identifier: MIT */
/* Tests for compact JWS splitting and header checks. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "check.h"
#include "jwt.h"

static const char *const typs[] = {"at+jwt", "JWT"};
#define ALL_ACCESS JWT_ALGS_ACCESS

/* Builds b64(header).b64(payload).sig_b64 into a static buffer. */
static const char *
make_token(const char *header, const char *payload, const char *sig_b64)
{
    static char buf[4096];
    char *h = jwt_b64url_encode((const unsigned char *)header, strlen(header));
    char *p = jwt_b64url_encode((const unsigned char *)payload, strlen(payload));

    snprintf(buf, sizeof(buf), "%s.%s.%s", h, p, sig_b64);
    free(h);
    free(p);
    return buf;
}

static jwt_result
parse_header(const char *header)
{
    struct jwt_jws jws;
    const char *t = make_token(header, "{}", "c2ln");
    jwt_result r = jwt_jws_parse(t, strlen(t), 8192, ALL_ACCESS, typs, 2, &jws);

    jwt_jws_clear(&jws);
    return r;
}

static jwt_result
parse_raw(const char *token, size_t max_len)
{
    struct jwt_jws jws;
    jwt_result r = jwt_jws_parse(token, strlen(token), max_len, ALL_ACCESS, typs, 2, &jws);

    jwt_jws_clear(&jws);
    return r;
}

static void
test_shape(void)
{
    const char *good = make_token("{\"alg\":\"EdDSA\"}", "{}", "c2ln");
    char copy[4096];

    CHECK_RESULT(parse_raw(good, 8192), JWT_OK, "three segments parse");
    CHECK_RESULT(parse_raw(good, strlen(good)), JWT_OK, "length equal to max accepted");
    CHECK_RESULT(parse_raw(good, strlen(good) - 1), JWT_ERR_TOO_LONG, "length max+1 refused");
    CHECK_RESULT(parse_raw("", 8192), JWT_ERR_EMPTY, "empty refused");
    CHECK_RESULT(parse_raw("abc", 8192), JWT_ERR_SEGMENTS, "one segment refused");
    CHECK_RESULT(parse_raw("eyJhbGciOiJFZERTQSJ9.e30", 8192), JWT_ERR_SEGMENTS,
                 "two segments refused");
    snprintf(copy, sizeof(copy), "%s.c2ln", good);
    CHECK_RESULT(parse_raw(copy, 8192), JWT_ERR_SEGMENTS, "four segments refused");
    snprintf(copy, sizeof(copy), "%s.c2ln.c2ln", good);
    CHECK_RESULT(parse_raw(copy, 8192), JWT_ERR_SEGMENTS, "five segments refused");
    CHECK_RESULT(parse_raw(".e30.c2ln", 8192), JWT_ERR_SEGMENTS, "empty header refused");
    CHECK_RESULT(parse_raw("eyJhbGciOiJFZERTQSJ9..c2ln", 8192), JWT_ERR_SEGMENTS,
                 "empty payload refused");
    CHECK_RESULT(parse_raw("eyJhbGciOiJFZERTQSJ9.e30.", 8192), JWT_OK,
                 "empty signature is left to the signature check");
    CHECK_RESULT(parse_raw("eyJhbGciOiJFZERTQSJ9.e30.c2ln=", 8192), JWT_ERR_BASE64,
                 "padded signature refused");
    CHECK_RESULT(parse_raw("eyJhbGciOiJFZERTQSJ9=.e30.c2ln", 8192), JWT_ERR_BASE64,
                 "padded header refused");
    /* {"alg":"none"} with a padded signature: the header's reason comes
     * first (pam_jwt(8) order). */
    CHECK_RESULT(parse_raw("eyJhbGciOiJub25lIn0.e30.c2ln=", 8192), JWT_ERR_ALG_NOT_ALLOWED,
                 "header checked before the signature's encoding");
}

static void
test_header(void)
{
    CHECK_RESULT(parse_header("{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"k\"}"), JWT_OK,
                 "full header accepted");
    CHECK_RESULT(parse_header("{\"typ\":\"JWT\"}"), JWT_ERR_ALG_MISSING, "alg missing");
    CHECK_RESULT(parse_header("{\"alg\":5}"), JWT_ERR_HEADER, "alg as number");
    CHECK_RESULT(parse_header("{\"alg\":\"none\"}"), JWT_ERR_ALG_NOT_ALLOWED, "alg none");
    CHECK_RESULT(parse_header("{\"alg\":\"NONE\"}"), JWT_ERR_ALG_NOT_ALLOWED, "alg NONE");
    CHECK_RESULT(parse_header("{\"alg\":\"HS256\"}"), JWT_ERR_ALG_NOT_ALLOWED,
                 "HS256 never allowed for access tokens");
    CHECK_RESULT(parse_header("{\"alg\":\"ES512\"}"), JWT_ERR_ALG_NOT_ALLOWED, "ES512 unknown");
    CHECK_RESULT(parse_header("{\"alg\":\"eddsa\"}"), JWT_ERR_ALG_NOT_ALLOWED,
                 "alg names are case-sensitive");
    CHECK_RESULT(parse_header("[\"alg\"]"), JWT_ERR_HEADER, "header array refused");
    CHECK_RESULT(parse_header("{\"alg\":\"EdDSA\",\"alg\":\"none\"}"), JWT_ERR_JSON,
                 "duplicate alg refused");
    CHECK_RESULT(parse_header("{\"alg\":\"EdDSA\",\"kid\":1}"), JWT_ERR_HEADER, "kid as number");
    CHECK_RESULT(parse_header("{\"alg\":\"EdDSA\",\"typ\":[]}"), JWT_ERR_HEADER, "typ as array");
    CHECK_RESULT(parse_header("{\"alg\":\"EdDSA\",\"typ\":\"rt+jwt\"}"), JWT_ERR_TYP,
                 "refresh typ refused");
    CHECK_RESULT(parse_header("{\"alg\":\"EdDSA\",\"typ\":\"application/AT+JWT\"}"), JWT_OK,
                 "typ with application/ prefix and other case accepted");
    CHECK_RESULT(parse_header("{\"alg\":\"EdDSA\",\"typ\":\"foo\"}"), JWT_ERR_TYP,
                 "unknown typ refused");
    CHECK_RESULT(parse_header("{\"alg\":\"EdDSA\",\"crit\":[\"exp\"]}"), JWT_ERR_CRIT, "crit");
    CHECK_RESULT(parse_header("{\"alg\":\"EdDSA\",\"b64\":false}"), JWT_ERR_B64, "b64");
    CHECK_RESULT(parse_header("{\"alg\":\"EdDSA\",\"jwk\":{}}"), JWT_ERR_EMBEDDED_KEY, "jwk");
    CHECK_RESULT(parse_header("{\"alg\":\"EdDSA\",\"jku\":\"https://x\"}"), JWT_ERR_EMBEDDED_KEY,
                 "jku");
    CHECK_RESULT(parse_header("{\"alg\":\"EdDSA\",\"x5u\":\"https://x\"}"), JWT_ERR_EMBEDDED_KEY,
                 "x5u");
    CHECK_RESULT(parse_header("{\"alg\":\"EdDSA\",\"x5c\":[]}"), JWT_ERR_EMBEDDED_KEY, "x5c");
}

static void
test_allowed_mask(void)
{
    struct jwt_jws jws;
    const char *t = make_token("{\"alg\":\"RS256\"}", "{}", "c2ln");

    CHECK_RESULT(jwt_jws_parse(t, strlen(t), 8192, JWT_ALG_BIT(JWT_ALG_EDDSA), typs, 2, &jws),
                 JWT_ERR_ALG_NOT_ALLOWED, "alg outside the mask refused");
    jwt_jws_clear(&jws);
    CHECK_RESULT(jwt_jws_parse(t, strlen(t), 8192, JWT_ALG_BIT(JWT_ALG_RS256), typs, 2, &jws),
                 JWT_OK, "alg in the mask accepted");
    CHECK_INT(jws.alg, JWT_ALG_RS256, "alg recorded");
    CHECK_INT(jws.sig_len, 3, "signature decoded");
    CHECK_INT(jws.signing_input_len, strchr(strchr(t, '.') + 1, '.') - t,
              "signing input ends at 2nd dot");
    jwt_jws_clear(&jws);
}

static void
test_payload(void)
{
    struct jwt_jws jws;
    struct json_object *obj = NULL;
    const char *t = make_token("{\"alg\":\"EdDSA\"}", "It is a dangerous business", "c2ln");

    CHECK_RESULT(jwt_jws_parse(t, strlen(t), 8192, ALL_ACCESS, typs, 2, &jws), JWT_OK,
                 "text payload");
    CHECK_RESULT(jwt_jws_payload(&jws, &obj), JWT_ERR_PAYLOAD, "text is not a JSON object");
    jwt_jws_clear(&jws);
    t = make_token("{\"alg\":\"EdDSA\"}", " [1]", "c2ln");
    CHECK_RESULT(jwt_jws_parse(t, strlen(t), 8192, ALL_ACCESS, typs, 2, &jws), JWT_OK,
                 "array payload");
    CHECK_RESULT(jwt_jws_payload(&jws, &obj), JWT_ERR_PAYLOAD, "array is not a JSON object");
    jwt_jws_clear(&jws);
    t = make_token("{\"alg\":\"EdDSA\"}", "{\"a\":1,\"a\":2}", "c2ln");
    CHECK_RESULT(jwt_jws_parse(t, strlen(t), 8192, ALL_ACCESS, typs, 2, &jws), JWT_OK,
                 "dup payload");
    CHECK_RESULT(jwt_jws_payload(&jws, &obj), JWT_ERR_JSON, "duplicate member is malformed");
    jwt_jws_clear(&jws);
    t = make_token("{\"alg\":\"EdDSA\"}", "{\"a\":1}", "c2ln");
    CHECK_RESULT(jwt_jws_parse(t, strlen(t), 8192, ALL_ACCESS, typs, 2, &jws), JWT_OK,
                 "good payload");
    CHECK_RESULT(jwt_jws_payload(&jws, &obj), JWT_OK, "object payload parses");
    json_object_put(obj);
    jwt_jws_clear(&jws);
}

static void
test_typ_list(void)
{
    static const char *const only_rt[] = {"rt+jwt"};

    CHECK(jwt_typ_is_accepted(NULL, typs, 2), "absent typ counts as JWT");
    CHECK(!jwt_typ_is_accepted(NULL, typs, 1), "absent typ refused when only at+jwt accepted");
    CHECK(jwt_typ_is_accepted("jwt", typs, 2), "typ case-insensitive");
    CHECK(!jwt_typ_is_accepted("rt+jwt", only_rt, 1), "rt+jwt never accepted, even if listed");
    CHECK(!jwt_typ_is_accepted("application/rt+jwt", only_rt, 1), "nor with a prefix");
    CHECK(!jwt_typ_is_accepted("at+jwtx", typs, 2), "no prefix matching");
}

int
main(void)
{
    test_shape();
    test_header();
    test_allowed_mask();
    test_payload();
    test_typ_list();
    return check_done();
}

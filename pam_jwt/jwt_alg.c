/* SPDX-License-Identifier: MIT */
/* Names of the JWS algorithms the core knows (RFC 7518 §3.1, RFC 8037 §3.1). */
#include "config.h"

#include <string.h>

#include "jwt.h"

static const char *const alg_names[JWT_ALG_COUNT] = {
    [JWT_ALG_EDDSA] = "EdDSA", [JWT_ALG_ES256] = "ES256", [JWT_ALG_ES384] = "ES384",
    [JWT_ALG_RS256] = "RS256", [JWT_ALG_RS384] = "RS384", [JWT_ALG_RS512] = "RS512",
    [JWT_ALG_PS256] = "PS256", [JWT_ALG_PS384] = "PS384", [JWT_ALG_PS512] = "PS512",
    [JWT_ALG_HS256] = "HS256",
};

bool
jwt_alg_from_name(const char *name, enum jwt_alg *out)
{
    /* Exact, case-sensitive match (RFC 7515 §4.1.1): "none" in any spelling
     * and every name we do not implement fall through to false. */
    for (int a = 0; a < JWT_ALG_COUNT; a++) {
        if (strcmp(name, alg_names[a]) == 0) {
            *out = (enum jwt_alg)a;
            return true;
        }
    }
    return false;
}

const char *
jwt_alg_name(enum jwt_alg alg)
{
    if ((unsigned)alg >= JWT_ALG_COUNT)
        return "unknown";
    return alg_names[alg];
}

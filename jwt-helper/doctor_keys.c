/* SPDX-License-Identifier: MIT */
/* `jwt-helper doctor`: retired keys in the daemon's key set that `keys
 * prune` would drop. Every host keeps trusting such a key: one stolen copy
 * of its private half would sign tokens until the key set loses it. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <time.h>

#include <json-c/json.h>

#include "doctor_daemon.h"
#include "jwt.h"
#include "keys_retired.h"

void
doctor_keys_check(struct doctor *d, const struct helperd_conf *conf)
{
    int64_t horizon = keys_retired_horizon((int64_t)time(NULL), conf->access_ttl);
    struct json_object *root = NULL, *keys = NULL;
    char *text = NULL;
    size_t len = 0;

    /* A key set that cannot be read or parsed is the policy check's
     * finding (pam_jwt reads the same file), or the daemon's. */
    if (jwt_file_read(conf->jwks, JWT_MAX_JWKS_BYTES, -1, &text, &len) != JWT_OK ||
        jwt_json_parse_object(text, len, &root) != JWT_OK ||
        !json_object_object_get_ex(root, "keys", &keys) ||
        !json_object_is_type(keys, json_type_array))
        goto out;
    for (size_t i = 0; i < json_object_array_length(keys); i++) {
        const struct json_object *e = json_object_array_get_idx(keys, i);
        const char *kid = "(no kid)";
        int64_t retired = 0;

        if (!json_object_is_type(e, json_type_object) || !keys_retired_is_spent(e, horizon))
            continue;
        (void)jwt_json_get_string(e, "kid", &kid);
        (void)jwt_json_get_int64(e, "retired", &retired);
        doctor_finding(d, DOCTOR_WARNING, conf->jwks, 0,
                       "key %.64s, retired at %" PRId64 ", has no valid token left but every "
                       "host still trusts it; run jwt-helper keys prune, then copy the key set "
                       "to every host",
                       kid, retired);
    }
out:
    json_object_put(root);
    free(text);
}

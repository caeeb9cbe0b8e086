/* SPDX-License-Identifier: MIT */
/* When a retired key may go from the key set: one rule for `keys prune`
 * and `doctor`. */
#include "config.h"

#include "conf.h"
#include "jwt.h"
#include "keys_retired.h"

int64_t
keys_retired_horizon(int64_t now, int64_t access_ttl)
{
    return now - access_ttl - CONF_MAX_LEEWAY;
}

bool
keys_retired_is_spent(const struct json_object *entry, int64_t horizon)
{
    int64_t retired = 0;

    /* retired < horizon, not retired + ttl < now: a hostile value cannot overflow. */
    return jwt_json_get_int64(entry, "retired", &retired) == 1 && retired > 0 && retired < horizon;
}

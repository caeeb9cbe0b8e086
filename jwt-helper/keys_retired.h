/* SPDX-License-Identifier: MIT */
/* When a retired key may go from the key set (jwt-helper(1), keys prune): the rule
 * `jwt-helper keys prune` applies and `jwt-helper doctor` warns by. */
#ifndef PAM_JWT_KEYS_RETIRED_H
#define PAM_JWT_KEYS_RETIRED_H

#include <stdbool.h>
#include <stdint.h>

struct json_object;

/* Returns the instant before which a key retired then signed no token that
 * can still be valid at now: the daemon stopped signing with it at its
 * "retired" instant, its last token expired access_ttl later, and
 * verifiers accept one up to CONF_MAX_LEEWAY after that. */
int64_t keys_retired_horizon(int64_t now, int64_t access_ttl);

/* Returns true when entry (one member of a JWK Set's "keys") carries a
 * positive integer "retired" before horizon: no token it signed is valid. */
bool keys_retired_is_spent(const struct json_object *entry, int64_t horizon);

#endif

/* SPDX-License-Identifier: MIT */
/* Reading private files (signing.jwk, refresh.key, the user records): the
 * issuing core's, never linked into the module, which holds no secret. */
#include "config.h"

#include <sys/stat.h>

#include "jwt.h"
#include "jwt_file_impl.h"

/* A private key readable by every local user is no longer private: refused
 * even though nobody could have changed it (the group may read: jwt-helperd(8)'s
 * root:_jwt-helper 0640). */
jwt_result
jwt_file_read_secret(const char *path, size_t max_bytes, long extra_owner, char **out,
                     size_t *out_len)
{
    return jwt_file_read_forbidding(path, max_bytes, extra_owner, S_IWGRP | S_IWOTH | S_IROTH, out,
                                    out_len);
}

/* The user records hold every password hash: no group or other bit at all
 * (jwt-helperd(8) FILES, _jwt-helper 0600). */
jwt_result
jwt_file_read_private(const char *path, size_t max_bytes, long extra_owner, char **out,
                      size_t *out_len)
{
    return jwt_file_read_forbidding(path, max_bytes, extra_owner, S_IRWXG | S_IRWXO, out, out_len);
}

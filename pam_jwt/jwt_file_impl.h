/* SPDX-License-Identifier: MIT */
/* The reader behind jwt_file_read and jwt_file_read_secret, shared by
 * jwt_file.c (the verify core) and jwt_file_secret.c (the issuing core). */
#ifndef PAM_JWT_JWT_FILE_IMPL_H
#define PAM_JWT_JWT_FILE_IMPL_H

#include <stddef.h>
#include <sys/types.h>

#include "jwt.h"

/* jwt_file_read, refusing also any file whose mode has a bit of forbidden. */
jwt_result jwt_file_read_forbidding(const char *path, size_t max_bytes, long extra_owner,
                                    mode_t forbidden, char **out, size_t *out_len) JWT_MUST_CHECK;

#endif

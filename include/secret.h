/* SPDX-License-Identifier: MIT */
/* Wiping and freeing of secrets: tokens, passwords, keys, HMAC tags. */
#ifndef PAM_JWT_SECRET_H
#define PAM_JWT_SECRET_H

#include <stddef.h>

/* Wipes len bytes at p with sodium_memzero, then frees p; NULL is a no-op. */
void secret_free(void *p, size_t len);
/* Wipes a NUL-terminated string (its whole length) and frees it; NULL is a no-op. */
void secret_free_str(char *s);

#endif

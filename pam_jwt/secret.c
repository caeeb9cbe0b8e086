/* SPDX-License-Identifier: MIT */
/* Wipe-then-free for buffers that held secrets. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "secret.h"

void
secret_free(void *p, size_t len)
{
    if (p == NULL)
        return;
    sodium_memzero(p, len);
    free(p);
}

void
secret_free_str(char *s)
{
    if (s == NULL)
        return;
    secret_free(s, strlen(s));
}

/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for the jwks sync files (jwks_sync_conf_parse): every
 * accepted file is checked against the promises of jwks_sync.h. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jwks_sync.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every byte of each message is read, so one built from freed memory shows. */
static void
report_discard(void *ctx, const char *message)
{
    size_t *total = ctx;

    *total += strlen(message);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jwks_sync_conf c;
    size_t total = 0;
    struct conf_reporter r = {.report = report_discard, .ctx = &total};
    char *text;

    if (size > JWKS_SYNC_MAX_CONF_BYTES || (text = malloc(size + 1)) == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (jwks_sync_conf_parse(text, size, &r, &c)) {
        if (c.url == NULL || c.out == NULL || strncmp(c.url, "https://", 8) != 0 ||
            c.out[0] != '/' || r.invalid)
            abort();
        for (const char *p = c.url; *p != '\0'; p++)
            if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
                abort();
        jwks_sync_conf_free(&c);
    } else if (c.url != NULL || c.out != NULL || !r.invalid) {
        abort();
    }
    free(text);
    return 0;
}

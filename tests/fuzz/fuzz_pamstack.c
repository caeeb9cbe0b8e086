/* SPDX-License-Identifier: MIT */
/* libFuzzer harness for doctor's PAM stack parser and its evaluation: the
 * input is every stack file (an include of any name reads it again, so
 * loops and fan-out hit the bounds), and the chain built from it is run
 * with pam_jwt failing and succeeding. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "doctor_pamstack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
    const uint8_t *data;
    size_t size;
    size_t reported; /* bytes of messages, each read whole so ASan sees them */
};

static int
read_input(void *ctx, const char *path, char **text, size_t *len)
{
    const struct input *in = ctx;

    if (strlen(path) > 4096 || (*text = malloc(in->size + 1)) == NULL)
        return -1;
    memcpy(*text, in->data, in->size);
    (*text)[in->size] = '\0';
    *len = in->size;
    return 0;
}

static void
count_report(void *ctx, const char *path, size_t line, const char *message)
{
    struct input *in = ctx;

    in->reported += strlen(path) + strlen(message) + (line > 0);
}

/* pam_jwt's return is the case; every other module alternates, so both
 * branches of every control are taken across entries. */
static enum pamstack_ret
module_ret(void *ctx, const struct pamstack_entry *e)
{
    if (strncmp(e->module, "pam_jwt", 7) == 0)
        return *(const enum pamstack_ret *)ctx;
    return (enum pamstack_ret)((e->line + (size_t)e->argc) % PAMSTACK_N_RETS);
}

static void
touch_entry(void *ctx, const struct pamstack_entry *e)
{
    size_t *total = ctx;

    *total += strlen(e->file) + strlen(e->module);
    for (int i = 0; i < e->argc; i++)
        *total += strlen(e->argv[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = {data, size, 0};
    struct pamstack_source src = {"/etc/pam.d", read_input, count_report, &in};
    struct pamstack_chain *chain = NULL;
    enum pamstack_ret fails = PAMSTACK_AUTH_ERR, passes = PAMSTACK_SUCCESS;
    size_t total = 0;

    if (pamstack_build(&src, "fuzz", &chain) != 0)
        return 0;
    (void)pamstack_succeeds(chain, module_ret, &fails);
    (void)pamstack_succeeds(chain, module_ret, &passes);
    pamstack_each_module(chain, touch_entry, &total);
    pamstack_chain_free(chain);
    return 0;
}

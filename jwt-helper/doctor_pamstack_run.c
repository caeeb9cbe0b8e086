/* SPDX-License-Identifier: MIT */
/* Runs a PAM auth chain the way libpam's dispatcher (pam_dispatch.c) does,
 * with module returns chosen by the caller: what the stack returns then. */
#include "config.h"

#include "doctor_pamstack.h"

enum impression { UNDECIDED, POSITIVE, NEGATIVE };

struct run_state {
    enum impression impression;
    enum pamstack_ret status;
};

/* Applies action to one module's return r. Returns true when the chain
 * ends here (done after no failure, or die). */
static bool
apply_action(struct run_state *s, int action, enum pamstack_ret r)
{
    switch (action) {
    case PAMSTACK_ACT_RESET:
        s->impression = UNDECIDED;
        s->status = PAMSTACK_AUTH_ERR;
        return false;
    case PAMSTACK_ACT_OK:
    case PAMSTACK_ACT_DONE:
        /* An ignored return never makes the impression good. */
        if (r != PAMSTACK_IGNORE &&
            (s->impression == UNDECIDED ||
             (s->impression == POSITIVE && s->status == PAMSTACK_SUCCESS))) {
            s->impression = POSITIVE;
            s->status = r;
        }
        return action == PAMSTACK_ACT_DONE && s->impression != NEGATIVE;
    case PAMSTACK_ACT_BAD:
    case PAMSTACK_ACT_DIE:
        if (s->impression != NEGATIVE) {
            s->impression = NEGATIVE;
            /* libpam never lets a "bad" success count as one */
            s->status = r == PAMSTACK_SUCCESS ? PAMSTACK_AUTH_ERR : r;
        }
        return action == PAMSTACK_ACT_DIE;
    default:
        return false;
    }
}

static enum pamstack_ret
entry_ret(const struct pamstack_entry *e, pamstack_module_fn module_ret, void *ctx)
{
    if (e->sub != NULL)
        return pamstack_succeeds(e->sub, module_ret, ctx) ? PAMSTACK_SUCCESS : PAMSTACK_AUTH_ERR;
    return module_ret(ctx, e);
}

bool
pamstack_succeeds(const struct pamstack_chain *chain, pamstack_module_fn module_ret, void *ctx)
{
    struct run_state s = {UNDECIDED, PAMSTACK_AUTH_ERR};

    for (size_t i = 0; i < chain->n; i++) {
        const struct pamstack_entry *e = &chain->entries[i];
        enum pamstack_ret r = entry_ret(e, module_ret, ctx);
        int action = e->act[r];

        if (action > 0) {
            /* a jump skips that many of the following modules */
            if ((size_t)action >= chain->n - i)
                break;
            i += (size_t)action;
            continue;
        }
        if (apply_action(&s, action, r))
            break;
    }
    /* an empty or all-ignored chain fails (libpam's PAM_MUST_FAIL_CODE) */
    return s.impression == POSITIVE && s.status == PAMSTACK_SUCCESS;
}

void
pamstack_each_module(const struct pamstack_chain *chain,
                     void (*visit)(void *ctx, const struct pamstack_entry *e), void *ctx)
{
    for (size_t i = 0; i < chain->n; i++) {
        if (chain->entries[i].sub != NULL)
            pamstack_each_module(chain->entries[i].sub, visit, ctx);
        else
            visit(ctx, &chain->entries[i]);
    }
}

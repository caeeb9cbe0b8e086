/* SPDX-License-Identifier: MIT */
/* The per-name delay after failed login and passwd attempts (jwt-helperd(8),
 * LIMITS): for each side (the name's own Unix account asking, or anyone
 * else) a bounded table of user names, each with its failure count and the
 * instant before which it is refused.
 *
 * MUST:
 * 1. treat every name alike, known user or not: the table never looks at the
 *    user records, so the delay reveals nothing about who exists;
 * 2. stay bounded (HELPERD_DELAY_SLOTS entries, allocated once) and cheap per
 *    call whatever names a client sends: lookups hash with a keyed SipHash
 *    (crypto_shorthash, random key per table), so nobody can aim many names
 *    at one bucket;
 * 3. never forgive a failure early: an entry leaves the table only after
 *    HELPERD_DELAY_FORGET_MS without a failure, on a success, or, when the
 *    table is full, if it is the oldest entry and no longer inside its
 *    delay. When it is full of names still inside their delays, a name not
 *    in the table is refused until a slot frees (so flooding names buys
 *    an attacker nothing);
 * 4. let one login or passwd per name be hashed at a time (claims): the
 *    failure is charged when the hash is done, so concurrent guesses would
 *    otherwise all slip in before the first one counts;
 * 5. keep the two sides apart (their own tables, claims and full-table
 *    rule): failures, claims and a table filled by other uids never delay
 *    the name's own uid, so nobody can lock alice out of her own account,
 *    while every other uid (root included, and any number of them) shares
 *    one delay per name, so guessing from many uids is no faster. The own
 *    side is filled only by accounts failing their own names: at most one
 *    entry per local account. */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "helperd.h"

#define NIL UINT32_MAX
#define N_SIDES 2
/* Twice as many buckets as slots keeps the chains short (load factor 0.5). */
#define N_BUCKETS (2 * HELPERD_DELAY_SLOTS)

struct entry {
    char name[JWT_USER_NAME_MAX + 1];
    unsigned failures;
    int64_t last_ms;       /* monotonic instant of the latest failure */
    int64_t until_ms;      /* refused before this instant */
    uint32_t chain;        /* next entry in the same bucket */
    uint32_t older, newer; /* the age list: by latest failure, oldest first */
    bool used;
};

/* The delays of one side: a bounded table of names. */
struct table {
    unsigned base_s;
    /* Names with a login or passwd being hashed now (helperd_delay_claim):
     * few at a time (bounded by the clients), so a plain array. */
    char (*claims)[JWT_USER_NAME_MAX + 1];
    size_t n_claims, cap_claims;
    unsigned char key[crypto_shorthash_KEYBYTES];
    uint32_t buckets[N_BUCKETS];
    struct entry slots[HELPERD_DELAY_SLOTS];
    uint32_t oldest, newest; /* ends of the age list */
    uint32_t free_list;      /* unused slots, linked through chain */
};

static uint32_t
bucket_of(const struct table *d, const char *name)
{
    unsigned char h[crypto_shorthash_BYTES];
    uint64_t v = 0;

    crypto_shorthash(h, (const unsigned char *)name, strlen(name), d->key);
    for (size_t i = 0; i < sizeof v; i++)
        v = (v << 8) | h[i];
    return (uint32_t)(v % N_BUCKETS);
}

static struct table *
table_new(unsigned base_s)
{
    struct table *d = calloc(1, sizeof *d);

    if (d == NULL)
        return NULL;
    d->base_s = base_s;
    crypto_shorthash_keygen(d->key);
    for (size_t i = 0; i < N_BUCKETS; i++)
        d->buckets[i] = NIL;
    for (uint32_t i = 0; i < HELPERD_DELAY_SLOTS; i++)
        d->slots[i].chain = i + 1 < HELPERD_DELAY_SLOTS ? i + 1 : NIL;
    d->free_list = 0;
    d->oldest = d->newest = NIL;
    return d;
}

static void
table_free(struct table *d)
{
    if (d == NULL)
        return;
    sodium_memzero(d->key, sizeof d->key);
    free(d->claims);
    free(d);
}

static void
table_set_base(struct table *d, unsigned base_s)
{
    if (d != NULL)
        d->base_s = base_s;
}

/* Returns the slot holding name, or NIL. */
static uint32_t
find(const struct table *d, const char *name)
{
    for (uint32_t i = d->buckets[bucket_of(d, name)]; i != NIL; i = d->slots[i].chain)
        if (strcmp(d->slots[i].name, name) == 0)
            return i;
    return NIL;
}

static void
age_unlink(struct table *d, uint32_t i)
{
    struct entry *e = &d->slots[i];

    if (e->older != NIL)
        d->slots[e->older].newer = e->newer;
    else
        d->oldest = e->newer;
    if (e->newer != NIL)
        d->slots[e->newer].older = e->older;
    else
        d->newest = e->older;
    e->older = e->newer = NIL;
}

static void
age_append(struct table *d, uint32_t i)
{
    struct entry *e = &d->slots[i];

    e->older = d->newest;
    e->newer = NIL;
    if (d->newest != NIL)
        d->slots[d->newest].newer = i;
    else
        d->oldest = i;
    d->newest = i;
}

/* Takes slot i out of its bucket and the age list, back to the free list. */
static void
forget(struct table *d, uint32_t i)
{
    uint32_t *link = &d->buckets[bucket_of(d, d->slots[i].name)];

    while (*link != NIL && *link != i)
        link = &d->slots[*link].chain;
    if (*link == i)
        *link = d->slots[i].chain;
    age_unlink(d, i);
    memset(&d->slots[i], 0, sizeof d->slots[i]);
    d->slots[i].chain = d->free_list;
    d->free_list = i;
}

/* Forgets entries quiet for HELPERD_DELAY_FORGET_MS: they sit at the old end
 * of the age list, so this costs O(1) per forgotten entry. */
static void
expire(struct table *d, int64_t now_ms)
{
    while (d->oldest != NIL && now_ms - d->slots[d->oldest].last_ms >= HELPERD_DELAY_FORGET_MS)
        forget(d, d->oldest);
}

static int64_t
table_blocked_until(struct table *d, const char *name, int64_t now_ms)
{
    uint32_t i;

    if (d == NULL || name == NULL)
        return 0;
    expire(d, now_ms);
    if ((i = find(d, name)) == NIL) {
        /* Every slot holds a name inside its delay: a new name could not
         * be charged for a failure, so it waits for a slot (MUST 3). */
        if (d->free_list == NIL && d->oldest != NIL && d->slots[d->oldest].until_ms > now_ms)
            return d->slots[d->oldest].until_ms;
        return 0;
    }
    if (d->slots[i].until_ms <= now_ms)
        return 0;
    return d->slots[i].until_ms;
}

static size_t
claim_index(const struct table *d, const char *name)
{
    size_t i;

    for (i = 0; i < d->n_claims; i++)
        if (strcmp(d->claims[i], name) == 0)
            break;
    return i;
}

static bool
table_claim(struct table *d, const char *name)
{
    if (d == NULL || name == NULL || strlen(name) > JWT_USER_NAME_MAX ||
        claim_index(d, name) < d->n_claims)
        return false;
    if (d->n_claims == d->cap_claims) {
        size_t cap = d->cap_claims == 0 ? 16 : 2 * d->cap_claims;
        void *p =
            cap > SIZE_MAX / sizeof *d->claims ? NULL : realloc(d->claims, cap * sizeof *d->claims);
        if (p == NULL)
            return false; /* fail closed */
        d->claims = p;
        d->cap_claims = cap;
    }
    memcpy(d->claims[d->n_claims++], name, strlen(name) + 1);
    return true;
}

static void
table_release(struct table *d, const char *name)
{
    size_t i;

    if (d == NULL || name == NULL || (i = claim_index(d, name)) == d->n_claims)
        return;
    d->n_claims--;
    if (i != d->n_claims)
        memcpy(d->claims[i], d->claims[d->n_claims], sizeof d->claims[i]);
}

/* Returns a free slot for name, evicting the oldest entry when it is quiet
 * (MUST 3); NIL when every slot holds a name inside its delay. */
static uint32_t
slot_take(struct table *d, const char *name, int64_t now_ms)
{
    uint32_t i, b;

    if (d->free_list == NIL && d->oldest != NIL && d->slots[d->oldest].until_ms <= now_ms)
        forget(d, d->oldest);
    if ((i = d->free_list) == NIL)
        return NIL;
    d->free_list = d->slots[i].chain;
    memset(&d->slots[i], 0, sizeof d->slots[i]);
    memcpy(d->slots[i].name, name, strlen(name) + 1);
    b = bucket_of(d, name);
    d->slots[i].chain = d->buckets[b];
    d->buckets[b] = i;
    d->slots[i].used = true;
    d->slots[i].older = d->slots[i].newer = NIL;
    age_append(d, i);
    return i;
}

unsigned
helperd_delay_seconds(unsigned base_s, unsigned failures)
{
    unsigned delay = base_s;

    if (failures == 0 || base_s == 0)
        return 0;
    /* Doubling stops at the cap, so the shift never overflows. */
    for (unsigned i = 1; i < failures && delay < HELPERD_CONF_LOGIN_DELAY_CAP; i++)
        delay *= 2;
    return delay < HELPERD_CONF_LOGIN_DELAY_CAP ? delay : HELPERD_CONF_LOGIN_DELAY_CAP;
}

static int64_t
delay_ms(const struct table *d, unsigned failures)
{
    return (int64_t)helperd_delay_seconds(d->base_s, failures) * 1000;
}

static int64_t
table_fail(struct table *d, const char *name, int64_t now_ms)
{
    struct entry *e;
    uint32_t i;

    if (d == NULL || name == NULL || strlen(name) > JWT_USER_NAME_MAX)
        return now_ms + (int64_t)HELPERD_CONF_LOGIN_DELAY_CAP * 1000; /* fail closed */
    expire(d, now_ms);
    if ((i = find(d, name)) == NIL && (i = slot_take(d, name, now_ms)) == NIL)
        return now_ms + delay_ms(d, 1); /* table full of delayed names: MUST 3 */
    e = &d->slots[i];
    if (e->failures < UINT_MAX)
        e->failures++;
    e->last_ms = now_ms;
    e->until_ms = now_ms + delay_ms(d, e->failures);
    age_unlink(d, i);
    age_append(d, i);
    return e->until_ms;
}

static void
table_success(struct table *d, const char *name)
{
    uint32_t i;

    if (d != NULL && name != NULL && (i = find(d, name)) != NIL)
        forget(d, i);
}

/* ---- the two sides ---- */

struct helperd_delay {
    struct table *sides[N_SIDES]; /* indexed by enum helperd_delay_side */
};

/* The table of side; NULL for a side out of range (callers fail closed). */
static struct table *
side_table(const struct helperd_delay *d, enum helperd_delay_side side)
{
    return d != NULL && (unsigned)side < N_SIDES ? d->sides[side] : NULL;
}

struct helperd_delay *
helperd_delay_new(unsigned base_s)
{
    struct helperd_delay *d = calloc(1, sizeof *d);

    if (d == NULL)
        return NULL;
    for (size_t i = 0; i < N_SIDES; i++) {
        if ((d->sides[i] = table_new(base_s)) == NULL) {
            helperd_delay_free(d);
            return NULL;
        }
    }
    return d;
}

void
helperd_delay_free(struct helperd_delay *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < N_SIDES; i++)
        table_free(d->sides[i]);
    free(d);
}

void
helperd_delay_set_base(struct helperd_delay *d, unsigned base_s)
{
    for (size_t i = 0; d != NULL && i < N_SIDES; i++)
        table_set_base(d->sides[i], base_s);
}

int64_t
helperd_delay_blocked_until(struct helperd_delay *d, const char *name, enum helperd_delay_side side,
                            int64_t now_ms)
{
    struct table *t = side_table(d, side);

    if (t == NULL)
        return now_ms + (int64_t)HELPERD_CONF_LOGIN_DELAY_CAP * 1000; /* fail closed */
    return table_blocked_until(t, name, now_ms);
}

int64_t
helperd_delay_fail(struct helperd_delay *d, const char *name, enum helperd_delay_side side,
                   int64_t now_ms)
{
    return table_fail(side_table(d, side), name, now_ms); /* NULL fails closed there */
}

void
helperd_delay_success(struct helperd_delay *d, const char *name, enum helperd_delay_side side)
{
    table_success(side_table(d, side), name);
}

bool
helperd_delay_claim(struct helperd_delay *d, const char *name, enum helperd_delay_side side)
{
    return table_claim(side_table(d, side), name);
}

void
helperd_delay_release(struct helperd_delay *d, const char *name, enum helperd_delay_side side)
{
    table_release(side_table(d, side), name);
}

/* SPDX-License-Identifier: MIT */
/* userdb-tool: a test helper that changes user records through userdb_update,
 * so the race and crash tests can run real writers before the daemon exists.
 *
 *   userdb-tool FILE bump NAME [COUNT]   add 1 to NAME's gen, COUNT times (default 1)
 *   userdb-tool FILE add NAME SCOPES     add NAME with a fixed test hash
 *   userdb-tool FILE show NAME           print NAME's gen (fails on any malformed line)
 *
 * Exit: 0 success, 1 failure (reason on stderr), 2 usage. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "userdb.h"

/* A real argon2id string (password "test-password", the minimum limits). */
#define TEST_HASH                                                                                  \
    "$argon2id$v=19$m=8,t=1,p=1$SrKESSaCu51V8hg0NByx8g$"                                           \
    "UEOBtCgYTnNB6Y1G4tniFkj+MPuFkNZ40ut4F7pZ2Mw"

struct add_ctx {
    const char *name;
    const char *scopes;
};

static userdb_result
bump(struct userdb *db, void *ctx)
{
    struct userdb_record *rec = userdb_find_mut(db, ctx);

    if (rec == NULL)
        return USERDB_ERR_NOT_FOUND;
    rec->gen++;
    return USERDB_OK;
}

static userdb_result
add(struct userdb *db, void *ctx)
{
    const struct add_ctx *a = ctx;
    struct userdb_record rec;
    userdb_result r;

    memset(&rec, 0, sizeof(rec));
    if (strlen(a->name) > JWT_USER_NAME_MAX)
        return USERDB_ERR_INVALID;
    strcpy(rec.name, a->name);
    rec.hash = (char *)(uintptr_t)TEST_HASH; /* userdb_add copies it */
    rec.changed = (int64_t)time(NULL);
    if ((r = userdb_scopes_parse(a->scopes, &rec.scopes, &rec.n_scopes)) != USERDB_OK)
        return r;
    r = userdb_add(db, &rec);
    userdb_scopes_free(rec.scopes, rec.n_scopes);
    return r;
}

static int
report(const char *what, userdb_result r, size_t bad_line)
{
    if (r == USERDB_OK)
        return 0;
    if (r == USERDB_ERR_MALFORMED)
        fprintf(stderr, "userdb-tool: %s: %s (line %zu)\n", what, userdb_result_str(r), bad_line);
    else
        fprintf(stderr, "userdb-tool: %s: %s\n", what, userdb_result_str(r));
    return 1;
}

static int
show(const char *path, const char *name)
{
    struct userdb *db = NULL;
    const struct userdb_record *rec;
    userdb_result r = userdb_load(path, -1, &db);
    int status = 1;

    if (r != USERDB_OK)
        return report("load", r, 0);
    if (db->n_bad_lines > 0)
        status = report("load", USERDB_ERR_MALFORMED, db->bad_lines[0]);
    else if ((rec = userdb_find(db, name)) == NULL)
        status = report("show", USERDB_ERR_NOT_FOUND, 0);
    else if (printf("%llu\n", (unsigned long long)rec->gen) > 0)
        status = 0;
    userdb_free(db);
    return status;
}

static int
run(int argc, char **argv)
{
    const char *path = argv[1], *verb = argv[2];
    size_t bad_line = 0;

    if (strcmp(verb, "bump") == 0 && (argc == 4 || argc == 5)) {
        uint64_t count = 1;
        if (argc == 5 && !conf_parse_uint(argv[4], 1, UINT64_MAX, &count))
            return 2;
        for (uint64_t i = 0; i < count; i++) {
            userdb_result r =
                userdb_update(path, -1, (uid_t)-1, (gid_t)-1, bump, argv[3], &bad_line);
            if (r != USERDB_OK)
                return report("bump", r, bad_line);
        }
        return 0;
    }
    if (strcmp(verb, "add") == 0 && argc == 5) {
        struct add_ctx a = {argv[3], argv[4]};
        return report("add", userdb_update(path, -1, (uid_t)-1, (gid_t)-1, add, &a, &bad_line),
                      bad_line);
    }
    if (strcmp(verb, "show") == 0 && argc == 4)
        return show(path, argv[3]);
    return 2;
}

int
main(int argc, char **argv)
{
    int status = argc >= 4 ? run(argc, argv) : 2;

    if (status == 2)
        fputs("usage: userdb-tool FILE bump NAME [COUNT] | add NAME SCOPES | show NAME\n", stderr);
    return status;
}

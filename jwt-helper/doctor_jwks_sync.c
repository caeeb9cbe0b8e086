/* SPDX-License-Identifier: MIT */
/* doctor's check of the provider key sets `jwks sync` keeps (jwt-helper(1), jwks sync):
 * a sync file that does not parse, and a set whose last successful check
 * (its stamp, never the file's mtime) is more than a day old. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "doctor.h"
#include "jwks_install.h"
#include "jwks_sync.h"

/* The timer runs hourly: a day without a good sync is many failures. */
#define STALE_AFTER_SECONDS (24 * 3600)

/* The sync parser's messages already start with "PATH:LINE: ". */
static void
report_finding(void *ctx, const char *message)
{
    doctor_finding(ctx, DOCTOR_WARNING, NULL, 0, "%s; fix the file (jwt-helper(1), jwks sync)",
                   message);
}

/* Judges the stamp of the set conf names; path and name are the sync file's. */
static void
judge_stamp(struct doctor *d, const char *path, const char *name, const struct jwks_sync_conf *c)
{
    char *stamp = jwks_stamp_path(c->out), *text = NULL;
    uint64_t when = 0;
    size_t len = 0;
    jwt_result r;
    long long age;

    if (stamp == NULL)
        return;
    r = jwt_file_read(stamp, 32, -1, &text, &len);
    if (r == JWT_ERR_FILE_OPEN && errno == ENOENT) {
        doctor_finding(d, DOCTOR_WARNING, path, 0,
                       "the key set %s has no stamp: no sync of it ever succeeded; run "
                       "`jwt-helper jwks sync %s` and enable jwt-jwks-sync@%s.timer",
                       c->out, name, name);
    } else if (r == JWT_ERR_FILE_OPEN) {
        doctor_unreadable(d, stamp, strerror(errno), "the age of a synced key set");
    } else if (r != JWT_OK || len == 0 || text[len - 1] != '\n' ||
               (text[len - 1] = '\0', !conf_parse_uint(text, 0, INT64_MAX, &when))) {
        doctor_finding(d, DOCTOR_WARNING, stamp, 0,
                       "not a stamp `jwks sync` wrote (%s); run `jwt-helper jwks sync %s`",
                       r != JWT_OK ? jwt_result_str(r) : "not a Unix time and a newline", name);
    } else if ((age = (long long)time(NULL) - (long long)when) > STALE_AFTER_SECONDS) {
        doctor_finding(d, DOCTOR_WARNING, path, 0,
                       "the key set %s was last synced %lld hours ago; the provider's next key "
                       "will not verify: see `systemctl status jwt-jwks-sync@%s` and run "
                       "`jwt-helper jwks sync %s`",
                       c->out, age / 3600, name, name);
    }
    free(text);
    free(stamp);
}

/* One NAME.conf: read by the rules `jwks sync` reads it by, parsed by the
 * very parser it uses. */
static void
judge_sync_file(struct doctor *d, const char *file)
{
    char path[sizeof(JWKS_SYNC_DIR) + 256], name[256], *text = NULL;
    struct conf_reporter rep = {.report = report_finding, .source = path};
    struct jwks_sync_conf c;
    size_t n = strlen(file), len = 0;
    jwt_result r;

    if (n <= 5 || strcmp(file + n - 5, ".conf") != 0 || n - 5 >= sizeof name)
        return;
    snprintf(name, sizeof name, "%.*s", (int)(n - 5), file);
    snprintf(path, sizeof path, "%s/%s", JWKS_SYNC_DIR, file);
    if (!jwks_sync_name_is_valid(name)) {
        doctor_finding(d, DOCTOR_WARNING, path, 0,
                       "`jwks sync` takes no such name (letters, digits, '_', '-', '.'); "
                       "rename the file");
        return;
    }
    if ((r = jwt_file_read(path, JWKS_SYNC_MAX_CONF_BYTES, -1, &text, &len)) != JWT_OK) {
        if (r == JWT_ERR_FILE_OPEN)
            doctor_unreadable(d, path, strerror(errno), "a synced key set");
        else
            doctor_finding(d, DOCTOR_WARNING, path, 0,
                           "%s: `jwks sync` will not read it; make it root's, not writable by "
                           "group or others, at most %d bytes",
                           jwt_result_str(r), JWKS_SYNC_MAX_CONF_BYTES);
        return;
    }
    rep.ctx = d;
    if (jwks_sync_conf_parse(text, len, &rep, &c)) {
        judge_stamp(d, path, name, &c);
        jwks_sync_conf_free(&c);
    }
    free(text);
}

void
doctor_jwks_sync_check(struct doctor *d)
{
    struct dirent **names = NULL;
    int n;

    if ((n = scandir(JWKS_SYNC_DIR, &names, NULL, alphasort)) < 0) {
        if (errno != ENOENT)
            doctor_unreadable(d, JWKS_SYNC_DIR, strerror(errno), "the synced key sets");
        return;
    }
    for (int i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.')
            judge_sync_file(d, names[i]->d_name);
        free(names[i]);
    }
    free(names);
}

/* SPDX-License-Identifier: MIT */
/* A small TAP producer for unit tests: each check is one "ok"/"not ok" line,
 * failures print file:line and both values. */
#ifndef PAM_JWT_TEST_CHECK_H
#define PAM_JWT_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_count;
static int check_failed;

static void
check_report(int ok, const char *file, int line, const char *what)
{
    check_count++;
    if (!ok)
        check_failed++;
    printf("%s %d - %s\n", ok ? "ok" : "not ok", check_count, what);
    if (!ok)
        printf("# failed at %s:%d\n", file, line);
}

#define CHECK(cond, what) check_report((cond) != 0, __FILE__, __LINE__, (what))

#define CHECK_INT(got, want, what)                                                                 \
    do {                                                                                           \
        long long check_g_ = (long long)(got), check_w_ = (long long)(want);                       \
        check_report(check_g_ == check_w_, __FILE__, __LINE__, (what));                            \
        if (check_g_ != check_w_)                                                                  \
            printf("#   got %lld, want %lld\n", check_g_, check_w_);                               \
    } while (0)

#define CHECK_STR(got, want, what)                                                                 \
    do {                                                                                           \
        const char *check_g_ = (got), *check_w_ = (want);                                          \
        int check_ok_ = (check_g_ == NULL && check_w_ == NULL) ||                                  \
                        (check_g_ != NULL && check_w_ != NULL && strcmp(check_g_, check_w_) == 0); \
        check_report(check_ok_, __FILE__, __LINE__, (what));                                       \
        if (!check_ok_)                                                                            \
            printf("#   got \"%s\", want \"%s\"\n", check_g_ ? check_g_ : "(null)",                \
                   check_w_ ? check_w_ : "(null)");                                                \
    } while (0)

/* jwt_result comparison that prints both reasons. */
#define CHECK_RESULT(got, want, what)                                                              \
    do {                                                                                           \
        jwt_result check_g_ = (got), check_w_ = (want);                                            \
        check_report(check_g_ == check_w_, __FILE__, __LINE__, (what));                            \
        if (check_g_ != check_w_)                                                                  \
            printf("#   got \"%s\", want \"%s\"\n", jwt_result_str(check_g_),                      \
                   jwt_result_str(check_w_));                                                      \
    } while (0)

/* Prints the plan and returns the exit status for main. */
static int
check_done(void)
{
    printf("1..%d\n", check_count);
    return check_failed == 0 ? 0 : 1;
}

#endif

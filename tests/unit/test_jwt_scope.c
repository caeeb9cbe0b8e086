/* SPDX-License-Identifier: MIT */
/* Tests for scope words (RFC 6749 §3.3): each refusal beside an accepted twin. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "jwt.h"

#define S(x) (x), strlen(x)

/* Every byte against the ABNF: %x21 / %x23-5B / %x5D-7E and nothing else. */
static void
test_chars(void)
{
    size_t wrong = 0;

    for (unsigned c = 0; c < 256; c++) {
        bool want = c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
        if (jwt_scope_char_is_valid((unsigned char)c) != want)
            wrong++;
    }
    CHECK_INT(wrong, 0, "chars: every byte as RFC 6749 §3.3 says");
    CHECK(jwt_scope_token_is_valid(S("User.Read")), "token: User.Read");
    CHECK(jwt_scope_token_is_valid(S("a!#[]~/:")), "token: punctuation of NQCHAR");
    CHECK(!jwt_scope_token_is_valid(S("a\"b")), "token: a quote refused");
    CHECK(!jwt_scope_token_is_valid(S("a\\b")), "token: a backslash refused");
    CHECK(!jwt_scope_token_is_valid(S("a b")), "token: a space refused");
    CHECK(!jwt_scope_token_is_valid(S("caf\xc3\xa9")), "token: non-ASCII refused");
    CHECK(!jwt_scope_token_is_valid(S("")), "token: empty refused");
    CHECK(!jwt_scope_token_is_valid("a\0b", 3), "token: NUL refused");
}

static void
test_plain(void)
{
    CHECK(jwt_scope_token_is_plain(S("sudo-i_2.x")), "plain: [a-z0-9_.-]");
    CHECK(!jwt_scope_token_is_plain(S("SSH")), "plain: capitals refused");
    CHECK(!jwt_scope_token_is_plain(S("ss/h")), "plain: '/' refused (a scope-token still)");
    CHECK(!jwt_scope_token_is_plain(S("")), "plain: empty refused");
    CHECK(!jwt_scope_token_is_plain("ss\0h", 4), "plain: NUL refused");
}

static void
test_lists(void)
{
    static const char *const bad[] = {" ssh", "ssh ", "ssh  sudo", "ssh\tsudo", "ssh \"x\""};

    CHECK(jwt_scope_is_valid(S("ssh")), "list: one word");
    CHECK(jwt_scope_is_valid(S("ssh sudo User.Read")), "list: single spaces");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(!jwt_scope_is_valid(S(bad[i])), bad[i]);
    CHECK(!jwt_scope_is_valid(S("")), "list: empty is no scope");
}

static void
test_matching(void)
{
    static const char *const want_sudo[] = {"sudo"};
    static const char *const want_two[] = {"sudo", "ssh"};
    const char *pos = "  ssh  sudo ", *word = NULL;
    size_t n;

    n = jwt_scope_next(&pos, &word);
    CHECK(n == 3 && strncmp(word, "ssh", n) == 0, "next: first word, blanks skipped");
    n = jwt_scope_next(&pos, &word);
    CHECK(n == 4 && strncmp(word, "sudo", n) == 0, "next: second word");
    CHECK_INT(jwt_scope_next(&pos, &word), 0, "next: end");
    CHECK_INT(jwt_scope_count("ssh sudo ssh", S("ssh")), 2, "count: each time");
    CHECK_INT(jwt_scope_count("sudoers xsudo", S("sudo")), 0, "count: only whole words");
    CHECK_INT(jwt_scope_count(NULL, S("sudo")), 0, "count: no scope");
    CHECK(jwt_scope_grants("ssh sudo", want_sudo, 1), "grants: the word present");
    CHECK(!jwt_scope_grants("sudoers", want_sudo, 1), "grants: a prefix is not the word");
    CHECK(!jwt_scope_grants("sudo", want_two, 2), "grants: every word needed");
    CHECK(jwt_scope_grants("ssh sudo", want_two, 2), "grants: every word there");
    CHECK(jwt_scope_grants(NULL, want_two, 0), "grants: nothing wanted");
    CHECK(!jwt_scope_grants(NULL, want_sudo, 1), "grants: no scope held");
}

int
main(void)
{
    test_chars();
    test_plain();
    test_lists();
    test_matching();
    return check_done();
}

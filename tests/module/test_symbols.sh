#!/bin/sh
# SPDX-License-Identifier: MIT
# Checks that the built pam_jwt.so exports exactly the six pam_sm_* entry points,
# and that it holds none of the issuing core (libjwtissue, Makefile.am): code
# only the daemon and CLI need has no place in every PAM client's memory.
set -u

: "${top_builddir:=.}"
module="$top_builddir/.libs/pam_jwt.so"
expected='pam_sm_acct_mgmt
pam_sm_authenticate
pam_sm_chauthtok
pam_sm_close_session
pam_sm_open_session
pam_sm_setcred'
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }

# Defined dynamic symbols of $1, names only, sorted.
exported() {
    nm -D --defined-only "$1" | awk 'NF >= 3 { print $3 }' | sed 's/@.*//' | LC_ALL=C sort -u
}

# Functions of the issuing core (HS256, the JWS builder, private key
# files: every global function of libjwtissue, so a new one is checked too);
# none may be in the module, exported or not.
issuing=$(nm --defined-only "$top_builddir/.libs/libjwtissue.a" 2>/dev/null |
    awk '$2 == "T" { print $3 }' | LC_ALL=C sort -u)

# Every defined symbol of $1's full symbol table, hidden ones included
# (the core is built -fvisibility=hidden: nm -D alone never sees it).
defined() {
    nm --defined-only "$1" 2>/dev/null | awk 'NF >= 3 { print $3 }' | LC_ALL=C sort -u
}

# Prints the functions of the issuing core that $1 holds.
issuing_in() {
    defined "$1" | grep -Fx "$issuing"
}

# True when $1 exports a symbol of the core's prefixes.
leaks() {
    nm -D --defined-only "$1" | grep -Eq ' (jwt_|conf_|module_|secret_)'
}

if ! command -v nm >/dev/null 2>&1; then
    echo "1..0 # SKIP nm (binutils) not installed"
    exit 0
fi
if [ ! -f "$module" ]; then
    echo "1..1"
    echo "not ok 1 - $module exists (build pam_jwt.la first)"
    exit 1
fi

got=$(exported "$module")
if [ "$got" = "$expected" ]; then
    ok "pam_jwt.so exports exactly the pam_sm_* entry points"
else
    not_ok "pam_jwt.so exports exactly the pam_sm_* entry points"
    echo "$got" | diff -u /dev/fd/3 - 3<<E | sed 's/^/# /'
$expected
E
fi

# The twins: the same comparison accepts a library exporting exactly the
# six entry points and rejects one exporting a seventh, both built here, so
# a broken "exported" (seeing nothing, or everything) turns one of them red.
twin() { # NAME EXTRA_C_LINE: builds $T/NAME.so with the six and EXTRA_C_LINE
    { for f in $expected; do
        printf 'int %s(void *p, int f, int c, const char **v) { (void)p; (void)f; (void)c; (void)v; return 0; }\n' "$f"
      done; printf '%s\n' "$2"; } >"$T/$1.c"
    ${CC:-cc} -shared -fPIC -o "$T/$1.so" "$T/$1.c" 2>"$T/$1.err"
}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
if ! twin exact "" || ! twin extra "int jwt_leak(void) { return 1; }" ||
    ! twin builder "__attribute__((visibility(\"hidden\"))) int jwt_jws_compact(void) { return 1; }
int jwt_uses_it(void) { return jwt_jws_compact(); }"; then
    ok "the comparison tells exports apart # SKIP no C compiler to build the twins"
else
    if [ "$(exported "$T/exact.so")" = "$expected" ]; then ok "the comparison accepts the six alone"
    else not_ok "the comparison accepts the six alone"; fi
    if [ "$(exported "$T/extra.so")" != "$expected" ]; then ok "the comparison rejects a seventh export"
    else not_ok "the comparison rejects a seventh export"; fi
    if leaks "$T/extra.so"; then ok "the leak check sees a jwt_ export"
    else not_ok "the leak check sees a jwt_ export"; fi
    if [ "$(issuing_in "$T/builder.so")" = jwt_jws_compact ] && [ -z "$(issuing_in "$T/exact.so")" ]
    then ok "the issuing-core check sees a hidden jwt_jws_compact, and only there"
    else not_ok "the issuing-core check sees a hidden jwt_jws_compact, and only there"; fi
fi

# The module's own symbol table: the verify core must be visible in it (else
# the check below would pass on a stripped file that shows nothing), and
# nothing of the issuing core may be.
if ! printf '%s\n' "$issuing" | grep -qx jwt_hs256_sign; then
    not_ok "the issuing core's functions are read from libjwtissue.a (jwt_hs256_sign among them)"
elif defined "$module" | grep -qx jwt_verify; then
    ok "pam_jwt.so's symbol table is readable (jwt_verify found)"
    found=$(issuing_in "$module")
    if [ -z "$found" ]; then
        ok "pam_jwt.so holds nothing of the issuing core (HS256, JWS builder, secret files)"
    else
        not_ok "pam_jwt.so holds nothing of the issuing core (HS256, JWS builder, secret files)"
        echo "$found" | sed 's/^/# linked into the module: /'
    fi
else
    not_ok "pam_jwt.so's symbol table is readable (jwt_verify found): stripped?"
fi

# No core symbol leaks, whatever its prefix.
if leaks "$module"; then
    not_ok "no jwt_/conf_/module_/secret_ symbol exported"
else
    ok "no jwt_/conf_/module_/secret_ symbol exported"
fi

# Linked with -z nodelete (pam_jwt(8), SECURITY NOTES): the key-set cache survives pam_end.
if readelf -d "$module" 2>/dev/null | grep -q 'NODELETE'; then
    ok "pam_jwt.so is marked NODELETE"
else
    not_ok "pam_jwt.so is marked NODELETE"
fi

echo "1..$n"
exit $failed

#!/bin/sh
# SPDX-License-Identifier: MIT
# Checks that the built pam_jwt.so exports exactly the six pam_sm_* entry points.
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

# The failing twin: the same comparison tells a library that exports more.
other=$(ldd "$module" | awk '/libjson-c|libcrypto|libsodium/ { print $3; exit }')
if [ -n "$other" ] && [ "$(exported "$other")" != "$expected" ]; then
    ok "the comparison rejects a library with other exports ($(basename "$other"))"
else
    not_ok "the comparison rejects a library with other exports"
fi

# No core symbol leaks, whatever its prefix.
if nm -D --defined-only "$module" | grep -Eq ' (jwt_|conf_|module_|secret_)'; then
    not_ok "no jwt_/conf_/module_/secret_ symbol exported"
else
    ok "no jwt_/conf_/module_/secret_ symbol exported"
fi

# Linked with -z nodelete (DESIGN §3): the key-set cache survives pam_end.
if readelf -d "$module" 2>/dev/null | grep -q 'NODELETE'; then
    ok "pam_jwt.so is marked NODELETE"
else
    not_ok "pam_jwt.so is marked NODELETE"
fi

echo "1..$n"
exit $failed

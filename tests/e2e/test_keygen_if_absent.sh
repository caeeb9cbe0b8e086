#!/bin/sh
# SPDX-License-Identifier: MIT
# `jwt-helper keygen --if-absent`, as the daemon's unit runs it before each
# start (jwt-helper(1) keygen --if-absent): keys made once, kept afterwards, a partial set refused.
set -u
: "${top_builddir:?run from make check}"
HELPER="$top_builddir/jwt-helper/jwt-helper"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0 failed=0

# check DESC WANT_EXIT CMD...: the command's exit code; its output is kept
# in $T/out and $T/err for the next check to read.
check() {
    desc=$1 want=$2; shift 2
    n=$((n + 1))
    "$@" >"$T/run.out" 2>"$T/run.err"; rc=$?
    mv "$T/run.out" "$T/out"; mv "$T/run.err" "$T/err"
    if [ "$rc" = "$want" ]; then echo "ok $n - $desc"
    else failed=$((failed + 1)); echo "not ok $n - $desc (exit $rc, want $want)"
        sed 's/^/#   /' "$T/out" "$T/err"; fi
}
sums() { (cd "$1" && cksum signing.jwk refresh.key jwks.json 2>/dev/null); }
# same_key FILE: FILE's checksum line is in $T/before, unchanged.
same_key() { (cd "$K" && cksum "$1") | grep -qxF -f - "$T/before"; }

K="$T/keys"
check "--if-absent creates the keys where none exists" 0 "$HELPER" keygen --if-absent --dir "$K"
check "all three files are there" 0 test -s "$K/signing.jwk" -a -s "$K/refresh.key" -a -s "$K/jwks.json"
check "signing.jwk is 0640" 0 test "$(stat -c %a "$K/signing.jwk")" = 640
sums "$K" >"$T/before"
check "--if-absent with all three present exits 0" 0 "$HELPER" keygen --if-absent --dir "$K"
check "and says there is nothing to do" 0 grep -q "nothing to do" "$T/out"
check "and changed no key" 0 sh -c "(cd '$K' && cksum signing.jwk refresh.key jwks.json) | cmp -s - '$T/before'"
check "without --if-absent the same directory is still refused" 1 "$HELPER" keygen --dir "$K"

# A key set copied in for verification (jwks.json alone): no signing key
# may be made beside it, it would not match the set.
mkdir "$T/copied"; cp "$K/jwks.json" "$T/copied/"
check "--if-absent refuses a partial set" 4 "$HELPER" keygen --if-absent --dir "$T/copied"
check "naming each missing file" 0 sh -c "grep -q 'signing.jwk is missing' '$T/err' && grep -q 'refresh.key is missing' '$T/err'"
check "and wrote nothing" 0 test "$(ls -A "$T/copied")" = jwks.json
rm "$K/refresh.key"
check "a set that lost refresh.key is refused too" 4 "$HELPER" keygen --if-absent --dir "$K"
check "leaving signing.jwk as it was" 0 same_key signing.jwk
check "--force with --if-absent is a usage error" 2 "$HELPER" keygen --force --if-absent --dir "$T/k3"
check "which made no directory" 1 test -e "$T/k3"

echo "1..$n"
[ "$failed" = 0 ]

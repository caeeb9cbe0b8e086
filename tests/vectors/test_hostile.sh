#!/bin/sh
# SPDX-License-Identifier: MIT
# Feeds the hostile-token catalogue of mint_hostile.py to `jwt-helper verify`:
# each token must get its one expected line and exit code, accepted controls
# included, and no output may ever repeat the token's signature.
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=.}"
py=${DEBIAN_PYTHON3:-/usr/bin/python3}
helper=$top_builddir/jwt-helper/jwt-helper
mint=$top_srcdir/tests/vectors/mint_hostile.py

if [ -z "$py" ] || ! "$py" -c 'import cryptography' 2>/dev/null; then
    echo "1..0 # SKIP $py lacks the cryptography module (apt install python3-cryptography)"
    exit 0
fi
if [ ! -x "$helper" ]; then
    echo "Bail out! $helper is not built"
    exit 1
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
if ! "$py" "$mint" "$tmp" >"$tmp/mint.log" 2>&1; then
    echo "Bail out! mint_hostile.py failed: $(tail -n 1 "$tmp/mint.log")"
    exit 1
fi
conf=$tmp/pam_jwt.conf
. "$top_srcdir/tests/vectors/cases.sh"

run_cases "$tmp/cases" "$conf"

# The environment is hostile too: unusable configuration or key set exits 4.
slurp good "$tmp/cases/1.token"
sig=${good##*.}
# expect_exit WANT NAME ARGS...: runs verify with ARGS and checks the exit code.
expect_exit() {
    want_rc=$1 name=$2
    shift 2
    "$helper" verify "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
    rc=$?
    slurp got "$tmp/out"
    slurp err "$tmp/err"
    status=0
    [ "$rc" -eq "$want_rc" ] || status=1
    case "$got$err" in
    *"$sig"*) status=1 ;;
    esac
    report "$status" "$name -> exit $want_rc" "got exit $rc: $got $err"
}
expect_exit 0 "control: the catalogue's configuration accepts a good token" --config "$conf" "$good"
cp "$conf" "$tmp/loose.conf"
chmod 0666 "$tmp/loose.conf"
expect_exit 4 "world-writable configuration file" --config "$tmp/loose.conf" "$good"
cp "$tmp/jwks.json" "$tmp/loose.jwks"
chmod 0666 "$tmp/loose.jwks"
sed "s|^jwks = .*|jwks = $tmp/loose.jwks|" "$conf" >"$tmp/loose-jwks.conf"
expect_exit 4 "world-writable key set" --config "$tmp/loose-jwks.conf" "$good"
"$py" -c 'import json,sys; s=json.load(open(sys.argv[1])); s["keys"]=[k for k in s["keys"] if k["kid"]=="rsa1024"]; json.dump(s,open(sys.argv[2],"w"))' \
    "$tmp/jwks.json" "$tmp/weak.jwks"
sed "s|^jwks = .*|jwks = $tmp/weak.jwks|" "$conf" >"$tmp/weak.conf"
expect_exit 4 "key set holding only an RSA-1024 key" --config "$tmp/weak.conf" "$good"
expect_exit 4 "missing --config file" --config "$tmp/absent.conf" "$good"
expect_exit 2 "verify without a token (usage)" --config "$conf"

echo "1..$count"
[ "$failed" -eq 0 ]

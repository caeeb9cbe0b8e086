#!/bin/sh
# SPDX-License-Identifier: MIT
# Interoperability with Debian's PyJWT and jwcrypto: tokens they sign for
# every access-token alg pass `jwt-helper verify` (tampered twins fail), and
# tokens our signer makes, with keys from our keygen, pass theirs.
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=.}"
py=${DEBIAN_PYTHON3:-/usr/bin/python3}
helper=$top_builddir/jwt-helper/jwt-helper
mint=$top_builddir/tests/tools/jwt-mint
interop=$top_srcdir/tests/vectors/interop_python.py
issuer=https://issuer.interop.test
audience=pam-interop

if [ -z "$py" ] || ! "$py" -c 'import jwt, jwcrypto, cryptography' 2>/dev/null; then
    echo "1..0 # SKIP ${py:-python3} lacks jwt or jwcrypto (apt install python3-jwt python3-jwcrypto)"
    exit 0
fi
for prog in "$helper" "$mint"; do
    if [ ! -x "$prog" ]; then
        echo "Bail out! $prog is not built"
        exit 1
    fi
done

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
. "$top_srcdir/tests/vectors/cases.sh"
tab=$(printf '\t')

# (a) PyJWT and jwcrypto sign, we verify.
if ! "$py" "$interop" mint "$tmp" >"$tmp/mint.log" 2>&1; then
    echo "Bail out! interop_python.py mint failed: $(tail -n 1 "$tmp/mint.log")"
    exit 1
fi
run_cases "$tmp/cases" "$tmp/pam_jwt.conf"

# verify_line NAME WANT CONF TOKEN: our verify must print exactly WANT.
verify_line() {
    name=$1 want=$2
    "$helper" verify --config "$3" "$4" </dev/null >"$tmp/out" 2>"$tmp/err"
    rc=$?
    slurp got "$tmp/out"
    slurp err "$tmp/err"
    status=0
    case $want in
    accepted:*) [ "$rc" -eq 0 ] ;;
    *) [ "$rc" -eq 1 ] ;;
    esac || status=1
    [ "$got" = "$want" ] || status=1
    report "$status" "$name" "want: $want" "got:  $got (exit $rc)" "$err"
}

# (b) our keygen and signer, their verifiers; their signer with our key.
for alg in EdDSA ES256 RS256; do
    dir=$tmp/keygen-$alg
    mkdir -p "$dir"
    if ! "$helper" keygen --alg "$alg" --dir "$dir" >"$tmp/out" 2>"$tmp/err" ||
        [ ! -s "$dir/signing.jwk" ] || [ ! -s "$dir/jwks.json" ]; then
        slurp err "$tmp/err"
        report 1 "$alg: keygen writes signing.jwk and jwks.json" "$err"
        continue
    fi
    report 0 "$alg: keygen writes signing.jwk and jwks.json"
    conf=$dir/pam_jwt.conf
    printf 'jwks = %s\nissuer = %s\naudience = %s\n' "$dir/jwks.json" "$issuer" "$audience" >"$conf"
    now=$(date +%s)
    exp=$((now + 300))
    claims="{\"iss\":\"$issuer\",\"aud\":\"$audience\",\"sub\":\"ours-$alg\",\"iat\":$now,\"exp\":$exp,\"scope\":\"ssh\"}"
    token=$("$mint" --key "$dir/signing.jwk" "$claims" 2>"$tmp/err")
    if [ -z "$token" ]; then
        slurp err "$tmp/err"
        report 1 "$alg: jwt-mint signs a token" "$err"
        continue
    fi
    verify_line "$alg: our verify accepts jwt-mint's token" \
        "accepted: sub=ours-$alg exp=$exp scope=ssh" "$conf" "$token"
    if ! "$py" "$interop" judge "$dir/jwks.json" "$token" "$issuer" "$audience" >"$tmp/judged" 2>"$tmp/err"; then
        slurp err "$tmp/err"
        report 1 "$alg: PyJWT and jwcrypto judge our token" "$err"
    fi
    while IFS=$tab read -r status what detail; do
        report "$status" "$alg: $what" "$detail"
    done <"$tmp/judged"

    claims="{\"iss\":\"$issuer\",\"aud\":\"$audience\",\"sub\":\"jwcrypto-$alg\",\"iat\":$now,\"exp\":$exp,\"scope\":\"ssh\"}"
    : >"$tmp/signed.ours"
    : >"$tmp/signed.stranger"
    "$py" "$interop" sign "$dir/signing.jwk" "$claims" "$tmp/signed" 2>"$tmp/err"
    slurp theirs "$tmp/signed.ours"
    verify_line "$alg: our verify accepts jwcrypto's token signed with our signing.jwk" \
        "accepted: sub=jwcrypto-$alg exp=$exp scope=ssh" "$conf" "$theirs"
    slurp stranger "$tmp/signed.stranger"
    verify_line "$alg: our verify rejects a stranger key's token under our kid" \
        "rejected: bad signature" "$conf" "$stranger"
done

echo "1..$count"
[ "$failed" -eq 0 ]

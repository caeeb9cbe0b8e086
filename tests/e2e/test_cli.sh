#!/bin/sh
# SPDX-License-Identifier: MIT
# jwt-helper's verbs as a user runs them: exit codes, output lines, files.
set -u
: "${top_builddir:?run from make check}"
HELPER="$top_builddir/jwt-helper/jwt-helper"
MINT="$top_builddir/tests/tools/jwt-mint"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0 failed=0

# ok DESC CMD...: the command succeeds.
ok() {
    desc=$1; shift
    n=$((n + 1))
    # Its own output files: the command may be reading the last "expect"'s.
    if "$@" >"$T/ok.out" 2>"$T/ok.err"; then echo "ok $n - $desc"
    else failed=$((failed + 1)); echo "not ok $n - $desc"; sed 's/^/#   /' "$T/ok.out" "$T/ok.err"; fi
}
# expect DESC WANT_EXIT WANT_STDOUT_LINE CMD...: exit code and first stdout line.
expect() {
    desc=$1 want_rc=$2 want_out=$3; shift 3
    n=$((n + 1))
    "$@" >"$T/out" 2>"$T/err"; rc=$?
    got=$(head -n 1 "$T/out")
    if [ "$rc" = "$want_rc" ] && { [ -z "$want_out" ] || [ "$got" = "$want_out" ]; }; then
        echo "ok $n - $desc"
    else
        failed=$((failed + 1)); echo "not ok $n - $desc"
        echo "#   exit $rc (want $want_rc), stdout \"$got\" (want \"$want_out\")"
        sed 's/^/#   stderr: /' "$T/err"
    fi
}

now=$(date +%s)
"$HELPER" keygen --alg EdDSA --dir "$T/keys" >/dev/null 2>&1
cat >"$T/pam_jwt.conf" <<CONF
# test configuration
jwks = $T/keys/jwks.json
issuer = test-issuer
audience = pam
CONF
chmod 600 "$T/pam_jwt.conf"
payload() { # sub exp [extra]
    printf '{"iss":"test-issuer","sub":"%s","aud":"pam","iat":%s,"exp":%s,"jti":"j%s","scope":"ssh sudo"%s}' \
        "$1" "$now" "$2" "$2" "${3:-}"
}
good=$("$MINT" --key "$T/keys/signing.jwk" --typ at+jwt "$(payload alice $((now + 300)))")
expired=$("$MINT" --key "$T/keys/signing.jwk" --typ at+jwt "$(payload alice $((now - 120)))")
sig=${good##*.}

# --- keygen ---
ok "keygen wrote the three files" test -s "$T/keys/signing.jwk" -a -s "$T/keys/refresh.key" -a -s "$T/keys/jwks.json"
ok "signing.jwk is 0640" test "$(stat -c %a "$T/keys/signing.jwk")" = 640
ok "refresh.key is 0640" test "$(stat -c %a "$T/keys/refresh.key")" = 640
ok "jwks.json is 0644" test "$(stat -c %a "$T/keys/jwks.json")" = 644
ok "refresh.key is 43 base64url characters and a newline" \
    sh -c "[ \$(wc -c <'$T/keys/refresh.key') = 44 ] && grep -Eq '^[A-Za-z0-9_-]{43}\$' '$T/keys/refresh.key'"
cp "$T/keys/jwks.json" "$T/jwks.before"
expect "keygen refuses to overwrite" 1 "" "$HELPER" keygen --dir "$T/keys"
ok "and left the key set as it was" cmp "$T/keys/jwks.json" "$T/jwks.before"
ok "keygen --force replaces the keys" "$HELPER" keygen --force --dir "$T/keys"
ok "with a new key" sh -c "! cmp -s '$T/keys/jwks.json' '$T/jwks.before'"
cp "$T/jwks.before" "$T/keys/jwks.json"
expect "keygen with an unknown alg is a usage error" 2 "" "$HELPER" keygen --alg HS256 --dir "$T/k2"

# --- verify ---
expect "verify accepts a good token" 0 "accepted: sub=alice exp=$((now + 300)) scope=ssh sudo" \
    "$HELPER" verify --config "$T/pam_jwt.conf" "$good"
n=$((n + 1))
want="length: ${#good} bytes: fits ssh's 1023-byte prompt, fits sudo's 511"
if grep -qxF "$want" "$T/err"; then echo "ok $n - verify states the token's length against the prompts"; else
    failed=$((failed + 1)); echo "not ok $n - verify states the token's length against the prompts"
    sed 's/^/#   stderr: /' "$T/err"
fi
long=$(printf '%0600d' 0)
"$HELPER" verify --config "$T/pam_jwt.conf" "$long" >/dev/null 2>"$T/err"
n=$((n + 1))
if grep -qxF "length: 600 bytes: fits ssh's 1023-byte prompt, over sudo's 511" "$T/err"; then
    echo "ok $n - verify says a 600-byte token is over sudo's prompt"; else
    failed=$((failed + 1)); echo "not ok $n - verify says a 600-byte token is over sudo's prompt"
    sed 's/^/#   stderr: /' "$T/err"
fi
expect "verify refuses an expired token" 1 "rejected: expired" \
    "$HELPER" verify --config "$T/pam_jwt.conf" "$expired"
expect "verify --user checks the user" 1 "rejected: wrong user" \
    "$HELPER" verify --config "$T/pam_jwt.conf" --user bob "$good"
expect "verify --user accepts the right user" 0 "" \
    "$HELPER" verify --config "$T/pam_jwt.conf" --user alice "$good"
expect "verify --scope needs the scope" 1 "rejected: scope not granted" \
    "$HELPER" verify --config "$T/pam_jwt.conf" --scope admin "$good"
expect "verify reads the token from stdin, one newline allowed" 0 "" \
    sh -c "printf '%s\n' '$good' | '$HELPER' verify --config '$T/pam_jwt.conf' -"
expect "two newlines are not one" 1 "rejected: bad base64url" \
    sh -c "printf '%s\n\n' '$good' | '$HELPER' verify --config '$T/pam_jwt.conf' -"
expect "a missing --config file exits 4" 4 "" \
    "$HELPER" verify --config "$T/nope.conf" "$good"
printf 'jwks = %s\nfrobnicate = 1\n' "$T/keys/jwks.json" >"$T/bad.conf"; chmod 600 "$T/bad.conf"
expect "an unknown option exits 4" 4 "" "$HELPER" verify --config "$T/bad.conf" "$good"
ok "and names the option" grep -q frobnicate "$T/err"
printf '{"keys":[{"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}]}\n' >"$T/oct.json"
expect "a key set with no usable key exits 4" 4 "" \
    "$HELPER" verify --config "$T/pam_jwt.conf" --jwks "$T/oct.json" "$good"
cp "$T/keys/jwks.json" "$T/open.json"; chmod 666 "$T/open.json"
expect "a world-writable key set exits 4" 4 "" \
    "$HELPER" verify --config "$T/pam_jwt.conf" --jwks "$T/open.json" "$good"
ok "and says it is unsafe" grep -q "unsafe file" "$T/err"
ln -s "$T/keys/jwks.json" "$T/link.json"
expect "a symlinked key set exits 4" 4 "" \
    "$HELPER" verify --config "$T/pam_jwt.conf" --jwks "$T/link.json" "$good"
expect "verify without a token is a usage error" 2 "" "$HELPER" verify --config "$T/pam_jwt.conf"
# Change the signature's 10th character to another letter: always a
# different, still canonical signature.
c10=$(printf '%s' "$sig" | cut -c10)
if [ "$c10" = A ]; then swap=B; else swap=A; fi
bad_sig_token="${good%.*}.$(printf '%s' "$sig" | cut -c1-9)$swap$(printf '%s' "$sig" | cut -c11-)"
expect "verify refuses a tampered signature" 1 "" \
    "$HELPER" verify --config "$T/pam_jwt.conf" "$bad_sig_token"
ok "rejection output never contains the signature" sh -c "! grep -qF -- '${sig%??}' '$T/out' '$T/err'"

# --- verify --service: the shipped policy file's blocks, as pam_jwt applies them ---
# The shipped conf/pam_jwt.conf with this test's keys and issuer above its
# policy and the revocation list moved into the test dir.
"$HELPER" keygen --alg EdDSA --dir "$T/pkeys" >/dev/null 2>&1
{
    printf 'jwks = %s\nissuer = test-issuer\n' "$T/pkeys/jwks.json"
    sed "s|^revocation = /var/lib/jwt-helper/revoked\$|revocation = $T/revoked|" \
        "$top_srcdir/conf/pam_jwt.conf"
} >"$T/shipped.conf"
chmod 600 "$T/shipped.conf"
: >"$T/revoked"
chmod 644 "$T/revoked"
host=$(hostname | cut -d. -f1)
# policy SCOPE AUTH_AGE: a token for this host, auth_time AUTH_AGE seconds ago.
policy() {
    "$MINT" --key "$T/pkeys/signing.jwk" --typ at+jwt \
        "{\"iss\":\"test-issuer\",\"sub\":\"alice\",\"aud\":\"host:$host\",\"iat\":$now,\"exp\":$((now + 300)),\"jti\":\"p$1$2\",\"scope\":\"$1\",\"auth_time\":$((now - $2))}"
}
ssh_tok=$(policy ssh 10)
sudo_fresh=$(policy sudo 10)
sudo_stale=$(policy sudo 400)
login_tok=$(policy login 10)
expect "verify --service sshd: scope ssh" 0 "" \
    "$HELPER" verify --config "$T/shipped.conf" --service sshd "$ssh_tok"
expect "verify --service sshd: a sudo token" 1 "rejected: scope not granted" \
    "$HELPER" verify --config "$T/shipped.conf" --service sshd "$sudo_fresh"
expect "verify --service sudo-i: fresh login" 0 "" \
    "$HELPER" verify --config "$T/shipped.conf" --service sudo-i "$sudo_fresh"
expect "verify --service sudo-i: step-up" 1 "rejected: auth_time too old" \
    "$HELPER" verify --config "$T/shipped.conf" --service sudo-i "$sudo_stale"
expect "verify --service sudo: an ssh token" 1 "rejected: scope not granted" \
    "$HELPER" verify --config "$T/shipped.conf" --service sudo "$ssh_tok"
expect "verify --service login: no block, scope %s" 0 "" \
    "$HELPER" verify --config "$T/shipped.conf" --service login "$login_tok"
expect "verify --service su-l: a login token" 1 "rejected: scope not granted" \
    "$HELPER" verify --config "$T/shipped.conf" --service su-l "$login_tok"
printf 'alice:%s\n' "$now" >"$T/revoked"
expect "verify --service sshd: revocation is on" 1 "rejected: revoked" \
    "$HELPER" verify --config "$T/shipped.conf" --service sshd "$ssh_tok"
expect "verify --user bob: another user's line does not count" 1 "rejected: wrong user" \
    "$HELPER" verify --config "$T/shipped.conf" --service sshd --user bob "$ssh_tok"
rm -f "$T/revoked"
expect "verify: a missing revocation list exits 4, as the module fails closed" 4 "" \
    "$HELPER" verify --config "$T/shipped.conf" --service sshd "$ssh_tok"
ok "and names the list" grep -q "revocation list $T/revoked: cannot open file" "$T/err"
: >"$T/revoked"
expect "verify without --service: %s cannot expand" 4 "" \
    "$HELPER" verify --config "$T/shipped.conf" "$ssh_tok"
ok "and says so" grep -q 'scope: %s needs a service name' "$T/err"
expect "verify --scope without --service: the argument replaces the file's %s" 0 "" \
    "$HELPER" verify --config "$T/shipped.conf" --scope ssh "$ssh_tok"
expect "verify --scope sudo without --service: and is checked" 1 "rejected: scope not granted" \
    "$HELPER" verify --config "$T/shipped.conf" --scope sudo "$ssh_tok"

# --- decode ---
expect "decode prints the header first" 0 'header: {"alg":"EdDSA","typ":"at+jwt","kid":"'"$(sed -n 's/.*"kid":"\([^"]*\)".*/\1/p' "$T/keys/jwks.json")"'"}' \
    "$HELPER" decode "$good"
ok "decode shows the claims" grep -q '"sub":"alice"' "$T/out"
ok "decode never prints the signature" sh -c "! grep -qF -- '$sig' '$T/out'"
expect "decode refuses two segments" 1 "cannot decode: not three segments" "$HELPER" decode "a.b"

# --- jwks ---
expect "jwks prints the key set" 0 "{" "$HELPER" jwks --jwks "$T/keys/jwks.json"
ok "with the key's kid" grep -q "\"kid\":\"$(sed -n 's/.*"kid":"\([^"]*\)".*/\1/p' "$T/keys/jwks.json")\"" "$T/out"
expect "jwks of an unusable set exits 4" 4 "" "$HELPER" jwks --jwks "$T/oct.json"
expect "an unknown verb is a usage error" 2 "" "$HELPER" frobnicate

echo "1..$n"
[ "$failed" -eq 0 ]

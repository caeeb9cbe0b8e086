#!/bin/sh
# SPDX-License-Identifier: MIT
# `jwt-helper keys rotate|activate|prune` on real key files with no daemon
# listening (jwt-helper(1), ROOT VERBS): rotate publishes the next key only, activate
# moves it into place and retires the old one, a retired key keeps
# verifying its tokens until prune drops it, and prune never drops a key
# whose tokens may still be valid, nor the current one. The same with the
# real daemon running: tests/daemon/test_keys_rotation.sh.
set -u
: "${top_builddir:?run from make check}"
HELPER="$top_builddir/jwt-helper/jwt-helper"
MINT="$top_builddir/tests/tools/jwt-mint"
PY=${DEBIAN_PYTHON3:-python3}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0 failed=0
K=$T/keys

pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() {
    desc=$1; shift
    if "$@" >/dev/null 2>&1; then pass "$desc"; else fail "$desc"; fi
}
# run ARGS...: jwt-helper with a time limit; stdout $T/out, stderr $T/err,
# exit code $rc; every output is also kept in $T/all.
run() {
    timeout 120 "$HELPER" "$@" >"$T/out" 2>"$T/err"; rc=$?
    cat "$T/out" "$T/err" >>"$T/all"
}
expect() {
    if [ "$rc" = "$2" ]; then pass "$1"
    else fail "$1"; echo "#   exit $rc (want $2)"; sed 's/^/#   /' "$T/out" "$T/err"; fi
}
keys() { run --config "$T/h.conf" keys "$@"; }
# jq-like helpers in python: the key set's kids, a key's retired, a file's kid.
kids() { "$PY" -c 'import json,sys; print(" ".join(k.get("kid","-") for k in json.load(open(sys.argv[1]))["keys"]))' "$K/jwks.json"; }
retired_of() { "$PY" -c 'import json,sys; print(next((k.get("retired","none") for k in json.load(open(sys.argv[1]))["keys"] if k.get("kid")==sys.argv[2]), "absent"))' "$K/jwks.json" "$1"; }
kid_of() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["kid"])' "$1"; }
# set_retired KID VALUE: hand-edit jwks.json as an administrator would.
set_retired() {
    "$PY" - "$K/jwks.json" "$1" "$2" <<'EOF'
import json, os, sys
path, kid, value = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = json.load(open(path))
for k in s["keys"]:
    if k.get("kid") == kid:
        k["retired"] = value
with open(path + ".new", "w") as f:
    json.dump(s, f)
os.chmod(path + ".new", 0o644)
os.replace(path + ".new", path)
EOF
}
mint() { # mint KEYFILE: an access token valid for five minutes
    now=$(date +%s)
    timeout 30 "$MINT" --key "$1" --typ at+jwt \
        "{\"iss\":\"test-issuer\",\"sub\":\"alice\",\"aud\":\"pam\",\"iat\":$now,\"exp\":$((now + 300)),\"jti\":\"j$now$2\",\"scope\":\"ssh\"}"
}
verifies() { timeout 30 "$HELPER" verify --config "$T/pam_jwt.conf" --jwks "$K/jwks.json" "$1"; }
no_temps() { [ "$(ls -A "$K" | grep -v -x -e jwks.json -e signing.jwk -e signing.jwk.next -e refresh.key | wc -l)" = 0 ]; }

timeout 60 "$HELPER" keygen --dir "$K" >/dev/null 2>&1
cat >"$T/h.conf" <<CONF
jwks = $K/jwks.json
signing_key = $K/signing.jwk
refresh_key = $K/refresh.key
users = $T/users
revocation = $T/revoked
access_ttl = 600
user = nobody
socket = $T/no-daemon.sock
CONF
printf 'jwks = %s\nissuer = test-issuer\naudience = pam\n' "$K/jwks.json" >"$T/pam_jwt.conf"
chmod 600 "$T/h.conf" "$T/pam_jwt.conf"

old_kid=$(kid_of "$K/signing.jwk")
cp "$K/signing.jwk" "$T/old.jwk"
old_token=$(mint "$T/old.jwk" a)
check "a token by the first key verifies" verifies "$old_token"

# --- rotate: the next key, published only ---
keys rotate
expect "keys rotate" 0
new_kid=$(kid_of "$K/signing.jwk.next")
check "signing.jwk.next holds a new key" test -n "$new_kid" -a "$new_kid" != "$old_kid"
check "signing.jwk still holds the current key" test "$(kid_of "$K/signing.jwk")" = "$old_kid"
check "rotate prints the new kid" grep -q "next signing key $new_kid (EdDSA) published" "$T/out"
check "and says to copy the key set, then activate" grep -q "then run jwt-helper keys activate" "$T/out"
check "jwks.json holds the old key and the new one, in order" test "$(kids)" = "$old_kid $new_kid"
check "neither key is retired yet" test "$(retired_of "$old_kid") $(retired_of "$new_kid")" = "none none"
check "jwt-helper jwks accepts the set with both keys" sh -c \
    "'$HELPER' jwks --jwks '$K/jwks.json' | grep -c '\"kid\"' | grep -qx 2"
check "signing.jwk.next is mode 0640, as signing.jwk" test "$(stat -c %a "$K/signing.jwk.next")" = 640
check "and has its owner and group" test "$(stat -c %u:%g "$K/signing.jwk.next")" = "$(stat -c %u:%g "$K/signing.jwk")"
check "jwks.json is mode 0644" test "$(stat -c %a "$K/jwks.json")" = 644
check "no temporary file is left" no_temps
new_token=$(mint "$K/signing.jwk.next" b)
check "a token by the new key names its kid" sh -c \
    "'$HELPER' decode '$new_token' | head -n 1 | grep -qF '\"kid\":\"$new_kid\"'"
check "a token by the new key verifies" verifies "$new_token"
check "a token by the old key still verifies" verifies "$old_token"
cp "$K/jwks.json" "$T/jwks.before"
keys rotate
expect "rotate with a next key pending exits 4" 4
check "and says to activate first" grep -q "a next key is pending" "$T/err"
check "and leaves jwks.json alone" cmp "$K/jwks.json" "$T/jwks.before"

# --- activate, with no daemon listening ---
t0=$(date +%s)
keys activate
expect "keys activate" 0
check "says no daemon answers" grep -q "no jwt-helperd answers" "$T/out"
check "signing.jwk now holds the new key" test "$(kid_of "$K/signing.jwk")" = "$new_kid"
check "signing.jwk is still mode 0640" test "$(stat -c %a "$K/signing.jwk")" = 640
check "signing.jwk.next is gone" test ! -e "$K/signing.jwk.next"
r=$(retired_of "$old_kid")
check "the old key is marked retired now" sh -c "[ '$r' -ge $t0 ] && [ '$r' -le $(date +%s) ]"
check "the new key is not retired" test "$(retired_of "$new_kid")" = none
check "no temporary file is left" no_temps
check "a token by the new key verifies" verifies "$new_token"
check "a token the old key signed before activate still verifies" verifies "$old_token"
cp "$K/jwks.json" "$T/jwks.before"
keys activate
expect "keys activate again (nothing pending) is fine" 0
check "and retires nothing more" cmp "$K/jwks.json" "$T/jwks.before"

# --- prune ---
keys prune
expect "prune right after activate" 0
check "drops nothing" grep -q "nothing to prune" "$T/out"
check "and leaves jwks.json as it was" cmp "$K/jwks.json" "$T/jwks.before"
# Retired access_ttl (600) + 3600 (the largest leeway) - 30 s ago: kept.
set_retired "$old_kid" $(($(date +%s) - 600 - 3600 + 30))
keys prune
expect "prune within access_ttl + the largest leeway" 0
check "keeps the key" test "$(kids)" = "$old_kid $new_kid"
set_retired "$old_kid" $(($(date +%s) - 600 - 3600 - 10))
keys prune
expect "prune once access_ttl + the largest leeway have passed" 0
check "names the dropped key" grep -q "dropped key $old_kid" "$T/out"
check "drops it" test "$(kids)" = "$new_kid"
check "jwks.json is still mode 0644" test "$(stat -c %a "$K/jwks.json")" = 644
check "no temporary file is left" no_temps
if verifies "$old_token" >"$T/v.out" 2>&1; then fail "the old token no longer verifies"
elif grep -q "no matching key" "$T/v.out"; then pass "the old token no longer verifies (no matching key)"
else fail "the old token no longer verifies"; sed 's/^/#   /' "$T/v.out"; fi
check "the new token still does" verifies "$new_token"
set_retired "$new_kid" 1000000000
cp "$K/jwks.json" "$T/jwks.before"
keys prune
expect "prune with the current key marked retired long ago" 0
check "never drops the current signing key" test "$(kids)" = "$new_kid"
check "and writes nothing" cmp "$K/jwks.json" "$T/jwks.before"

# --- rotate again, to another algorithm ---
keys rotate --alg ES256
expect "keys rotate --alg ES256" 0
es_kid=$(kid_of "$K/signing.jwk.next")
check "signing.jwk.next is an ES256 key" "$PY" -c 'import json,sys; k=json.load(open(sys.argv[1])); sys.exit(k["alg"] != "ES256" or k["kty"] != "EC")' "$K/signing.jwk.next"
check "the set keeps the earlier key and adds the new one" test "$(kids)" = "$new_kid $es_kid"
keys prune
expect "prune with a next key pending" 0
check "keeps the pending key" test "$(kids)" = "$new_kid $es_kid"
keys activate
expect "keys activate to ES256" 0
check "a retired value already set is kept" test "$(retired_of "$new_kid")" = 1000000000
check "an ES256 token verifies" verifies "$(mint "$K/signing.jwk" c)"
# The EdDSA key is marked retired at 1000000000 (2001): new_token is later.
if verifies "$new_token" >"$T/v.out" 2>&1; then fail "a token issued after its key was retired is refused"
elif grep -q "key retired" "$T/v.out"; then pass "a token issued after its key was retired is refused"
else fail "a token issued after its key was retired is refused"; sed 's/^/#   /' "$T/v.out"; fi
set_retired "$new_kid" "$(date +%s)"
check "the EdDSA token verifies while its key is retired after its iat" verifies "$new_token"

# --- refusals leave both files alone ---
cp "$K/jwks.json" "$T/jwks.before"; cp "$K/signing.jwk" "$T/signing.before"
unchanged() { cmp -s "$K/jwks.json" "$T/jwks.before" && cmp -s "$K/signing.jwk" "$T/signing.before"; }
run --config "$T/h.conf" keys rotate --alg HS256
expect "rotate --alg HS256 is a usage error" 2
keys prune --alg EdDSA
expect "prune takes no --alg" 2
keys frobnicate
expect "an unknown subcommand is a usage error" 2
keys activate --alg EdDSA
expect "activate takes no --alg" 2
keys
expect "no subcommand is a usage error" 2
printf '{"keys":[' >>"$K/jwks.json"
cp "$K/jwks.json" "$T/jwks.before"
keys rotate
expect "rotate with a malformed jwks.json exits 4" 4
check "and leaves both files alone" unchanged
keys prune
expect "prune with a malformed jwks.json exits 4" 4
check "and leaves it alone" unchanged
timeout 60 "$HELPER" keygen --dir "$T/other" >/dev/null 2>&1
cp "$T/other/jwks.json" "$K/jwks.json"
cp "$K/jwks.json" "$T/jwks.before"
keys rotate
expect "rotate when jwks.json lacks the current key exits 4" 4
check "and says so" grep -q "does not hold the current signing key" "$T/err"
check "and leaves both files alone" unchanged
cp "$T/signing.before" "$T/keep.jwk"
rm "$K/signing.jwk"
keys prune
expect "prune without signing.jwk exits 4 (it cannot tell the current key)" 4
check "and leaves jwks.json alone" cmp "$K/jwks.json" "$T/jwks.before"
cp "$T/keep.jwk" "$K/signing.jwk"
run keys rotate --config "$T/missing.conf"
expect "a missing --config file exits 4" 4

# --- secrets ---
d=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["d"])' "$T/old.jwk")
if [ -n "$d" ] && ! grep -qF -e "$d" -e '"d"' "$T/all"; then pass "no output shows a private key"
else fail "no output shows a private key"; fi

echo "1..$n"
[ "$failed" = 0 ]

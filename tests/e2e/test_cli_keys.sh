#!/bin/sh
# SPDX-License-Identifier: MIT
# `jwt-helper keys rotate|prune` on real key files, no daemon (DESIGN §4, §5):
# a rotated-out key keeps verifying its tokens until prune drops it, and
# prune never drops a key whose tokens may still be valid, nor the current one.
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
no_temps() { [ "$(ls -A "$K" | grep -v -x -e jwks.json -e signing.jwk -e refresh.key | wc -l)" = 0 ]; }

timeout 60 "$HELPER" keygen --dir "$K" >/dev/null 2>&1
cat >"$T/h.conf" <<CONF
jwks = $K/jwks.json
signing_key = $K/signing.jwk
refresh_key = $K/refresh.key
users = $T/users
revocation = $T/revoked
access_ttl = 600
user = nobody
CONF
printf 'jwks = %s\nissuer = test-issuer\naudience = pam\n' "$K/jwks.json" >"$T/pam_jwt.conf"
chmod 600 "$T/h.conf" "$T/pam_jwt.conf"

old_kid=$(kid_of "$K/signing.jwk")
cp "$K/signing.jwk" "$T/old.jwk"
old_token=$(mint "$T/old.jwk" a)
check "a token by the first key verifies" verifies "$old_token"

# --- rotate ---
t0=$(date +%s)
keys rotate
expect "keys rotate" 0
new_kid=$(kid_of "$K/signing.jwk")
check "signing.jwk holds a new key" test -n "$new_kid" -a "$new_kid" != "$old_kid"
check "rotate prints the new kid" grep -q "new signing key $new_kid (EdDSA)" "$T/out"
check "and says to reload the daemon" grep -q "send SIGHUP to jwt-helperd (systemctl reload jwt-helperd)" "$T/out"
check "jwks.json holds the old key and the new one, in order" test "$(kids)" = "$old_kid $new_kid"
r=$(retired_of "$old_kid")
check "the old key is marked retired now" sh -c "[ '$r' -ge $t0 ] && [ '$r' -le $(date +%s) ]"
check "the new key is not retired" test "$(retired_of "$new_kid")" = none
check "jwt-helper jwks accepts the set with both keys" sh -c \
    "'$HELPER' jwks --jwks '$K/jwks.json' | grep -c '\"kid\"' | grep -qx 2"
check "signing.jwk is mode 0640" test "$(stat -c %a "$K/signing.jwk")" = 640
check "jwks.json is mode 0644" test "$(stat -c %a "$K/jwks.json")" = 644
check "no temporary file is left" no_temps
new_token=$(mint "$K/signing.jwk" b)
check "a token by the new key names its kid" sh -c \
    "'$HELPER' decode '$new_token' | head -n 1 | grep -qF '\"kid\":\"$new_kid\"'"
check "a token by the new key verifies" verifies "$new_token"
check "a token by the retired key still verifies" verifies "$old_token"

# --- prune ---
cp "$K/jwks.json" "$T/jwks.before"
keys prune
expect "prune right after rotate" 0
check "drops nothing" grep -q "nothing to prune" "$T/out"
check "and leaves jwks.json as it was" cmp "$K/jwks.json" "$T/jwks.before"
# Retired 10 minutes (access_ttl) and 30 s ago: within the 60 s leeway.
set_retired "$old_kid" $(($(date +%s) - 600 - 30))
keys prune
expect "prune within access_ttl + leeway" 0
check "keeps the key" test "$(kids)" = "$old_kid $new_kid"
check "and the old token verifies" verifies "$old_token"
set_retired "$old_kid" $(($(date +%s) - 600 - 60 - 10))
keys prune
expect "prune once access_ttl + leeway have passed" 0
check "names the dropped key" grep -q "dropped key $old_kid" "$T/out"
check "drops it" test "$(kids)" = "$new_kid"
check "jwks.json is still mode 0644" test "$(stat -c %a "$K/jwks.json")" = 644
check "no temporary file is left" no_temps
if verifies "$old_token" >/dev/null 2>&1; then fail "the old token no longer verifies"
else pass "the old token no longer verifies"; fi
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
es_kid=$(kid_of "$K/signing.jwk")
check "signing.jwk is an ES256 key" "$PY" -c 'import json,sys; k=json.load(open(sys.argv[1])); sys.exit(k["alg"] != "ES256" or k["kty"] != "EC")' "$K/signing.jwk"
check "the set keeps the earlier key and adds the new one" test "$(kids)" = "$new_kid $es_kid"
check "a retired value already set is kept" test "$(retired_of "$new_kid")" = 1000000000
check "an ES256 token verifies" verifies "$(mint "$K/signing.jwk" c)"
check "the EdDSA token still verifies" verifies "$new_token"

# --- refusals leave both files alone ---
cp "$K/jwks.json" "$T/jwks.before"; cp "$K/signing.jwk" "$T/signing.before"
unchanged() { cmp -s "$K/jwks.json" "$T/jwks.before" && cmp -s "$K/signing.jwk" "$T/signing.before"; }
run --config "$T/h.conf" keys rotate --alg HS256
expect "rotate --alg HS256 is a usage error" 2
keys prune --alg EdDSA
expect "prune takes no --alg" 2
keys frobnicate
expect "an unknown subcommand is a usage error" 2
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

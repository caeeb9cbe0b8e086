#!/bin/sh
# SPDX-License-Identifier: MIT
# Key rotation in two steps with the real daemon running (jwt-helper(1),
# keys rotate|activate|prune; jwt-helperd(8), FILES): rotate
# publishes the next key while the daemon keeps signing with the current
# one; a host holding a copy of that key set verifies tokens from before
# and after activate; activate switches the daemon (it notices the new key
# file) and only then retires the old key; the old private key cannot mint
# new tokens; prune never drops the key the daemon signs with, even when
# signing_key already holds another one; the daemon never signs with a key
# the key set marks retired. Needs root (the daemon drops to nobody, who
# must not read a key file the test hides from it).
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/daemon/lib.sh"

if ! is_root; then
    echo "1..0 # SKIP needs root: the daemon must run as another user than the key files' owner"
    exit 0
fi
lib_init keys
lib_setup
lib_user alice ssh,sudo
conf="$dir/helperd.conf"
lib_conf "$conf"
if ! lib_start "$conf"; then
    not_ok "daemon starts"
    tap_end
fi
ok "daemon starts"

keys() { timeout 60 "$helper" --config "$conf" keys "$@" >"$dir/keys.out" 2>&1; }
kid_of() { "$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["kid"])' "$1"; }
token_kid() { "$helper" decode "$1" | sed -n 's/^header: //p' | "$py" -c 'import json,sys; print(json.load(sys.stdin)["kid"])'; }
status_kid() { wire send "$sock" '{"op":"status"}' | field signing_kid; }
login_token() {
    _t=$(wire send "$sock" "$(req op=login username=alice "password=$TEST_PASSWORD")" | field access_token)
    remember "$_t"
    printf '%s' "$_t"
}
# verifies JWKS TOKEN: jwt-helper verify as pam_jwt would, with that key set.
verifies() {
    timeout 20 "$helper" verify --config "$pamconf" --jwks "$1" --user alice "$2" >"$dir/v.out" 2>&1
}
refused_as() { # refused_as REASON JWKS TOKEN
    ! verifies "$2" "$3" && grep -q "$1" "$dir/v.out"
}
# mint_old IAT: a token signed with the old private key, issued at IAT.
mint_old() {
    "$mint" --key "$dir/old.jwk" --typ at+jwt \
        "{\"iss\":\"test-issuer\",\"sub\":\"alice\",\"aud\":\"pam\",\"iat\":$1,\"exp\":$(($1 + 600)),\"jti\":\"m$1\",\"scope\":\"ssh\"}"
}
# set_retired FILE KID VALUE: edit a key set as an administrator would.
set_retired() {
    "$py" - "$@" <<'PY'
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
PY
}
retired_of() { "$py" -c 'import json,sys; print(next((k.get("retired","none") for k in json.load(open(sys.argv[1]))["keys"] if k.get("kid")==sys.argv[2]), "absent"))' "$1" "$2"; }

old_kid=$(kid_of "$keys/signing.jwk")
cp "$keys/signing.jwk" "$dir/old.jwk" # as a thief would keep it
check "$(status_kid)" "$old_kid" "status: the daemon names the key it signs with"
tok_before=$(login_token)
check "$(token_kid "$tok_before")" "$old_kid" "a token from before rotate is signed by the current key"
minted_before=$(mint_old $(($(date +%s) - 400)))

# ---- rotate: publish the next key; the daemon keeps the current one ----
keys rotate
check $? 0 "keys rotate"
new_kid=$(kid_of "$keys/signing.jwk.next")
check "$(status_kid)" "$old_kid" "after rotate the daemon still signs with the current key"
check "$(token_kid "$(login_token)")" "$old_kid" "... and its tokens say so"
cp "$keys/jwks.json" "$dir/host2.jwks" # the key set reaches another host
check_true "host2: a token from before rotate verifies" verifies "$dir/host2.jwks" "$tok_before"

# ---- activate, when the daemon cannot read the new key ----
chmod 600 "$keys/signing.jwk.next"
cp "$keys/jwks.json" "$dir/jwks.before"
keys activate
check $? 4 "activate: a daemon that does not switch in time fails it"
check_true "... saying which key it still signs with" grep -q "still signs with $old_kid" "$dir/keys.out"
check_true "... and retires nothing" cmp -s "$keys/jwks.json" "$dir/jwks.before"
check "$(kid_of "$keys/signing.jwk")" "$new_kid" "... though signing_key holds the new key now"
check "$(status_kid)" "$old_kid" "the daemon keeps signing with the key it could load"
# The bug of issue 10: the key in use, marked retired long ago while the
# daemon was never reloaded, must survive prune.
set_retired "$keys/jwks.json" "$old_kid" 1000000000
keys prune
check $? 0 "prune with the daemon's key marked retired long ago"
check "$(retired_of "$keys/jwks.json" "$old_kid")" 1000000000 "prune keeps the key the daemon signs with"
check_true "... and names it" grep -q "key in use ($old_kid)" "$dir/keys.out"
cp "$dir/jwks.before" "$keys/jwks.json"

# ---- activate, for real: the daemon switches, then the old key retires ----
chmod 640 "$keys/signing.jwk"
t0=$(date +%s)
keys activate
check $? 0 "activate once the daemon can read the key (run again)"
check_true "... waits until the daemon signs with the new key" grep -q "jwt-helperd signs with $new_kid" "$dir/keys.out"
t=$(retired_of "$keys/jwks.json" "$old_kid")
if [ "$t" -ge "$t0" ] 2>/dev/null && [ "$t" -le "$(date +%s)" ]; then
    ok "the old key is retired at the switch"
else
    not_ok "the old key is retired at the switch (got $t)"
fi
check "$(retired_of "$keys/jwks.json" "$new_kid")" none "the new key is not retired"
check "$(status_kid)" "$new_kid" "status names the new key"
tok_after=$(login_token)
check "$(token_kid "$tok_after")" "$new_kid" "a token from after activate is signed by the new key"
check_true "host2 (key set copied after rotate): the new token verifies" verifies "$dir/host2.jwks" "$tok_after"
check_true "the new key set: the token from before still verifies" verifies "$keys/jwks.json" "$tok_before"
check_true "the new key set: the old key's token minted before still verifies" \
    verifies "$keys/jwks.json" "$minted_before"
check_true "the new key set: the new token verifies" verifies "$keys/jwks.json" "$tok_after"

# A host checking five minutes later: the retired instant moved back by as
# much, since the test does not wait for the clock.
cp "$keys/jwks.json" "$dir/host3.jwks"
set_retired "$dir/host3.jwks" "$old_kid" $((t - 300))
minted_later=$(mint_old "$(date +%s)")
check_true "a token minted later with the old private key is refused as key retired" \
    refused_as "key retired" "$dir/host3.jwks" "$minted_later"
check_true "... while one it minted before still verifies" verifies "$dir/host3.jwks" "$minted_before"

# ---- prune right after: every key still has live tokens ----
keys prune
check $? 0 "prune after activate"
check "$("$py" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["keys"]))' "$keys/jwks.json")" 2 \
    "prune keeps the retired key while its tokens may live"

# ---- the daemon never signs with a key the key set marks retired ----
cp "$keys/jwks.json" "$dir/jwks.good"
set_retired "$keys/jwks.json" "$new_kid" "$(date +%s)"
resp=$(wire send "$sock" "$(req op=login username=alice "password=$TEST_PASSWORD")")
check "$(printf '%s' "$resp" | field ok):$(printf '%s' "$resp" | field error)" false:server_error \
    "a signing key marked retired: login refused (server_error)"
check_true "... and the log says what to run" grep -q "marks the signing key $new_kid retired" "$daemon_log"
cp "$dir/jwks.good" "$keys/jwks.json"
check "$(token_kid "$(login_token)")" "$new_kid" "the key set fixed: tokens again"

lib_stop
check_true "daemon log: no token or password" log_clean
tap_end

#!/bin/sh
# SPDX-License-Identifier: MIT
# Root's user verbs on real files, no daemon: useradd, usermod, userdel,
# passwd USER, revoke (jwt-helper(1), ROOT VERBS). Every file lives in a temp dir named
# by a temp jwt-helperd.conf.
set -u
: "${top_builddir:?run from make check}"
HELPER="$top_builddir/jwt-helper/jwt-helper"
PY=${DEBIAN_PYTHON3:-python3}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0 failed=0
PW1='correct horse battery'
PW2='staple-2-the-moon'

pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
# check DESC CMD...: the command succeeds.
check() {
    desc=$1; shift
    if "$@" >/dev/null 2>&1; then pass "$desc"; else fail "$desc"; fi
}
# run STDIN_TEXT -- VERB ARGS...: runs jwt-helper --config $CONF with a time
# limit, stdout in $T/out, stderr in $T/err, exit code in $rc; every output
# also goes to $T/all.
run() {
    input=$1; shift 2
    printf '%s' "$input" | timeout 60 "$HELPER" --config "$CONF" "$@" >"$T/out" 2>"$T/err"
    rc=$?
    cat "$T/out" "$T/err" >>"$T/all"
}
# expect DESC WANT_RC: the last run's exit code.
expect() {
    if [ "$rc" = "$2" ]; then pass "$1"
    else fail "$1"; echo "#   exit $rc (want $2)"; sed 's/^/#   /' "$T/out" "$T/err"; fi
}
field() { # field USER N: the Nth field of USER's record
    awk -F: -v u="$1" -v f="$2" '$1 == u { print $f }' "$T/db/users"
}
listed() { # listed USER: USER's instant in the revocation list
    awk -F: -v u="$1" '$1 == u { print $2 }' "$T/var/revoked"
}
# The instant of a revocation lies within [$t0, now].
in_window() { [ -n "$1" ] && [ "$1" -ge "$t0" ] && [ "$1" -le "$(date +%s)" ]; }
# hash_verifies USER PASSWORD: libsodium itself checks the stored hash.
hash_verifies() {
    "$PY" - "$(field "$1" 2)" "$2" <<'EOF'
import ctypes, ctypes.util, sys
lib = ctypes.CDLL(ctypes.util.find_library("sodium"))
assert lib.sodium_init() >= 0
h, pw = sys.argv[1].encode(), sys.argv[2].encode()
sys.exit(0 if lib.crypto_pwhash_str_verify(h, pw, ctypes.c_ulonglong(len(pw))) == 0 else 1)
EOF
}
CONF=$T/h.conf
clear_list() { : >"$T/var/revoked"; }

mkdir "$T/db" "$T/var"
cat >"$T/h.conf" <<CONF
users = $T/db/users
revocation = $T/var/revoked
jwks = $T/jwks.json
signing_key = $T/signing.jwk
refresh_key = $T/refresh.key
default_scope = ssh,sudo
user = nobody
CONF
chmod 600 "$T/h.conf"

# --- useradd ---
t0=$(date +%s)
run "$PW1
" -- useradd alice --password-stdin
expect "useradd with --password-stdin" 0
check "and says so" test "$(cat "$T/out")" = "added user alice (scopes ssh,sudo)"
check "the record is name:argon2id:0:default scopes::changed" \
    grep -Eq '^alice:\$argon2id\$v=19\$m=65536,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+:0:ssh,sudo::[0-9]+$' \
    "$T/db/users"
check "changed is now" in_window "$(field alice 6)"
check "the hash verifies the password (libsodium)" hash_verifies alice "$PW1"
if hash_verifies alice "$PW2"; then fail "the hash refuses another password"
else pass "the hash refuses another password"; fi
check "users is mode 0600" test "$(stat -c %a "$T/db/users")" = 600
cp "$T/db/users" "$T/users.before"
run "$PW1
" -- useradd alice --password-stdin
expect "useradd of an existing user exits 1" 1
check "and says so" grep -q "user exists" "$T/err"
check "and leaves the file as it was" cmp "$T/db/users" "$T/users.before"
run "$PW2
" -- useradd bob --scopes ssh --lock --password-stdin
expect "useradd --scopes --lock" 0
check "bob's record: his scopes, locked" test "$(field bob 3):$(field bob 4):$(field bob 5)" = "0:ssh:locked"
run "" -- useradd carol --scopes 'ssh,Sudo' --password-stdin
expect "useradd with a bad scope list exits 2" 2
run "" -- useradd 'Carol' --password-stdin
expect "useradd with a bad name exits 2" 2
run "" -- useradd 'x:y' --password-stdin
expect "a name with a colon exits 2" 2
run "$PW1
" -- useradd carol --frobnicate --password-stdin
expect "an unknown option exits 2" 2
cp "$T/db/users" "$T/users.before"
run "" -- useradd carol --password-stdin
expect "an empty password line is refused" 1
run "
" -- useradd carol --password-stdin
expect "an empty password is refused" 1
long=$(head -c 1025 /dev/zero | tr '\0' 'p')
run "$long
" -- useradd carol --password-stdin
expect "a password over 1024 bytes is refused" 1
run "short77
" -- useradd carol --password-stdin
expect "a password under 8 bytes is refused" 1
check "none of them wrote anything" cmp "$T/db/users" "$T/users.before"
run "$PW1
" -- useradd carol --unlock --password-stdin
expect "useradd takes no --unlock" 2

# --- usermod ---
clear_list
t0=$(date +%s)
run "" -- usermod alice --scopes ssh
expect "usermod --scopes narrowing" 0
check "bumps the generation" test "$(field alice 3)" = 1
check "sets the scopes" test "$(field alice 4)" = ssh
check "and publishes the revocation instant" in_window "$(listed alice)"
check "the list is mode 0644" test "$(stat -c %a "$T/var/revoked")" = 644
clear_list
run "" -- usermod alice --scopes ssh,sudo,admin
expect "usermod --scopes widening" 0
check "keeps the generation" test "$(field alice 3)" = 1
check "sets the scopes" test "$(field alice 4)" = ssh,sudo,admin
check "and publishes nothing" test ! -s "$T/var/revoked"
run "" -- usermod alice --scopes sudo,admin,ssh
expect "reordering the scopes" 0
check "takes nothing away: same generation" test "$(field alice 3)" = 1
check "and publishes nothing" test ! -s "$T/var/revoked"
t0=$(date +%s)
run "" -- usermod alice --scopes sudo,root
expect "swapping a scope for another" 0
check "takes one away: generation bumped" test "$(field alice 3)" = 2
check "and publishes the revocation instant" in_window "$(listed alice)"
check "for alice alone" test "$(wc -l <"$T/var/revoked")" = 1
clear_list
t0=$(date +%s)
run "" -- usermod alice --lock
expect "usermod --lock" 0
check "sets the flag" test "$(field alice 5)" = locked
check "bumps the generation" test "$(field alice 3)" = 3
check "and publishes the revocation instant" in_window "$(listed alice)"
clear_list
run "" -- usermod alice --unlock
expect "usermod --unlock" 0
check "clears the flag" test -z "$(field alice 5)"
check "keeps the generation" test "$(field alice 3)" = 3
check "and publishes nothing" test ! -s "$T/var/revoked"
run "" -- usermod alice
expect "usermod without a change exits 2" 2
run "" -- usermod alice --lock --unlock
expect "usermod --lock --unlock exits 2" 2
run "" -- usermod alice --password-stdin --lock
expect "usermod takes no --password-stdin" 2
run "" -- usermod ghost --lock
expect "usermod of an unknown user exits 1" 1

# --- passwd USER ---
clear_list
old_hash=$(field alice 2)
t0=$(date +%s)
run "$PW2
" -- passwd alice --password-stdin
expect "passwd USER --password-stdin" 0
check "bumps the generation" test "$(field alice 3)" = 4
check "changes the hash" test "$(field alice 2)" != "$old_hash"
check "the new password verifies" hash_verifies alice "$PW2"
check "changed is now" in_window "$(field alice 6)"
check "and publishes the revocation instant" in_window "$(listed alice)"
run "$PW2
" -- passwd ghost --password-stdin
expect "passwd of an unknown user exits 1" 1

# --- revoke ---
clear_list
t0=$(date +%s)
run "" -- revoke bob
expect "revoke" 0
check "bumps the generation" test "$(field bob 3)" = 1
check "and publishes the revocation instant" in_window "$(listed bob)"
check "nobody else's" test -z "$(listed alice)"
# revocation_keep (default 86400 s): a line older than that is dropped at
# the next write, a younger one kept, so the list on every host stays small.
printf 'olduser:%s\nyounguser:%s\n' $((t0 - 86500)) $((t0 - 3600)) >>"$T/var/revoked"
run "" -- revoke alice
expect "revoke with old lines in the list" 0
check "drops a line older than revocation_keep" test -z "$(listed olduser)"
check "keeps a younger one, and the lines it wrote" \
    test "$(listed younguser):$(test -n "$(listed bob)" && echo bob)" = "$((t0 - 3600)):bob"
run "" -- revoke ghost
expect "revoke of an unknown user exits 1" 1
check "and says so" grep -q "no such user" "$T/err"
run "" -- revoke
expect "revoke without a user exits 2" 2

# --- userdel ---
clear_list
t0=$(date +%s)
run "" -- userdel bob
expect "userdel" 0
check "removes the record" test -z "$(field bob 1)"
check "keeps the others" test "$(field alice 1)" = alice
check "and publishes the revocation instant" in_window "$(listed bob)"
run "" -- userdel bob
expect "userdel of an unknown user exits 1" 1

# --- a malformed users file stops every verb ---
printf 'dave:not-a-hash:0:ssh::0\n' >>"$T/db/users"
bad_line=$(wc -l <"$T/db/users")
cp "$T/db/users" "$T/users.before"
cp "$T/var/revoked" "$T/revoked.before"
for v in "useradd erin --password-stdin" "usermod alice --lock" "userdel alice" \
    "passwd alice --password-stdin" "revoke alice"; do
    # shellcheck disable=SC2086 # split the verb and its options
    run "$PW1
" -- $v
    expect "${v%% *} on a malformed file exits 4" 4
    check "${v%% *} names line $bad_line" grep -q "line $bad_line is malformed" "$T/err"
done
check "the users file is unchanged" cmp "$T/db/users" "$T/users.before"
check "the revocation list is unchanged" cmp "$T/var/revoked" "$T/revoked.before"
grep -v '^dave:' "$T/users.before" >"$T/db/users"

# --- configuration ---
CONF=$T/missing.conf
run "" -- revoke alice
expect "a missing --config file exits 4" 4
printf 'users = %s\nfrobnicate = 1\n' "$T/db/users" >"$T/bad.conf"; chmod 600 "$T/bad.conf"
CONF=$T/bad.conf
run "" -- revoke alice
expect "a bad config exits 4" 4
check "and names the key" grep -q frobnicate "$T/err"
CONF=$T/h.conf
chmod 644 "$T/db/users"
run "" -- revoke alice
expect "a group-readable users file exits 4" 4
chmod 600 "$T/db/users"

# --- ownership (root gives the files to the daemon's user) ---
if [ "$(id -u)" = 0 ]; then
    check "as root, users is owned by the daemon's user" test "$(stat -c %U "$T/db/users")" = nobody
    check "and so is the revocation list" test "$(stat -c %U "$T/var/revoked")" = nobody
else
    n=$((n + 1)); echo "ok $n # SKIP not root: files keep their owner"
    n=$((n + 1)); echo "ok $n # SKIP not root: files keep their owner"
fi

# --- secrets ---
if grep -qF -e "$PW1" -e "$PW2" -e "$long" "$T/all"; then
    fail "no output ever shows a password"
else
    pass "no output ever shows a password"
fi
hash=$(field alice 2)
if [ -z "$hash" ] || grep -qF -e "$hash" -e '$argon2id' "$T/all"; then
    fail "no output ever shows a hash"
else
    pass "no output ever shows a hash"
fi

echo "1..$n"
[ "$failed" = 0 ]

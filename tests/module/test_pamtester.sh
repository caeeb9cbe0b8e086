#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs Debian's pamtester (a real PAM application) against pam_jwt.so under pam_wrapper.
set -u

: "${top_builddir:=.}"
module="$top_builddir/.libs/pam_jwt.so"
helper="$top_builddir/jwt-helper/jwt-helper"
mint="$top_builddir/tests/tools/jwt-mint"
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
check() { if [ "$1" = "$2" ]; then ok "$3"; else not_ok "$3"; echo "#   got $1, want $2"; fi; }

if ! command -v pamtester >/dev/null 2>&1; then
    echo "1..0 # SKIP pamtester not installed (Debian package pamtester)"
    exit 0
fi
wrapper=$(dpkg -L libpam-wrapper 2>/dev/null | grep '/libpam_wrapper\.so$' | head -n 1)
if [ -z "$wrapper" ]; then
    for f in /usr/lib/*/libpam_wrapper.so /usr/lib/libpam_wrapper.so /usr/lib64/libpam_wrapper.so; do
        [ -f "$f" ] && wrapper=$f && break
    done
fi
if [ -z "$wrapper" ] || [ ! -f "$wrapper" ]; then
    echo "1..0 # SKIP libpam_wrapper.so not installed (Debian package libpam-wrapper)"
    exit 0
fi
# A module built with --enable-sanitizers loads into an uninstrumented
# program only with the ASan runtime loaded first (HACKING.md, "Tests").
preload=$wrapper
asan=$(ldd "$module" 2>/dev/null | sed -n 's/.*libasan[^ ]* => \([^ ]*\) .*/\1/p' | head -n 1)
if [ -n "$asan" ]; then
    preload="$asan:$wrapper"
    # pamtester's own allocations are not ours to judge.
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
    export ASAN_OPTIONS
fi
for f in "$module" "$helper" "$mint"; do
    if [ ! -x "$f" ] && [ ! -f "$f" ]; then
        echo "1..0 # SKIP $f not built (make check builds it)"
        exit 0
    fi
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/pam_jwt-pamtester-XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/svc"
"$helper" keygen --dir "$dir/keys" >/dev/null 2>&1 || { echo "1..1"; echo "not ok 1 - keygen"; exit 1; }
printf 'jwks = %s\nissuer = test-issuer\naudience = pam\n' "$dir/keys/jwks.json" >"$dir/pam_jwt.conf"
# pam_wrapper copies the service files elsewhere: the module is named by absolute path.
printf 'auth required %s config=%s\naccount required %s config=%s\n' \
    "$module" "$dir/pam_jwt.conf" "$module" "$dir/pam_jwt.conf" >"$dir/svc/jwttest"

now=$(date +%s)
# mint USER EXP_OFFSET: a token for USER from the key keygen made.
mint() {
    "$mint" --key "$dir/keys/signing.jwk" --typ at+jwt \
        "{\"iss\":\"test-issuer\",\"aud\":\"pam\",\"sub\":\"$1\",\"iat\":$((now - 10)),\"exp\":$((now + $2)),\"jti\":\"pt-$1-$2\"}"
}
# pamtester USER OP...: token on stdin; stderr (pam_wrapper's syslog copy) kept in $dir/log.
run() {
    user=$1
    shift
    PAM_WRAPPER_DEBUGLEVEL=2 LD_PRELOAD="$preload" PAM_WRAPPER=1 \
        PAM_WRAPPER_SERVICE_DIR="$dir/svc" pamtester -v jwttest "$user" "$@" \
        >"$dir/out" 2>"$dir/log"
}

good=$(mint alice 300)
expired=$(mint alice -500)

printf '%s\n' "$good" | run alice authenticate
check $? 0 "pamtester: good token authenticates"
grep -q 'accepted: service=jwttest user=alice' "$dir/log"
check $? 0 "pamtester: the module logged the acceptance"

printf '%s\n' "$good" | run alice authenticate acct_mgmt
check $? 0 "pamtester: authenticate then acct_mgmt"

printf '%s\n' "$good" | run bob authenticate
check $? 1 "pamtester: another user's token fails"
grep -q 'reason=wrong user' "$dir/log"
check $? 0 "pamtester: logged reason wrong user"

printf '%s\n' "$expired" | run alice authenticate
check $? 1 "pamtester: expired token fails"
grep -q 'reason=expired' "$dir/log"
check $? 0 "pamtester: logged reason expired"
if grep -qF "$expired" "$dir/log" "$dir/out" || grep -qF "${expired##*.}" "$dir/log" "$dir/out"; then
    not_ok "pamtester: the token is in no output"
else
    ok "pamtester: the token is in no output"
fi

printf '%s\n' "not-a-token" | run alice authenticate
check $? 1 "pamtester: garbage fails"

echo "1..$n"
exit $failed

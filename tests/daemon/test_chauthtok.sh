#!/bin/sh
# SPDX-License-Identifier: MIT
# pam_jwt's password stack (pam_jwt(8), MODULE TYPES) against the real jwt-helperd, through
# real libpam: pamtester under pam_wrapper, the conversation on stdin.
#
# The module trusts a socket only when root or _jwt-helper listens on it
# (SO_PEERCRED), and has no test-only way around that: so this test runs
# as root, starts the daemon as root with "user = nobody" (the socket is
# root's, made before the drop) and gives nobody the files it writes.
set -u

: "${top_builddir:=.}"
: "${DEBIAN_PYTHON3:=/usr/bin/python3}"
# pam_wrapper copies the service files elsewhere: paths in them are absolute.
top_builddir=$(cd "$top_builddir" && pwd) || exit 1
module="$top_builddir/.libs/pam_jwt.so"
daemon="$top_builddir/jwt-helper/jwt-helperd"
helper="$top_builddir/jwt-helper/jwt-helper"
tool="$top_builddir/tests/tools/userdb-tool"
py=$DEBIAN_PYTHON3
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
check() { if [ "$1" = "$2" ]; then ok "$3"; else not_ok "$3"; echo "#   got $1, want $2"; fi; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
skip_all() { echo "1..0 # SKIP $1"; exit 0; }

[ "$(id -u)" = 0 ] ||
    skip_all "needs root: pam_jwt trusts only a socket of root or _jwt-helper"
command -v pamtester >/dev/null 2>&1 || skip_all "pamtester not installed (Debian package pamtester)"
command -v setpriv >/dev/null 2>&1 || skip_all "setpriv not installed (util-linux)"
[ -x "$py" ] || skip_all "$py not found"
getent passwd nobody >/dev/null 2>&1 || skip_all "no user nobody"
nogroup=$(id -gn nobody 2>/dev/null) || skip_all "no group for nobody"
wrapper=$(dpkg -L libpam-wrapper 2>/dev/null | grep '/libpam_wrapper\.so$' | head -n 1)
if [ -z "$wrapper" ]; then
    for f in /usr/lib/*/libpam_wrapper.so /usr/lib/libpam_wrapper.so /usr/lib64/libpam_wrapper.so; do
        [ -f "$f" ] && wrapper=$f && break
    done
fi
[ -n "$wrapper" ] && [ -f "$wrapper" ] ||
    skip_all "libpam_wrapper.so not installed (Debian package libpam-wrapper)"
set_items="$(dirname "$wrapper")/pam_wrapper/pam_set_items.so"
for f in "$module" "$daemon" "$helper" "$tool"; do
    [ -x "$f" ] || [ -f "$f" ] || skip_all "$f not built (make check builds it)"
done
# An ASan-built module loads into pamtester only after the ASan runtime.
preload=$wrapper
asan=$(ldd "$module" 2>/dev/null | sed -n 's/.*libasan[^ ]* => \([^ ]*\) .*/\1/p' | head -n 1)
if [ -n "$asan" ]; then
    preload="$asan:$wrapper"
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
    export ASAN_OPTIONS
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/pam_jwt-chauthtok-XXXXXX") || exit 1
dpid=
lpid=
cleanup() {
    [ -n "$dpid" ] && kill "$dpid" 2>/dev/null
    [ -n "$lpid" ] && kill "$lpid" 2>/dev/null
    [ -n "$dpid" ] && wait "$dpid" 2>/dev/null
    [ -n "$lpid" ] && wait "$lpid" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
# nobody must reach db/ and var/ below.
chmod 755 "$dir"
sock="$dir/sock"
mkdir "$dir/svc" "$dir/db" "$dir/var"

# ---- the daemon's files ----
"$helper" keygen --dir "$dir/keys" >/dev/null 2>&1 || skip_all "jwt-helper keygen failed"
for u in alice bob carol dave; do
    "$tool" "$dir/db/users" add "$u" ssh,sudo || skip_all "userdb-tool add failed"
done
chown -R "nobody:$nogroup" "$dir/db" "$dir/var"
chmod 700 "$dir/db"
cat >"$dir/jwt-helperd.conf" <<EOF
issuer = test-issuer
audience = pam
jwks = $dir/keys/jwks.json
signing_key = $dir/keys/signing.jwk
refresh_key = $dir/keys/refresh.key
users = $dir/db/users
revocation = $dir/var/revoked
user = nobody
login_delay = 5
EOF

# proto.py SOCKET login USER PASSWORD | status COUNTER: one request, prints
# "ok", the error code, or the counter's value. Passwords go through argv
# only in this test.
cat >"$dir/proto.py" <<'EOF'
import json, socket, sys
path, op = sys.argv[1], sys.argv[2]
req = {"op": op}
if op == "login":
    req.update(username=sys.argv[3], password=sys.argv[4])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(30)
s.connect(path)
s.sendall(json.dumps(req).encode() + b"\n")
buf = b""
while not buf.endswith(b"\n"):
    d = s.recv(65536)
    if not d:
        break
    buf += d
resp = json.loads(buf)
if op == "status":
    print(resp["counters"][sys.argv[3]] if resp.get("ok") else resp.get("error"))
else:
    print("ok" if resp.get("ok") else resp.get("error"))
EOF
# listen.py SOCKET LOG: a stranger's socket; logs the bytes of each connection.
cat >"$dir/listen.py" <<'EOF'
import os, socket, sys
path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
os.chmod(path, 0o666)
s.listen(16)
while True:
    c, _ = s.accept()
    c.settimeout(3)
    got = 0
    try:
        while True:
            d = c.recv(65536)
            if not d:
                break
            got += len(d)
    except OSError:
        pass
    with open(log, "a") as f:
        f.write("%d\n" % got)
    c.close()
EOF

proto() { timeout 40 "$py" "$dir/proto.py" "$sock" "$@" 2>>"$dir/proto.err"; }
# wait_for TEST...: up to 10 s for a condition of another process.
wait_for() {
    i=0
    until "$@"; do
        i=$((i + 1))
        [ "$i" -ge 100 ] && return 1
        sleep 0.1
    done
}
# record USER: the user's line of the users file (root reads nobody's file).
record() { grep "^$1:" "$dir/db/users"; }
gen_of() { record "$1" | cut -d: -f3; }

timeout 600 "$daemon" -f -c "$dir/jwt-helperd.conf" --socket "$sock" \
    >"$dir/daemon.out" 2>"$dir/daemon.log" &
dpid=$!
if ! wait_for test -S "$sock" || [ "$(proto status requests 2>/dev/null)" = "" ]; then
    echo "1..1"
    echo "not ok 1 - jwt-helperd did not start"
    sed 's/^/#   /' "$dir/daemon.log"
    exit 1
fi

# service NAME LINE...: a pam.d file; the module by absolute path, since
# pam_wrapper copies the service files elsewhere.
service() {
    name=$1
    shift
    printf '%s\n' "$@" >"$dir/svc/$name"
}
mod="$module socket=$sock debug"
service pw "password required $mod"
service pw-first "password required $set_items" "password required $mod use_first_pass"
service pw-probe "password [ignore=ignore default=bad] $module socket=$dir/none debug" \
    "password required pam_permit.so"
service pw-expired "password [ignore=ignore default=bad] $mod" "password required pam_permit.so"
service pw-fallthrough "password sufficient $module socket=$dir/none debug" \
    "password required pam_permit.so"
service pw-stranger "password required $module socket=$dir/evil/sock debug"

# run SERVICE USER OP: pamtester with answers on stdin; prompts and
# messages in $dir/out, pam_wrapper's copy of syslog in $dir/log (both
# kept in $dir/all for the last check).
run() {
    svc=$1
    shift
    PAM_WRAPPER_DEBUGLEVEL=2 LD_PRELOAD="$preload" PAM_WRAPPER=1 \
        PAM_WRAPPER_SERVICE_DIR="$dir/svc" timeout 120 pamtester -v "$svc" "$@" \
        >"$dir/out" 2>"$dir/log"
    rc=$?
    cat "$dir/out" "$dir/log" >>"$dir/all"
    return $rc
}
said() { grep -qF "$1" "$dir/out" "$dir/log"; }
said_check() { if said "$1"; then ok "$2"; else not_ok "$2"; sed 's/^/#   /' "$dir/out" "$dir/log"; fi; }
silent_check() { if said "$1"; then not_ok "$2"; sed 's/^/#   /' "$dir/out" "$dir/log"; else ok "$2"; fi; }

# ---- a change that works ----
gen0=$(gen_of alice)
bob0=$(record bob)
printf 'test-password\nnew-secret-1\nnew-secret-1\n' | run pw alice chauthtok
check $? 0 "right old password, matching new: changed"
said_check "password changed for alice" "the module logged the change"
said_check "Retype new jwt-helper password: " "the module asked for the new password twice"
check "$(gen_of alice)" "$((gen0 + 1))" "the record's generation went up by one"
check "$(record bob)" "$bob0" "another user's record is untouched"
check "$(proto login alice new-secret-1)" ok "the new password logs in"
check "$(proto login alice test-password)" invalid_grant "the old password no longer does"

# ---- refusals ----
# (dave: each user's failures lengthen that user's delay.)
dave0=$(record dave)
printf 'wrong-password\nnew-secret-2\nnew-secret-2\n' | run pw dave chauthtok
check $? 1 "wrong old password: refused"
said_check "Authentication token manipulation error" "wrong old password: PAM_AUTHTOK_ERR"
said_check "password: change refused for dave" "wrong old password: logged"
check "$(record dave)" "$dave0" "wrong old password: record unchanged"
line0=$(record alice)

# The status counter counts every line the daemon answers: two status
# calls in a row give the step that means "nothing else came".
r1=$(proto status requests)
r2=$(proto status requests)
printf 'new-secret-1\nnew-secret-2\nnew-secret-3\n' | run pw alice chauthtok
check $? 1 "mismatched retype: refused"
said_check "Authentication token manipulation error" "mismatched retype: PAM_AUTHTOK_ERR"
said_check "passwords do not match" "mismatched retype: the user is told"
r3=$(proto status requests)
check "$((r3 - r2))" "$((r2 - r1))" "mismatched retype: nothing sent to the daemon"
check "$(record alice)" "$line0" "mismatched retype: record unchanged"

# The daemon's own policy (new passwords of at least 8 bytes) reaches the user.
printf 'new-secret-1\nshort\nshort\n' | run pw alice chauthtok
check $? 1 "new password the daemon refuses: refused"
said_check "jwt-helper password unchanged: new_password must be at least 8 bytes" \
    "new password the daemon refuses: the user is told why"
check "$(record alice)" "$line0" "new password the daemon refuses: record unchanged"

# A new password that is not UTF-8 breaks the wire rules: refused before sending.
r1=$(proto status requests)
r2=$(proto status requests)
printf 'new-secret-1\n\377\376latin-1-secret\n\377\376latin-1-secret\n' | run pw alice chauthtok
check $? 1 "new password not UTF-8: refused"
said_check "passwords must be UTF-8 text" "new password not UTF-8: the user is told"
r3=$(proto status requests)
check "$((r3 - r2))" "$((r2 - r1))" "new password not UTF-8: nothing sent to the daemon"

printf 'new-secret-1\nnew-secret-2\nnew-secret-3\n' | run pw alice 'chauthtok(PAM_SILENT)'
check $? 1 "PAM_SILENT mismatch: refused"
silent_check "passwords do not match" "PAM_SILENT: no message"

# ---- passwords from an earlier module (pam_wrapper's pam_set_items) ----
if [ -f "$set_items" ]; then
    PAM_OLDAUTHTOK=new-secret-1 PAM_AUTHTOK=new-secret-4 run pw-first alice chauthtok </dev/null
    check $? 0 "use_first_pass: PAM_OLDAUTHTOK and PAM_AUTHTOK used"
    silent_check "jwt-helper password: " "use_first_pass: no prompt"
    check "$(proto login alice new-secret-4)" ok "use_first_pass: the new password logs in"
    run pw-first alice chauthtok </dev/null
    check $? 1 "use_first_pass without earlier passwords: refused"
    said_check "cannot be recovered" "use_first_pass without earlier passwords: PAM_AUTHTOK_RECOVERY_ERR"
else
    for i in 1 2 3 4 5; do skip "$set_items not installed"; done
fi

# ---- rate limit: a second attempt inside the first one's failure delay ----
failed0=$(proto status passwd_failed)
printf 'wrong-password\nnew-secret-5\nnew-secret-5\n' | run pw carol chauthtok &
apid=$!
failed_more() { [ "$(proto status passwd_failed)" -gt "$failed0" ]; }
wait_for failed_more
carol0=$(record carol)
# run's files are shared: the second run waits on its own copies.
cp "$dir/svc/pw" "$dir/svc/pw2"
printf 'test-password\nnew-secret-6\nnew-secret-6\n' |
    PAM_WRAPPER_DEBUGLEVEL=2 LD_PRELOAD="$preload" PAM_WRAPPER=1 \
    PAM_WRAPPER_SERVICE_DIR="$dir/svc" timeout 120 pamtester -v pw2 carol chauthtok \
    >"$dir/out2" 2>"$dir/log2"
brc=$?
# The first attempt's answer waits login_delay (5 s) after its failure was
# counted: the second must have been answered inside that window.
kill -0 "$apid" 2>/dev/null || echo "#   the delayed attempt ended first: slower than login_delay?"
check "$brc" 1 "an attempt inside the failure delay: refused"
if grep -qF "Authentication token lock busy" "$dir/out2" "$dir/log2"; then
    ok "rate limited: PAM_AUTHTOK_LOCK_BUSY"
else
    not_ok "rate limited: PAM_AUTHTOK_LOCK_BUSY"
    sed 's/^/#   /' "$dir/out2" "$dir/log2"
fi
cat "$dir/out2" "$dir/log2" >>"$dir/all"
wait "$apid"
check $? 1 "the delayed wrong attempt: refused"
check "$(record carol)" "$carol0" "rate limited: record unchanged"

# ---- not ours to answer ----
printf 'x\ny\ny\n' | run pw-expired alice 'chauthtok(PAM_CHANGE_EXPIRED_AUTHTOK)'
check $? 0 "PAM_CHANGE_EXPIRED_AUTHTOK: PAM_IGNORE (jwt-helper passwords do not expire)"
silent_check "jwt-helper password: " "PAM_CHANGE_EXPIRED_AUTHTOK: no prompt"

printf 'x\ny\ny\n' | run pw-probe alice chauthtok
check $? 0 "no daemon at socket=: PAM_IGNORE, the stack goes on"
silent_check "jwt-helper password: " "no daemon: no prompt"
said_check "no daemon at $dir/none" "no daemon: logged under debug"
printf 'x\ny\ny\n' | run pw-fallthrough alice chauthtok
check $? 0 "no daemon, sufficient pam_jwt then pam_permit: the stack succeeds"

# ---- a stranger's socket ----
mkdir "$dir/evil"
chown nobody "$dir/evil"
setpriv --reuid=nobody --regid="$nogroup" --clear-groups \
    timeout 600 "$py" "$dir/listen.py" "$dir/evil/sock" "$dir/evil/got" 2>"$dir/listen.err" &
lpid=$!
if wait_for test -S "$dir/evil/sock"; then
    printf 'test-password\nstolen-1\nstolen-1\n' | run pw-stranger bob chauthtok
    check $? 1 "socket of an untrusted uid: the module does not succeed"
    silent_check "jwt-helper password: " "untrusted socket: no prompt"
    said_check "is not served by root or _jwt-helper, nothing sent" "untrusted socket: logged"
    wait_for test -s "$dir/evil/got"
    touch "$dir/evil/got"
    conns=$(wc -l <"$dir/evil/got" | tr -d ' ')
    bytes=$(awk '{ s += $1 } END { print s + 0 }' "$dir/evil/got")
    if [ "$conns" -ge 1 ]; then ok "untrusted socket: the module did connect"; else not_ok "untrusted socket: the module did connect"; fi
    check "$bytes" 0 "untrusted socket: not one byte sent"
else
    for i in 1 2 3 4 5; do not_ok "untrusted listener did not start"; done
    sed 's/^/#   /' "$dir/listen.err"
fi
check "$(record bob)" "$bob0" "untrusted socket: bob's record untouched"

# ---- no password anywhere in the logs ----
leaked=0
for pw in test-password new-secret-1 new-secret-2 new-secret-3 new-secret-4 wrong-password \
    stolen-1 latin-1-secret; do
    grep -qF -- "$pw" "$dir/all" "$dir/daemon.log" "$dir/daemon.out" && leaked=1 && echo "#   found $pw"
done
check "$leaked" 0 "no password in any log line or message"

echo "1..$n"
exit $failed

#!/bin/sh
# SPDX-License-Identifier: MIT
# No lock-outs from the login delay (jwt-helperd(8), LIMITS), over the real
# socket with clients of several uids: another uid's wrong passwords for
# alice never make alice's own uid fail with the right one; a third uid
# guessing alice right after is still delayed (every other uid shares one
# delay); fifty uids guessing one name get one judged attempt per delay,
# as one uid does. alice needs a Unix account: the test runs in a private
# mount namespace with its own copy of /etc bind-mounted (private_etc), so
# the host's is never touched. Needs root (setpriv, unshare).
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/daemon/lib.sh"

ALICE_UID=4242
A_UID=4243
B_UID=4244
MANY_FROM=5000 # fifty uids from here, without accounts

if ! is_root || ! command -v unshare >/dev/null || ! command -v setpriv >/dev/null; then
    echo "1..0 # SKIP needs root, unshare and setpriv to run clients as other uids"
    exit 0
fi
if [ -z "${JWT_LOCKOUT_NS:-}" ]; then
    JWT_LOCKOUT_NS=1 exec unshare -m --propagation private -- sh "$0" "$@"
fi

lib_init lockout
if ! private_etc "$dir/etc" ||
    ! echo "alice:x:$ALICE_UID:$ALICE_UID::/nonexistent:/usr/sbin/nologin" >>/etc/passwd ||
    [ "$(getent passwd $ALICE_UID | cut -d: -f1)" != alice ]; then
    echo "1..0 # SKIP cannot give alice an account in a private /etc/passwd (nscd?)"
    exit 0
fi
lib_setup
lib_user alice ssh,sudo
lib_user bob ssh
conf="$dir/helperd.conf"
lib_conf "$conf" "login_delay = 2"
if ! lib_start "$conf"; then
    not_ok "daemon starts"
    tap_end
fi
ok "daemon starts"

# login_as UID USER PASSWORD: prints "ok" or the error of the answer.
login_as() {
    _l=$(req op=login "username=$2" "password=$3")
    _r=$(timeout 60 setpriv --reuid="$1" --regid="$1" --clear-groups -- \
        "$py" "$wire_py" send "$sock" "$_l")
    remember "$(printf '%s' "$_r" | field access_token 2>/dev/null)"
    remember "$(printf '%s' "$_r" | field refresh_token 2>/dev/null)"
    if [ "$(printf '%s' "$_r" | field ok)" = true ]; then echo ok; else printf '%s' "$_r" | field error; fi
}

# ---- another uid cannot keep alice out ----
login_as "$A_UID" alice wrong-password >"$dir/a1" &
a_pid=$!
sleep 0.5 # A's guess has been hashed and charged; its answer waits out the delay
check "$(login_as "$ALICE_UID" alice "$TEST_PASSWORD")" ok \
    "alice's own uid logs in with her password while another uid's failure is delayed"
check "$(login_as "$B_UID" alice "$TEST_PASSWORD")" rate_limited \
    "a third uid asking for alice right after is still delayed (one delay for all other uids)"
check "$(login_as "$A_UID" alice wrong-password)" rate_limited "... and so is the failing uid"
wait "$a_pid"
check "$(cat "$dir/a1")" invalid_grant "the failing uid got invalid_grant after its delay"
# alice's own failures slow alice's own uid down (an answer to a failure
# waits out the delay, so the next try is sent while it is pending).
login_as "$ALICE_UID" alice wrong-password >"$dir/own1" &
own_pid=$!
sleep 0.5
check "$(login_as "$ALICE_UID" alice "$TEST_PASSWORD")" rate_limited \
    "alice's own failure delays alice's own uid"
wait "$own_pid"
check "$(cat "$dir/own1")" invalid_grant "... which got invalid_grant for it"

# ---- fifty uids guessing one name at once: one judged attempt ----
"$py" - "$sock" "$MANY_FROM" 50 "$(req op=login username=bob password=guess)" >"$dir/many" <<'PY'
import os, socket, sys
path, first, n, line = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
go_r, go_w = os.pipe()
out_r, out_w = os.pipe()
kids = []
for i in range(n):
    pid = os.fork()
    if pid == 0:
        os.close(go_w)
        os.setgroups([])
        os.setgid(first + i)
        os.setuid(first + i)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect(path)
        os.read(go_r, 1)  # every child connected: all send at once
        s.sendall(line.encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        os.write(out_w, data if data.endswith(b"\n") else b"{}\n")
        os._exit(0)
    kids.append(pid)
os.close(go_r)
os.close(out_w)
import time
time.sleep(1)  # let every child connect (bounded: they start in milliseconds)
os.close(go_w)  # EOF releases them all
got = b""
while True:
    chunk = os.read(out_r, 65536)
    if not chunk:
        break
    got += chunk
for pid in kids:
    os.waitpid(pid, 0)
sys.stdout.write(got.decode())
PY
judged=$(grep -c '"invalid_grant"' "$dir/many")
limited=$(grep -c '"rate_limited"' "$dir/many")
check "$judged" 1 "fifty uids guessing bob at once: one guess judged, as for one uid"
check "$limited" 49 "... the other 49 refused as rate_limited"

lib_stop
check_true "daemon log: no token or password" log_clean
tap_end

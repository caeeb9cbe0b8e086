#!/bin/sh
# SPDX-License-Identifier: MIT
# jwt-helperd started as root (jwt-helperd(8), START-UP): it drops to `user =` for good
# (no uid, gid, group or capability of root left), still reads its keys on
# SIGHUP (root:nogroup 0640, as root:_jwt-helper on a real system) and
# writes the users file in its own directory; an unknown user refuses the
# start; socket activation (LISTEN_FDS/LISTEN_PID) serves on the passed fd.
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/daemon/lib.sh"

if ! is_root; then
    echo "1..0 # SKIP needs root (start as root, then the privilege drop)"
    exit 0
fi
lib_init daemon-root
lib_setup
lib_user alice ssh,sudo
conf="$dir/helperd.conf"
lib_conf "$conf" "access_ttl = 600"
grep -q '^user = nobody$' "$conf" || { echo "1..1"; echo "not ok 1 - config has user = nobody"; exit 1; }

if ! lib_start "$conf"; then
    not_ok "started as root with user = nobody: it serves"
    tap_end
fi
ok "started as root with user = nobody: it serves"

# /proc/PID/status: Uid and Gid are "real effective saved fs".
status="/proc/$daemon_pid/status"
uids=$(sed -n 's/^Uid:[[:space:]]*//p' "$status" | tr -s ' \t' ' ')
gids=$(sed -n 's/^Gid:[[:space:]]*//p' "$status" | tr -s ' \t' ' ')
groups=$(sed -n 's/^Groups:[[:space:]]*//p' "$status" | tr -s ' \t' ' ' | sed 's/ *$//')
nuid=$(id -u nobody)
ngid=$(getent group nogroup | cut -d: -f3)
check "$uids" "$nuid $nuid $nuid $nuid" "privilege drop: real, effective, saved and fs uid are nobody's"
check "$gids" "$ngid $ngid $ngid $ngid" "privilege drop: real, effective, saved and fs gid are nogroup's"
case " $groups " in
*" 0 "*) not_ok "privilege drop: no supplementary group 0 (Groups: $groups)" ;;
*) ok "privilege drop: no supplementary group 0 (Groups: ${groups:-none})" ;;
esac
for cap in CapPrm CapEff CapAmb; do
    v=$(sed -n "s/^$cap:[[:space:]]*//p" "$status")
    check "${v:-missing}" 0000000000000000 "privilege drop: $cap is empty"
done
# every thread, not just the main one (the workers are threads)
bad_threads=0
for t in /proc/"$daemon_pid"/task/*; do
    tu=$(sed -n 's/^Uid:[[:space:]]*//p' "$t/status" 2>/dev/null | tr -s ' \t' ' ')
    [ -z "$tu" ] || [ "$tu" = "$nuid $nuid $nuid $nuid" ] || bad_threads=$((bad_threads + 1))
done
check "$bad_threads" 0 "privilege drop: every thread runs as nobody"
check "$(stat -c %a "$sock")" 666 "socket: mode 0666, every local user may ask"

# a nobody client is served (the socket is open to all)
resp=$(setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
    timeout 30 "$py" "$wire_py" send "$sock" '{"op":"jwks"}')
check "$(printf '%s' "$resp" | field ok)" true "socket: an unprivileged client is served"

# login and passwd: the dropped daemon reads and writes its files
resp=$(wire send "$sock" "$(req op=login username=alice "password=$TEST_PASSWORD")")
check "$(printf '%s' "$resp" | field ok)" true "login works after the drop"
rt=$(printf '%s' "$resp" | field refresh_token)
resp=$(wire send "$sock" "$(req op=passwd username=alice "old_password=$TEST_PASSWORD" new_password=Root-test-pw-2)")
check "$(printf '%s' "$resp" | field ok)" true "passwd works: the dropped daemon writes db/users"
check "$(stat -c '%U %a' "$users")" "nobody 600" "passwd: users file owned by nobody, mode 600"
check "$(stat -c '%U' "$revoked")" nobody "passwd: revocation list written by nobody"
leftover=$(ls -A "$dir/db" | grep -v -x -e users -e users.lock | wc -l | tr -d ' ')
check "$leftover" 0 "passwd: no temporary file left in db/"

# SIGHUP after the drop: config and keys (root:nogroup 0640) read again
lib_conf "$conf" "access_ttl = 300"
kill -HUP "$daemon_pid"
got=
for _i in $(seq 1 50); do
    resp=$(wire send "$sock" "$(req op=login username=alice password=Root-test-pw-2)")
    got=$(printf '%s' "$resp" | field expires_in 2>/dev/null)
    [ "$got" = 300 ] && break
    sleep 0.1
done
check "$got" 300 "SIGHUP as nobody: the new config (access_ttl 300) is in force"
at=$(printf '%s' "$resp" | field access_token)
rt=$(printf '%s' "$resp" | field refresh_token)
timeout 20 "$helper" verify --config "$pamconf" --user alice "$at" >/dev/null 2>&1
check $? 0 "SIGHUP as nobody: tokens are signed with the re-read key and verify"
resp=$(wire send "$sock" "$(req op=refresh "refresh_token=$rt")")
check "$(printf '%s' "$resp" | field ok)" true "SIGHUP as nobody: refresh works with the re-read refresh key"
# failing twin: keys nobody may read make the reload fail, the old state serves on
chmod 600 "$keys/signing.jwk"
lines_before=$(wc -l <"$daemon_log")
kill -HUP "$daemon_pid"
sleep 1
resp=$(wire send "$sock" "$(req op=refresh "refresh_token=$rt")")
check "$(daemon_alive && echo alive):$(printf '%s' "$resp" | field ok)" "alive:true" \
    "SIGHUP with an unreadable key: the old keys keep serving"
if tail -n +"$((lines_before + 1))" "$daemon_log" | grep -q 'signing'; then
    ok "SIGHUP with an unreadable key: the log names the key"
else
    not_ok "SIGHUP with an unreadable key: the log names the key"
fi
chmod 640 "$keys/signing.jwk"
kill -TERM "$daemon_pid"
lib_wait_exit 5
check "$exit_status" 0 "SIGTERM: exits 0 (${exit_ms} ms)"

# ---- a user that does not exist: no start ----
conf_bad="$dir/bad.conf"
lib_conf "$conf_bad"
sed -i 's/^user = nobody$/user = nonexistent_user_xyz/' "$conf_bad"
rm -f "$sock"
timeout 20 "$helperd" -f -c "$conf_bad" >"$dir/bad.out" 2>&1
st=$?
if [ "$st" -ne 0 ] && [ "$st" -ne 124 ]; then
    ok "user = nonexistent_user_xyz: refuses to start (exit $st)"
else
    not_ok "user = nonexistent_user_xyz: refuses to start (exit $st)"
fi
if grep -q 'nonexistent_user_xyz' "$dir/bad.out"; then
    ok "user = nonexistent_user_xyz: the message names the user"
else
    not_ok "user = nonexistent_user_xyz: the message names the user"
    sed 's/^/#   /' "$dir/bad.out"
fi
if timeout 5 "$py" "$wire_py" --timeout 2 send "$sock" '{"op":"jwks"}' >/dev/null 2>&1; then
    not_ok "user = nonexistent_user_xyz: nothing serves on the socket"
else
    ok "user = nonexistent_user_xyz: nothing serves on the socket"
fi
sed -i 's/^user = nonexistent_user_xyz$/user = root/' "$conf_bad"
timeout 20 "$helperd" -f -c "$conf_bad" >"$dir/bad.out" 2>&1
st=$?
if [ "$st" -ne 0 ] && [ "$st" -ne 124 ]; then
    ok "user = root: refuses to start (exit $st)"
else
    not_ok "user = root: refuses to start (exit $st)"
fi

# ---- socket activation ----
conf_act="$dir/act.conf"
lib_conf "$conf_act"
sed -i "s|^socket = .*|socket = $dir/not-this-one|" "$conf_act"
actsock="$dir/activated.sock"
"$py" "$wire_py" activate "$actsock" "$helperd" -f -c "$conf_act" </dev/null >"$dir/act.log" 2>&1 &
daemon_pid=$!
daemon_log="$dir/act.log"
resp=
for _i in $(seq 1 100); do
    if [ -S "$actsock" ]; then
        resp=$(timeout 5 "$py" "$wire_py" --timeout 2 send "$actsock" '{"op":"jwks"}' 2>/dev/null)
        [ -n "$resp" ] && break
    fi
    daemon_alive || break
    sleep 0.1
done
check "$(printf '%s' "$resp" | field ok 2>/dev/null)" true "socket activation: serves on the passed descriptor"
check "$(cat "/proc/$daemon_pid/comm" 2>/dev/null)" jwt-helperd "socket activation: the launcher's pid is the daemon (LISTEN_PID matched)"
if [ -e "$dir/not-this-one" ]; then
    not_ok "socket activation: the configured socket path is not bound"
else
    ok "socket activation: the configured socket path is not bound"
fi
check "$(sed -n 's/^Uid:[[:space:]]*//p' "/proc/$daemon_pid/status" | tr -s ' \t' ' ')" \
    "$nuid $nuid $nuid $nuid" "socket activation: dropped to nobody as well"
resp=$(wire send "$actsock" "$(req op=login username=alice password=Root-test-pw-2)")
check "$(printf '%s' "$resp" | field ok)" true "socket activation: login works"
kill -TERM "$daemon_pid"
lib_wait_exit 5
check "$exit_status" 0 "socket activation: SIGTERM exits 0"
check_true "socket activation: the daemon leaves the passed socket's file alone" test -S "$actsock"

# LISTEN_PID of another process: the descriptor is not ours, bind our own
conf_act2="$dir/act2.conf"
lib_conf "$conf_act2"
"$py" - "$dir/other.sock" "$helperd" "$conf_act2" >"$dir/act2.log" 2>&1 </dev/null <<'EOF' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(4)
os.dup2(s.fileno(), 3)
env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID=str(os.getpid() + 100000))
os.execve(sys.argv[2], [sys.argv[2], "-f", "-c", sys.argv[3]], env)
EOF
daemon_pid=$!
daemon_log="$dir/act2.log"
resp=
for _i in $(seq 1 100); do
    if [ -S "$sock" ]; then
        resp=$(timeout 5 "$py" "$wire_py" --timeout 2 send "$sock" '{"op":"jwks"}' 2>/dev/null)
        [ -n "$resp" ] && break
    fi
    daemon_alive || break
    sleep 0.1
done
check "$(printf '%s' "$resp" | field ok 2>/dev/null)" true \
    "socket activation: a LISTEN_PID that is not ours is ignored (own socket bound)"
lib_stop

tap_end

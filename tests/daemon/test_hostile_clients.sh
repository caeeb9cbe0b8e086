#!/bin/sh
# SPDX-License-Identifier: MIT
# Hostile clients under load (jwt-helperd(8), LIMITS: a slow or hostile client
# never stalls others; logins never starve refreshes). For HOSTILE_SECONDS,
# from uids of their own (as attackers with their own accounts, or a user
# namespace's, would come):
#  * max_clients silent connections, reopened as soon as the daemon closes
#    one (four uids of max_clients_per_uid each);
#  * connections dripping half a login line, a byte a second;
#  * 65537-byte lines (one over the limit, newline included), binary junk;
#  * bad logins in a loop, for a known user and for random unknown names;
# while root's good client refreshes its token over and over. Every good
# refresh must complete; its p99 is printed, not asserted (the machine may
# be loaded). The daemon's peak memory (VmHWM) stays under a generous bound
# and it holds as many descriptors afterwards as before.
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/daemon/lib.sh"

HOSTILE_SECONDS=${HOSTILE_SECONDS:-15}
MAX_CLIENTS=32
PER_UID=8

lib_init hostile
if ! is_root; then
    echo "1..0 # SKIP needs root: the hostile clients run as uids of their own"
    exit 0
fi
lib_setup
lib_user alice ssh,sudo
conf="$dir/helperd.conf"
# login_delay as shipped: bad logins meet the real delay
lib_conf "$conf" "max_clients = $MAX_CLIENTS" "max_clients_per_uid = $PER_UID" "login_delay = 1"
if ! lib_start "$conf"; then
    not_ok "daemon starts"
    tap_end
fi
ok "daemon starts"

# status_of FIELD: a line of /proc/PID/status of the daemon, in kB.
status_kb() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$daemon_pid/status"; }
fd_count() { ls "/proc/$daemon_pid/fd" | wc -l | tr -d ' '; }

resp=$(wire send "$sock" "$(req op=login username=alice "password=$TEST_PASSWORD")")
rt=$(printf '%s' "$resp" | field refresh_token)
check "$(printf '%s' "$resp" | field ok)" true "setup: alice logs in"
remember "$rt"
fds_before=$(fd_count)
hwm_before=$(status_kb VmHWM)
echo "# before: $fds_before descriptors, VmHWM $hwm_before kB"

# as_uid UID CMD...: CMD as a uid with no account (an attacker's own).
as_uid() {
    _au=$1
    shift
    setpriv --reuid="$_au" --regid="$_au" --clear-groups -- "$@"
}
hostile() { as_uid "$1" timeout $((HOSTILE_SECONDS + 30)) "$py" "$wire_py" --timeout 5 hostile "$2" "$sock" "$HOSTILE_SECONDS" "$3"; }

t0=$(now_ms)
pids=
for u in 1 2 3 4; do
    hostile $((61000 + u)) silent $PER_UID >"$dir/h.silent$u" 2>&1 &
    pids="$pids $!"
done
sleep 1 # the silent ones take every slot first
hostile 61005 drip $PER_UID >"$dir/h.drip" 2>&1 &
pids="$pids $!"
hostile 61006 oversize "" >"$dir/h.oversize" 2>&1 &
pids="$pids $!"
hostile 61007 junk "" >"$dir/h.junk" 2>&1 &
pids="$pids $!"
hostile 61008 badlogin alice >"$dir/h.bad1" 2>&1 &
pids="$pids $!"
hostile 61009 badlogin alice >"$dir/h.bad2" 2>&1 &
pids="$pids $!"
timeout $((HOSTILE_SECONDS + 30)) "$py" "$wire_py" refresh-loop "$sock" "$rt" $((HOSTILE_SECONDS - 2)) \
    >"$dir/good.out" 2>"$dir/good.err" &
good_pid=$!
# root's status, now and then: the house is full (connections counted
# with status's own)
full=0
for i in 1 2 3 4 5; do
    sleep 1
    c=$(wire send "$sock" '{"op":"status"}' | grep -o '"clients":[0-9]*' | cut -d: -f2)
    echo "# status during the attack: ${c:-?} clients"
    [ "${c:-0}" -ge "$MAX_CLIENTS" ] && full=$((full + 1))
done
wait "$good_pid"
good_rc=$?
hwm_during=$(status_kb VmHWM)
for p in $pids; do wait "$p"; done
t1=$(now_ms)
echo "# hostile clients ran $((t1 - t0)) ms; what they saw:"
cat "$dir"/h.* | sed 's/^/#   /'

good='' nfailed='' p50='' p99='' max=''
read -r _ good _ nfailed _ p50 _ p99 _ max <"$dir/good.out"
echo "# good client: $good refreshes, $nfailed failed; p50 $p50 ms, p99 $p99 ms, max $max ms"
head -n 5 "$dir/good.err" | sed 's/^/#   /'
check "$good_rc" 0 "good client: ran to the end"
check_true "the hostile clients filled all $MAX_CLIENTS slots ($full of 5 looks)" [ "$full" -ge 1 ]
check "$nfailed" 0 "good client: every refresh completed"
if [ "${good:-0}" -ge 20 ]; then ok "good client: at least 20 refreshes ($good)"; else not_ok "good client: at least 20 refreshes (${good:-none})"; fi

# the hostile clients really got at the daemon (else this tests nothing)
got() {
    _v=$(sed -n "s/.*[ ]$2=\([0-9]*\).*/\1/p" "$dir/h.$1" | head -n 1)
    echo "${_v:-0}"
}
n_over=$(got oversize invalid_request)
n_junk=$(got junk invalid_request)
# a bad login is answered invalid_grant (hashed), rate_limited (inside the
# name's delay) or refused (the uid's connections all wait out delays)
n_bad=0
for f in bad1 bad2; do
    n_bad=$((n_bad + $(got $f invalid_grant) + $(got $f rate_limited) + $(got $f refused)))
done
echo "# answered: $n_over oversize lines, $n_junk junk lines, $n_bad bad logins"
check_true "oversize lines were answered invalid_request (${n_over:-0})" [ "${n_over:-0}" -ge 5 ]
check_true "junk lines were answered invalid_request (${n_junk:-0})" [ "${n_junk:-0}" -ge 20 ]
check_true "at least 1000 bad logins were answered ($n_bad)" [ "$n_bad" -ge 1000 ]
check "$(got oversize ok)" 0 "no oversize line was served"

check_true "the daemon is alive" daemon_alive
echo "# the daemon logged $(cat "$dir"/daemon.*.log | wc -l) lines in all"
# memory: argon2id needs 64 MiB per concurrent hash (max_hashes = 1); the
# rest is small. A sanitizer build keeps freed memory in quarantine.
bound_kb=$((192 * 1024))
ldd "$helperd" 2>/dev/null | grep -q libasan && bound_kb=$((1024 * 1024))
echo "# VmHWM: $hwm_before kB before, $hwm_during kB after the attack (bound $bound_kb kB)"
check_true "memory stays bounded (VmHWM $hwm_during kB <= $bound_kb kB)" [ "$hwm_during" -le "$bound_kb" ]
# descriptors: the attackers are gone; failed logins' replies wait out
# their delay (up to 60 s) before the daemon writes and closes them
i=0
while [ "$(fd_count)" -gt "$fds_before" ] && [ $i -lt 700 ]; do
    sleep 0.1
    i=$((i + 1))
done
fds_after=$(fd_count)
echo "# descriptors: $fds_before before, $fds_after after (waited $((i / 10)) s for delayed replies)"
check "$fds_after" "$fds_before" "no descriptor leaked"
resp=$(wire send "$sock" "$(req op=refresh "refresh_token=$rt")")
check "$(printf '%s' "$resp" | field ok)" true "after the attack: a refresh works"
check_true "daemon log: no token" log_clean
lib_stop
check "$exit_status" 0 "SIGTERM: exits 0"
echo "# good refresh p99: $p99 ms"

# ---- busy attackers: every slot held by a failed login waiting out its
# delay, none silent. A newcomer of a uid holding fewer connections still
# gets in: a delayed failure's answer may go unsent (the delay is kept per
# name, so nothing is lost), where it once held its slot to the end. ----
conf2="$dir/helperd-busy.conf"
lib_conf "$conf2" "max_clients = 16" "max_clients_per_uid = 8" "login_delay = 1"
if ! lib_start "$conf2"; then
    not_ok "daemon starts (busy attackers)"
    tap_end
fi
busy=""
for u in 1 2; do
    hostile $((61100 + u)) delayed 8 >"$dir/h.delayed$u" 2>&1 &
    busy="$busy $!"
done
sleep 3
served=0 tries=20
i=0
while [ $i -lt $tries ]; do
    wire --timeout 10 send "$sock" '{"op":"jwks"}' 2>/dev/null | grep -q '"ok":true' &&
        served=$((served + 1))
    sleep 0.2
    i=$((i + 1))
done
# shellcheck disable=SC2086 # the pids are meant to split
wait $busy
check "$served" "$tries" "busy attackers on all 16 slots: root still served ($served of $tries)"
check_true "the busy attackers did hold the house ($(cat "$dir/h.delayed1"))" \
    grep -q 'invalid_grant=[1-9]' "$dir/h.delayed1"
check_true "the daemon is alive" daemon_alive
lib_stop
tap_end

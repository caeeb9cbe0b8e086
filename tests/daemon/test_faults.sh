#!/bin/sh
# SPDX-License-Identifier: MIT
# Faults injected into every writer of the users file, the revocation list
# and the client's refresh token (jwt-helperd(8), "User records": "a crash
# leaves the old file or the new one"; jwt-helper(1) FILES, state directory):
#  1. kill -9 at random instants of: the daemon's passwd over its socket
#     (the daemon is killed, then started again), root's `jwt-helper
#     useradd`, `usermod --scopes` and `revoke` (which publishes the
#     revocation list). After each kill both files parse and each holds its
#     old content or the new one (tests/daemon/fault_check.py), and every
#     change acknowledged before the kill (exit 0, an "ok":true line) is
#     there;
#  2. a full disk (a small tmpfs, in this test's own mount namespace) and
#     then a read-only one under each of those writers and `jwt-helper
#     login`: a clean error (a message, a plain exit code, "ok":false), the
#     old file byte for byte, no temporary file left, the daemon still up;
#     once the fault is gone the same write works.
# KILL_ROUNDS rounds in all (default 500), split between the writers; the
# daemon's rounds are the costly ones (a restart and two argon2id hashes).
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/daemon/lib.sh"

# The mounts of part 2 are made in a mount namespace of our own, so that
# nothing outside this test ever sees them.
if [ -z "${FAULTS_IN_NS:-}" ] && [ "$(id -u)" = 0 ]; then
    if ! unshare -m --propagation private true 2>"${TMPDIR:-/tmp}/faults-unshare.$$"; then
        echo "1..1"
        echo "not ok 1 - unshare -m works here (util-linux; root with CAP_SYS_ADMIN)"
        sed 's/^/# /' "${TMPDIR:-/tmp}/faults-unshare.$$"
        rm -f "${TMPDIR:-/tmp}/faults-unshare.$$"
        exit 1
    fi
    rm -f "${TMPDIR:-/tmp}/faults-unshare.$$"
    FAULTS_IN_NS=1 exec unshare -m --propagation private -- sh "$0" "$@"
fi

KILL_ROUNDS=${KILL_ROUNDS:-500}
TOKEN_ROUNDS=${TOKEN_ROUNDS:-50}
# the split: a 25th for the daemon (a restart and two hashes each), a
# sixth for useradd (it hashes too), the rest shared by usermod and revoke
R_PASSWD=$((KILL_ROUNDS / 25))
R_USERADD=$((KILL_ROUNDS / 6))
R_USERMOD=$(((KILL_ROUNDS - R_PASSWD - R_USERADD) / 2))
R_REVOKE=$((KILL_ROUNDS - R_PASSWD - R_USERADD - R_USERMOD))

lib_init faults
# part 2's file systems go before lib_cleanup removes $dir (lazily: the
# daemon may still be in one)
trap 'for d in db lib state; do umount -l "$dir/$d" 2>/dev/null; done; lib_cleanup' EXIT
if ! is_root; then
    echo "1..0 # SKIP needs root: root's CLI verbs and the mounts of part 2"
    exit 0
fi
lib_setup
lib_user alice ssh,sudo
lib_user bob ssh,sudo
conf="$dir/helperd.conf"
lib_conf "$conf" "access_ttl = 60"
check_py="$top_srcdir/tests/daemon/fault_check.py"
if ! lib_start "$conf"; then
    not_ok "daemon starts"
    tap_end
fi
ok "daemon starts"
printf '%s\n' 'Useradd-passw0rd' >"$dir/newpw"

# snap NAME: copies of the users file and the list as they are now.
snap() {
    as_daemon cat "$users" >"$dir/$1.users"
    as_daemon cat "$revoked" >"$dir/$1.revoked"
}
# leftovers: names in db/ and lib/ other than the files and their locks.
leftovers() {
    ls -A "$dir/db" "$dir/lib" | grep -v -x -e users -e users.lock -e revoked -e revoked.lock \
        -e filler \
        -e '' -e "$dir/db:" -e "$dir/lib:" | tr '\n' ' '
}
# delay_for SPAN_MS: a random sleep argument in 1/3..4/3 SPAN_MS (the
# write comes last, after the hashing; now and then 0), drawn before the
# writer starts so that only the kill's own timing lies between the start
# and the kill.
delay_for() {
    _r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
    _ms=$(($1 / 3 + _r % ($1 + 1)))
    [ $((_r % 8)) = 0 ] && _ms=0
    printf '%d.%03d' $((_ms / 1000)) $((_ms % 1000))
}
# span_of CMD...: how long CMD takes, in ms (at least 5).
span_of() {
    _t0=$(now_ms)
    "$@" >/dev/null 2>&1
    _t=$(($(now_ms) - _t0))
    [ "$_t" -lt 5 ] && _t=5
    echo "$_t"
}

bad=0 lost=0 new=0 acked=0
# judge ROUND ACKED: the files after one of the daemon's passwd rounds,
# against before.*.
judge() {
    _round=$1 _acked=$2
    snap after
    "$py" "$check_py" both "$dir/before.users" "$dir/after.users" "$dir/before.revoked" \
        "$dir/after.revoked" passwd alice "" "$since" >"$dir/judged"
    _bs=$?
    { read -r _u; read -r _l; } <"$dir/judged"
    if [ $_bs != 0 ]; then
        bad=$((bad + 1))
        echo "# passwd round $_round: users: $_u; list: $_l"
    fi
    [ "$_u" = new ] && new=$((new + 1))
    if [ "$_acked" = yes ]; then
        acked=$((acked + 1))
        # the daemon answered ok: the new password is in the users file
        if [ "$_u" != new ]; then
            lost=$((lost + 1))
            echo "# passwd round $_round: acknowledged, yet users $_u, list $_l"
        fi
    fi
}

t_part=$(now_ms)
# ---- 1a. root's CLI: revoke bob, usermod bob --scopes, useradd ----
# kills N CHANGE NAME ARG -- CMD...: N rounds of fault_check.py's kills,
# the kill aimed inside CMD's time (measured once, on round 0).
kills() {
    _n=$1 _c=$2 _name=$3 _arg=$4
    shift 5
    # shellcheck disable=SC2046
    _span=$(span_of $(printf '%s\n' "$@" | sed 's/{i}/0/g') <"$dir/newpw")
    echo "# $_c: one run takes about $_span ms; $_n kills"
    FAULT_STDIN="$dir/newpw" "$py" "$check_py" kills "$_n" "$_span" "$users" "$revoked" \
        "$_c" "$_name" "$_arg" -- "$@" >"$dir/kills.$_c" 2>&1
    grep '^#' "$dir/kills.$_c" | head -n 10
    _res=$(grep '^rounds' "$dir/kills.$_c")
    echo "# $_c: $_res"
    set -- $_res
    bad=$((bad + ${4:-1})) lost=$((lost + ${6:-1})) new=$((new + ${8:-0})) acked=$((acked + ${10:-0}))
}
# the daemon changes alice's password all the while: a writer killed
# holding the lock must not hold it up
pw=$TEST_PASSWORD
other=Kill-passw0rd-3
timeout 300 "$py" "$wire_py" passwd-loop --until "$dir/kills-done" "$sock" alice "$pw" "$other" 100000 \
    >"$dir/passwd.count" 2>"$dir/passwd.err" &
ploop=$!
FAULT_IGNORE=alice kills "$R_REVOKE" bump bob "" -- "$helper" revoke bob --config "$conf"
touch "$dir/kills-done"
wait "$ploop"
p_ok='' p_tried=''
read -r p_ok p_tried <"$dir/passwd.count"
echo "# the daemon's passwd beside the revoke kills: ${p_ok:-?} of ${p_tried:-?} succeeded"
head -n 3 "$dir/passwd.err" | sed 's/^/#   /'
p_ok=${p_ok:-0} p_tried=${p_tried:-none}
all_passwd_ok() { [ "$p_ok" -ge 1 ] && [ "$p_ok" = "$p_tried" ]; }
check_true "kill -9 of revoke: the daemon's passwds beside them all succeeded ($p_ok of $p_tried)" \
    all_passwd_ok
[ $((p_ok % 2)) = 1 ] && pw=$other other=$TEST_PASSWORD
kills "$R_USERMOD" scopes bob 'ssh,r{i}' -- "$helper" usermod bob --scopes 'ssh,r{i}' --config "$conf"
kills "$R_USERADD" add 'u{i}' ssh -- "$helper" useradd 'u{i}' --scopes ssh --password-stdin --config "$conf"
echo "# CLI rounds: $((R_REVOKE + R_USERMOD + R_USERADD)) in $(($(now_ms) - t_part)) ms"

# ---- 1b. the daemon's passwd, the daemon killed ----
t_part=$(now_ms)
t0=$(now_ms)
resp=$(wire send "$sock" "$(req op=passwd username=alice "old_password=$pw" "new_password=$other")")
span=$(($(now_ms) - t0))
check "$(printf '%s' "$resp" | field ok)" true "setup: the daemon's passwd works"
_t=$pw pw=$other other=$_t
echo "# a passwd takes about $span ms; $R_PASSWD kills of the daemon"
restarts=0
for i in $(seq 1 "$R_PASSWD"); do
    _sleep=$(delay_for "$span")
    snap before
    since=$(($(date +%s) - 1)) # time(2)'s coarse clock may lag a tick behind
    "$py" "$wire_py" --timeout 30 send "$sock" \
        "$(req op=passwd username=alice "old_password=$pw" "new_password=$other")" >"$dir/presp" 2>/dev/null &
    cpid=$!
    sleep "$_sleep"
    kill -9 "$daemon_pid"
    wait "$daemon_pid" 2>/dev/null
    daemon_pid=
    wait "$cpid"
    if grep -q '"ok":true' "$dir/presp"; then _ack=yes; else _ack=no; fi
    judge "$i" "$_ack"
    if [ "$_u" = new ]; then _t=$pw pw=$other other=$_t; fi
    if lib_start "$conf" >"$dir/start.out"; then
        restarts=$((restarts + 1))
    else
        sed 's/^/#   /' "$dir/start.out" | head -n 5
        break
    fi
done
echo "# daemon rounds: $R_PASSWD in $(($(now_ms) - t_part)) ms"

echo "# of $KILL_ROUNDS kills: $new left the new content, $acked came after the writer said ok"
check "$bad" 0 "kill -9: after each of $KILL_ROUNDS kills both files parse and hold old or new content"
check "$lost" 0 "kill -9: every acknowledged change is there ($acked acknowledged)"
# else the kills all landed before or after every write, and proved nothing
landed() { [ "$new" -ge 1 ] && [ "$acked" -ge 1 ] && [ "$new" -lt "$KILL_ROUNDS" ]; }
check_true "kill -9: some kills left the new content, some the old, some writers had said ok" landed
check "$restarts" "$R_PASSWD" "kill -9: the daemon started again after each of its $R_PASSWD kills"
check "$(stat -c %a "$users"):$(stat -c %a "$revoked")" 600:644 "kill -9: modes still 600 and 644"
# the next writers sweep what killed ones left
timeout 30 "$helper" revoke bob --config "$conf" >/dev/null 2>&1
check $? 0 "after the kills: a revoke works"
resp=$(wire send "$sock" "$(req op=passwd username=alice "old_password=$pw" "new_password=$other")")
check "$(printf '%s' "$resp" | field ok)" true "after the kills: alice changes the password the file says she has"
_t=$pw pw=$other other=$_t
check "$(leftovers)" "" "after the kills: no temporary file left"

# ---- 2. a full disk, then a read-only one ----
# Each of db/, lib/ and the client's state directory becomes a small tmpfs
# of its own holding what it held; fill FS fills one to the last byte.
t_part=$(now_ms)
lib_stop
state="$dir/state"
mkdir -m 700 "$state"
for d in db lib state; do
    cp -a "$dir/$d" "$dir/$d.save"
    mount -t tmpfs -o size=1m "faults-$d" "$dir/$d" || not_ok "mount a tmpfs on $d"
    cp -a "$dir/$d.save/." "$dir/$d/"
    chmod --reference="$dir/$d.save" "$dir/$d"
    chown --reference="$dir/$d.save" "$dir/$d"
done
if ! lib_start "$conf"; then
    not_ok "daemon starts on the small file systems"
    tap_end
fi
client() {
    env -u JWT_HELPER_SOCKET XDG_STATE_HOME="$state" timeout 30 "$helper" "$@" --socket "$sock"
}
printf '%s\n' "$pw" | client login -u alice --password-stdin >/dev/null 2>"$dir/login.err"
check $? 0 "setup: jwt-helper login stores a refresh token"
tok="$state/jwt-helper/refresh-token"
cache="$state/jwt-helper/access-token"

# ---- 1c. kill -9 of `jwt-helper token`, which caches every access token
# it gets (access_ttl = 60: a cached token never has more than the minute
# left that reuse needs, so every run refreshes and writes) ----
cp "$tok" "$dir/tok.first"
span=$(span_of client token)
echo "# token takes about $span ms; $TOKEN_ROUNDS kills"
torn=0 tlost=0 tacked=0
for i in $(seq 1 "$TOKEN_ROUNDS"); do
    _sleep=$(delay_for "$span")
    env -u JWT_HELPER_SOCKET XDG_STATE_HOME="$state" "$helper" token --socket "$sock" \
        >"$dir/token.out" 2>/dev/null &
    _pid=$!
    sleep "$_sleep"
    kill -9 "$_pid" 2>/dev/null
    wait "$_pid" 2>/dev/null
    _st=$?
    if ! grep -E -q -x '[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+' "$cache" ||
        [ "$(wc -l <"$cache")" != 0 ]; then
        torn=$((torn + 1))
        echo "# token round $i: the cached access token is not whole"
    fi
    if [ $_st = 0 ]; then
        tacked=$((tacked + 1))
        [ "$(cat "$cache")" = "$(cat "$dir/token.out")" ] || tlost=$((tlost + 1))
    fi
done
check "$torn" 0 "kill -9 of token: the cached access token is whole after each of $TOKEN_ROUNDS kills"
check "$tlost" 0 "kill -9 of token: a token printed is the one cached ($tacked printed)"
check_true "kill -9 of token: the refresh token is untouched" cmp -s "$dir/tok.first" "$tok"
# A kill in the middle of a write leaves a temporary file (0600, in the
# 0700 directory); `token` leaves them alone, since a concurrent `token`
# may own one, and the next login (which replaces the session) or logout
# sweeps them.
printf '%s\n' "$pw" | client login -u alice --password-stdin >/dev/null 2>&1
check $? 0 "after the kills: jwt-helper login works"
check "$(ls -A "$state/jwt-helper" | grep -v -x -e refresh-token -e access-token | tr '\n' ' ')" "" \
    "kill -9 of token: no temporary file left after the next login"
fill() { dd if=/dev/zero of="$dir/$1/filler" bs=4k >/dev/null 2>&1; sync; }
unfill() { rm -f "$dir/$1/filler"; }

# clean STATUS ERRFILE WHY: a plain failure (not a signal) that says WHY.
clean() {
    [ "$1" != 0 ] && [ "$1" -lt 126 ] && grep -q "$3" "$2"
}
# faulted FAULT WHY: every writer under FAULT (full or ro) on each file system.
faulted() {
    _f=$1 _why=$2
    # usermod: the users file
    snap before
    timeout 30 "$helper" usermod bob --scopes ssh,faulted --config "$conf" >/dev/null 2>"$dir/err"
    _s=$?
    snap after
    check_true "$_f db/: usermod fails cleanly ($_s: $(tail -n 1 "$dir/err"))" clean "$_s" "$dir/err" "$_why"
    check_true "$_f db/: the users file is as it was" cmp -s "$dir/before.users" "$dir/after.users"
    # the daemon's passwd: the users file
    resp=$(wire send "$sock" "$(req op=passwd username=alice "old_password=$pw" "new_password=$other")")
    snap after
    check "$(printf '%s' "$resp" | field ok):$(printf '%s' "$resp" | field error)" false:server_error \
        "$_f db/: the daemon's passwd fails with server_error"
    check_true "$_f db/: the users file is as it was" cmp -s "$dir/before.users" "$dir/after.users"
    check_true "$_f db/: the daemon is alive" daemon_alive
    check "$(leftovers)" "" "$_f db/: no temporary file left"
    # revoke with only lib/ faulted: the users write works, the list's fails
    [ "$_f" = full ] && { unfill db; fill lib; }
    [ "$_f" = read-only ] && { mount -o remount,rw "$dir/db"; }
    snap before
    timeout 30 "$helper" revoke bob --config "$conf" >/dev/null 2>"$dir/err"
    _s=$?
    snap after
    check_true "$_f lib/: revoke fails cleanly ($_s: $(tail -n 1 "$dir/err"))" clean "$_s" "$dir/err" "$_why"
    check_true "$_f lib/: the revocation list is as it was" cmp -s "$dir/before.revoked" "$dir/after.revoked"
    check "$(leftovers)" "" "$_f lib/: no temporary file left"
    # jwt-helper login: the client's refresh token
    cp "$tok" "$dir/tok.before"
    printf '%s\n' "$pw" | client login -u alice --password-stdin >/dev/null 2>"$dir/err"
    _s=$?
    check_true "$_f state: login fails cleanly ($_s: $(tail -n 1 "$dir/err"))" clean "$_s" "$dir/err" "$_why"
    check_true "$_f state: the refresh token is as it was" cmp -s "$dir/tok.before" "$tok"
    check "$(ls -A "$state/jwt-helper" | grep -v -x -e refresh-token -e access-token -e filler | tr '\n' ' ')" "" \
        "$_f state: no temporary file left"
}

fill db
fill state
faulted full 'No space left on device'
unfill lib
unfill state
for d in db lib state; do mount -o remount,ro "$dir/$d"; done
faulted read-only 'Read-only file system'
for d in db lib state; do mount -o remount,rw "$dir/$d"; done

# the fault gone, the same writes work
timeout 30 "$helper" usermod bob --scopes ssh,sudo --config "$conf" >/dev/null 2>&1
check $? 0 "afterwards: usermod works"
timeout 30 "$helper" revoke bob --config "$conf" >/dev/null 2>&1
check $? 0 "afterwards: revoke works"
resp=$(wire send "$sock" "$(req op=passwd username=alice "old_password=$pw" "new_password=$other")")
check "$(printf '%s' "$resp" | field ok)" true "afterwards: the daemon's passwd works"
_t=$pw pw=$other other=$_t
printf '%s\n' "$pw" | client login -u alice --password-stdin >/dev/null 2>&1
check $? 0 "afterwards: login works"
differs() { ! cmp -s "$1" "$2"; }
check_true "afterwards: the refresh token changed" differs "$dir/tok.before" "$tok"
echo "# full disk and read-only: $(($(now_ms) - t_part)) ms"
lib_stop
check "$exit_status" 0 "SIGTERM: exits 0"
tap_end

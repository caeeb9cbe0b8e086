#!/bin/sh
# SPDX-License-Identifier: MIT
# Passwords and tokens never leak (brief: "never log a token or password";
# pam_jwt(8), SECURITY NOTES: "The token, its signature and passwords are never logged").
# With known passwords and tokens (random each run) this runs
#  * the CLI: useradd --password-stdin, login (right and wrong password),
#    token, verify of a good and a tampered token;
#  * the daemon over its socket: login, wrong login, refresh, passwd,
#    logout;
#  * the module through real libpam (pamtester): auth with a good, a
#    tampered and an expired token, chauthtok through the daemon;
# and then looks for any of them (and each token's signature part) in:
#  * syslog: a private /dev/log (a datagram listener in this test's own
#    mount namespace, on a tmpfs over /dev) gets what every program sends
#    to syslog; the daemon's stderr and pam_wrapper's copy too;
#  * every error message and everything the programs printed;
#  * /proc/PID/cmdline and /proc/PID/environ of the daemon, of the CLI
#    while it waits on the daemon holding the password, and of pamtester
#    while the module waits on the daemon holding the old and new ones
#    (login_delay keeps those waits long enough to sample);
#  * core files: the daemon marks itself not dumpable (helperd_main.c,
#    after the privilege drop); it is killed with SIGABRT under `ulimit -c
#    unlimited` and must leave no core, where a dumpable twin does.
# A twin check shows the search finds a secret where one is.
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/daemon/lib.sh"

if [ -z "${SECRETS_IN_NS:-}" ] && [ "$(id -u)" = 0 ]; then
    if ! unshare -m --propagation private true 2>/dev/null; then
        echo "1..1"
        echo "not ok 1 - unshare -m works here (util-linux; root with CAP_SYS_ADMIN)"
        exit 1
    fi
    SECRETS_IN_NS=1 exec unshare -m --propagation private -- sh "$0" "$@"
fi

lib_init secrets
if ! is_root; then
    echo "1..0 # SKIP needs root: a private /dev/log (mount namespace) and the daemon's drop"
    exit 0
fi
lib_setup
if ! pam_find; then
    echo "1..1"
    echo "not ok 1 - pamtester under pam_wrapper can run: $pam_skip"
    exit 1
fi

# ---- a private /dev/log: a tmpfs over /dev with the few nodes we use ----
mount -t tmpfs -o mode=755,size=1m secrets-dev /dev || {
    echo "1..1"
    echo "not ok 1 - mount a tmpfs over /dev in a private mount namespace"
    exit 1
}
for node in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
    IFS=: read -r name major minor <<EOF
$node
EOF
    mknod -m 666 "/dev/$name" c "$major" "$minor"
done
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
mkdir -m 1777 /dev/shm
syslog_out="$dir/syslog.out"
"$py" - "$syslog_out" "$dir/syslog.stop" <<'EOF' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
s.settimeout(0.2)
with open(sys.argv[1], "ab", buffering=0) as out:
    while not os.path.exists(sys.argv[2]):
        try:
            out.write(s.recv(65536) + b"\n")
        except socket.timeout:
            pass
EOF
listener=$!
i=0
while [ ! -S /dev/log ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
logger -p authpriv.info "secrets-test: the listener hears" 2>/dev/null ||
    "$py" -c 'import syslog; syslog.syslog("secrets-test: the listener hears")'
sleep 0.3
if grep -q 'secrets-test: the listener hears' "$syslog_out" 2>/dev/null; then
    ok "a private /dev/log receives syslog lines"
else
    not_ok "a private /dev/log receives syslog lines"
fi

hex() { od -An -N8 -tx1 /dev/urandom | tr -d ' \n'; }
PW="Kn0wn-Passw0rd-$(hex)"
WRONG="Wr0ng-Passw0rd-$(hex)"
NEWPW="N3w-Passw0rd-$(hex)"
for s in "$PW" "$WRONG" "$NEWPW"; do remember "$s"; done
conf="$dir/helperd.conf"
# login_delay keeps a wrong password's answer back a second: long enough
# to look at the processes holding it
lib_conf "$conf" "login_delay = 1"

# ---- the CLI's admin verbs ----
printf '%s\n' "$PW" | timeout 30 "$helper" useradd alice --scopes ssh,sudo --password-stdin \
    --config "$conf" >"$dir/cli.out" 2>"$dir/cli.err"
check $? 0 "jwt-helper useradd alice --password-stdin"
printf '%s\n' "$PW" | timeout 30 "$helper" useradd carol --scopes ssh --password-stdin \
    --config "$conf" >>"$dir/cli.out" 2>>"$dir/cli.err"
if ! lib_start "$conf"; then
    not_ok "daemon starts"
    tap_end
fi
ok "daemon starts"

# ---- the daemon over its socket (its answers, which carry tokens by
# design, are kept in wire.resp, which the search leaves out) ----
resp=$(wire send "$sock" "$(req op=login username=alice "password=$PW")")
printf '%s\n' "$resp" >>"$dir/wire.resp"
at=$(printf '%s' "$resp" | field access_token)
rt=$(printf '%s' "$resp" | field refresh_token)
check "$(printf '%s' "$resp" | field ok)" true "daemon: alice logs in"
remember "$at"
remember "$rt"
wire send "$sock" "$(req op=login username=alice "password=$WRONG")" >>"$dir/wire.resp"
wire send "$sock" "$(req op=refresh "refresh_token=$rt")" >>"$dir/wire.resp"
wire send "$sock" "$(req op=refresh "refresh_token=${rt}x")" >>"$dir/wire.resp"
wire send "$sock" "$(req op=passwd username=nobody-such "old_password=$WRONG" "new_password=$NEWPW")" >>"$dir/wire.resp"

# ---- the CLI's session verbs, sampled while they wait on the daemon ----
state="$dir/state"
mkdir -m 700 "$state"
client() { env -u JWT_HELPER_SOCKET XDG_STATE_HOME="$state" timeout 30 "$helper" "$@" --socket "$sock"; }
# sample PID NAME: copies of PID's cmdline and environ (NUL as newline).
sample() {
    tr '\0' '\n' <"/proc/$1/cmdline" >"$dir/proc.$2.cmdline" 2>/dev/null
    tr '\0' '\n' <"/proc/$1/environ" >"$dir/proc.$2.environ" 2>/dev/null
    [ -s "$dir/proc.$2.cmdline" ]
}
# sample_while NAME PATTERN: samples the newest process whose command line
# matches PATTERN, while it runs (up to 5 s).
sample_while() {
    i=0
    while [ $i -lt 50 ]; do
        p=$(pgrep -n -f "$2") && sample "$p" "$1" && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
printf '%s\n' "$WRONG" | client login -u carol --password-stdin >"$dir/login-wrong.out" 2>"$dir/login-wrong.err" &
cpid=$!
check_true "cmdline and environ of jwt-helper login sampled while it waits" sample_while cli-login 'jwt-helper login -u carol'
wait "$cpid"
check_true "jwt-helper login: a wrong password is refused" [ $? != 0 ]
printf '%s\n' "$PW" | client login -u carol --password-stdin >"$dir/login.out" 2>"$dir/login.err"
check $? 0 "jwt-helper login: carol logs in"
carol_rt=$(cat "$state/jwt-helper/refresh-token" 2>/dev/null)
remember "$carol_rt"
carol_at=$(client token 2>"$dir/token.err")
check $? 0 "jwt-helper token prints carol's access token"
remember "$carol_at"
timeout 30 "$helper" verify --config "$pamconf" --user carol "$carol_at" >"$dir/verify.out" 2>"$dir/verify.err"
check $? 0 "jwt-helper verify accepts it"
# tamper TOKEN: TOKEN with its signature's tenth-last character changed
# (the last one carries padding bits a decoder may ignore)
tamper() {
    _head=${1%??????????}
    _tail=${1#"$_head"}
    _c=${_tail%?????????}
    [ "$_c" = A ] && _c=B || _c=A
    printf '%s%s%s' "$_head" "$_c" "${_tail#?}"
}
tampered=$(tamper "$carol_at")
remember "$tampered"
timeout 30 "$helper" verify --config "$pamconf" --user carol "$tampered" >>"$dir/verify.out" 2>>"$dir/verify.err"
check_true "jwt-helper verify refuses a tampered token" [ $? != 0 ]

# ---- the module through libpam ----
now=$(date +%s)
good=$("$mint" --key "$keys/signing.jwk" --typ at+jwt \
    "{\"iss\":\"test-issuer\",\"aud\":\"pam\",\"sub\":\"alice\",\"iat\":$((now - 10)),\"exp\":$((now + 300)),\"jti\":\"s-1\"}")
expired=$("$mint" --key "$keys/signing.jwk" --typ at+jwt \
    "{\"iss\":\"test-issuer\",\"aud\":\"pam\",\"sub\":\"alice\",\"iat\":$((now - 900)),\"exp\":$((now - 600)),\"jti\":\"s-2\"}")
for t in "$good" "$expired"; do remember "$t"; done
pam_logs() { cat "$dir/pam.out" "$dir/pam.log" >>"$dir/pam.all"; }
pam_auth jwttest alice "$good"
check $? 0 "pamtester: the good token authenticates"
pam_logs
pam_auth jwttest alice "$(tamper "$good")"
check_true "pamtester: a tampered token is refused" [ $? != 0 ]
pam_logs
remember "$(tamper "$good")"
pam_auth jwttest alice "$expired"
check_true "pamtester: an expired token is refused" [ $? != 0 ]
pam_logs
printf 'password required %s socket=%s debug\n' "$module" "$sock" >"$dir/svc/pw"
chmod 644 "$dir/svc/pw"
printf '%s\n%s\n%s\n' "$WRONG" "$NEWPW" "$NEWPW" | env PAM_WRAPPER_DEBUGLEVEL=2 LD_PRELOAD="$preload" \
    PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$dir/svc" timeout 30 pamtester -v pw alice chauthtok \
    >"$dir/pam.out" 2>"$dir/pam.log" &
ppid_=$!
check_true "cmdline and environ of pamtester sampled while the module waits" sample_while pamtester 'pamtester -v pw alice'
wait "$ppid_"
check_true "pamtester chauthtok: a wrong old password is refused" [ $? != 0 ]
pam_logs
printf '%s\n%s\n%s\n' "$PW" "$NEWPW" "$NEWPW" | env PAM_WRAPPER_DEBUGLEVEL=2 LD_PRELOAD="$preload" \
    PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$dir/svc" timeout 30 pamtester -v pw alice chauthtok \
    >"$dir/pam.out" 2>"$dir/pam.log"
check $? 0 "pamtester chauthtok: alice changes her password through the daemon"
pam_logs
resp=$(wire send "$sock" "$(req op=logout "refresh_token=$rt" all:=true)")
printf '%s\n' "$resp" >>"$dir/wire.resp"
check_true "cmdline and environ of the daemon sampled" sample "$daemon_pid" daemon

# ---- core files ----
# the files in /proc/PID of a process that is not dumpable belong to root,
# of a dumpable one to its user: the twin, a dumpable process of nobody
check "$(stat -c %u "/proc/$daemon_pid/environ")" 0 "the daemon is not dumpable (/proc/PID/environ owned by root)"
# The CLI holds passwords and refresh tokens too: run as nobody, waiting
# for a password on a pipe nobody writes, it is not dumpable either.
mkfifo -m 600 "$dir/nopw"
mkdir -m 700 "$dir/nobody-state" && chown nobody "$dir/nobody-state"
setpriv --reuid=nobody --regid=nogroup --clear-groups -- env XDG_STATE_HOME="$dir/nobody-state" \
    "$helper" login -u carol --password-stdin --socket "$sock" <>"$dir/nopw" >/dev/null 2>&1 &
cli=$!
sleep 0.3
check "$(stat -c %u "/proc/$cli/environ")" 0 "jwt-helper is not dumpable (/proc/PID/environ owned by root, though it runs as nobody)"
kill "$cli" 2>/dev/null
wait "$cli" 2>/dev/null
mkdir -m 777 "$dir/cores"
# ulimit -c: dash, bash and busybox sh all have it
# shellcheck disable=SC3045
(
    cd "$dir/cores" && ulimit -c unlimited &&
        exec setpriv --reuid=nobody --regid=nogroup --clear-groups -- sleep 30
) &
twin=$!
sleep 0.3
check "$(stat -c %u "/proc/$twin/environ")" "$(id -u nobody)" "twin: a dumpable process of nobody owns its /proc/PID/environ"
kill -ABRT "$twin"
wait "$twin" 2>/dev/null
pattern=$(cat /proc/sys/kernel/core_pattern)
twin_cores=$(ls "$dir/cores" | wc -l)
case $pattern in
'|'*) echo "# core_pattern is a pipe ($pattern): cores go there, not to a file; the dumpable check above stands" ;;
*) check_true "twin: a dumpable process killed by SIGABRT leaves a core (pattern $pattern)" [ "$twin_cores" -ge 1 ] ;;
esac
rm -f "$dir/cores"/*
lib_stop
# the daemon again, under ulimit -c unlimited in $dir/cores, then SIGABRT
# (it dumps core by default; the sanitizers leave it alone, and unlike
# SIGQUIT it is not ignored in commands a script starts with &)
# shellcheck disable=SC3045
(cd "$dir/cores" && ulimit -c unlimited && lib_start "$conf" && echo "$daemon_pid" >"$dir/core.pid") >"$dir/core.start"
dpid=$(cat "$dir/core.pid" 2>/dev/null)
if [ -n "$dpid" ]; then
    wire send "$sock" "$(req op=login username=alice "password=$NEWPW")" >>"$dir/wire.resp"
    kill -ABRT "$dpid"
    i=0
    while [ -d "/proc/$dpid" ] && [ "$(proc_state "$dpid")" != Z ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    sleep 0.5
    gone() { [ ! -d "/proc/$dpid" ] || [ "$(proc_state "$dpid")" = Z ]; }
    check_true "the daemon died of SIGABRT" gone
    # No check for its core file: the daemon works in /, where nobody may
    # not write, so even a dumpable daemon would leave none and the check
    # could not fail. Not dumpable is proved above, by environ's owner.
else
    not_ok "the daemon starts again with cores enabled"
    sed 's/^/#   /' "$dir/core.start"
fi

# ---- the search ----
touch "$dir/syslog.stop"
wait "$listener"
: >"$dir/secrets.pat"
while IFS= read -r s; do
    [ -n "$s" ] || continue
    printf '%s\n' "$s" >>"$dir/secrets.pat"
    case $s in *.*.*) printf '%s\n' "${s##*.}" >>"$dir/secrets.pat" ;; esac
done <"$dir/secrets"
# leaks FILE...: the lines of FILEs that hold a secret.
leaks() { cat "$@" 2>/dev/null | grep -a -F -f "$dir/secrets.pat"; }
# twin: the search finds a secret where one is
printf 'password is %s\n' "$PW" >"$dir/twin.txt"
leaks_in() { leaks "$@" >/dev/null; }
check_true "twin: the search finds a password where one is" leaks_in "$dir/twin.txt"
echo "# syslog got $(wc -l <"$syslog_out") lines, by sender:" \
    "$(sed -n 's/^<[0-9]*>[A-Z][a-z]* [ 0-9]* [0-9:]* \([^:[]*\).*/\1/p' "$syslog_out" | sort | uniq -c | tr -s ' \n' ' ')"
echo "# sampled $(ls "$dir"/proc.* | wc -l) /proc files"
for what in "syslog:$syslog_out" "daemon stderr:$dir/daemon.*.log" "CLI errors and output:$dir/*.err $dir/*.out" \
    "pamtester and pam_wrapper:$dir/pam.all" "/proc cmdline and environ:$dir/proc.*"; do
    name=${what%%:*}
    # shellcheck disable=SC2086
    if found=$(leaks ${what#*:}); then
        not_ok "no password or token in $name"
        printf '%s\n' "$found" | head -n 5 | cut -c 1-120 | sed 's/^/#   /'
    else
        ok "no password or token in $name"
    fi
done
tap_end

#!/bin/sh
# SPDX-License-Identifier: MIT
# jwt-helperd confines itself (issue 13, jwt-helperd(8) CONFINEMENT), and
# three start-up and descriptor faults stay fixed:
# * the real daemon runs with a seccomp filter in every thread, no_new_privs
#   and (where the kernel has it) Landlock; a SIGHUP that would need a
#   file outside the confinement is refused with a log line, one inside
#   takes effect;
# * confine_probe, which confines itself with the daemon's own function and
#   rule set for the same config, is killed by SIGSYS for exec, fork and an
#   AF_INET socket, cannot open a file outside (even as root) or create one
#   in the keys' directory, and can do both where the daemon must;
# * SIGHUP and SIGTERM during start-up (the dummy argon2id hash) are a
#   reload and a clean exit, not a death by the default action;
# * a users file or revocation list that failed to load for want of
#   descriptors (RLIMIT_NOFILE lowered with prlimit on the running daemon)
#   loads at the next request once descriptors are back, without the file
#   changing again;
# * accept failing with EMFILE is logged once per interval, not every
#   100 ms, and the waiting client is served once descriptors are back.
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/daemon/lib.sh"
probe="$top_builddir/tests/daemon/confine_probe"

lib_init confine
if [ ! -x "$probe" ]; then
    echo "1..0 # SKIP $probe not built (make check builds it)"
    exit 0
fi
if ! command -v prlimit >/dev/null; then
    echo "1..1"
    echo "not ok 1 - prlimit (util-linux) is needed to run the daemon out of descriptors"
    exit 1
fi
lib_setup
lib_user alice ssh,sudo
# The config in a directory of its own: the daemon may read all of it.
mkdir -m 755 "$dir/conf"
conf="$dir/conf/helperd.conf"
lib_conf "$conf"

login_ok() {
    wire send "$sock" "$(req op=login username=alice "password=$TEST_PASSWORD")" |
        grep -q '"ok":true'
}
# status_of FIELD: a line of the daemon's /proc status ("" when gone).
status_of() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$daemon_pid/status" 2>/dev/null; }
# fd_count / fd_max: the daemon's open descriptors, and the highest one.
fd_count() { ls "/proc/$daemon_pid/fd" | wc -l; }
fd_max() { ls "/proc/$daemon_pid/fd" | sort -n | tail -n 1; }
nofile_hard() { as_daemon prlimit --pid "$daemon_pid" --nofile --noheadings --output HARD | tr -d ' '; }
set_nofile() { as_daemon prlimit --pid "$daemon_pid" --nofile="$1:$(nofile_hard)"; }
# wait_for CMD...: up to 10 s for CMD to succeed.
wait_for() {
    _wf=0
    while ! "$@"; do
        _wf=$((_wf + 1))
        [ $_wf -gt 100 ] && return 1
        sleep 0.1
    done
}
log_has() { grep -q -e "$1" "$daemon_log"; }

# ---- the confined daemon ----
if ! lib_start "$conf"; then
    not_ok "daemon starts confined"
    tap_end
fi
ok "daemon starts confined"
check_true "login works confined (argon2id on a worker, tokens signed)" login_ok
check "$(status_of NoNewPrivs)" 1 "no_new_privs is set"
threads=0 filtered=0
for t in /proc/"$daemon_pid"/task/*; do
    threads=$((threads + 1))
    [ "$(sed -n 's/^Seccomp:[[:space:]]*//p' "$t/status")" = 2 ] && filtered=$((filtered + 1))
done
if [ "$threads" -ge 2 ] && [ "$filtered" = "$threads" ]; then
    ok "seccomp filter in every thread ($threads)"
else
    not_ok "seccomp filter in every thread"
    echo "#   $filtered of $threads threads filtered"
fi
if log_has "confined: seccomp filter and Landlock"; then
    landlock=yes
    ok "log: confined with seccomp and Landlock"
elif log_has "no Landlock" && log_has "confined: seccomp filter only"; then
    landlock=no
    ok "log: confined with seccomp; this kernel has no Landlock, said so"
else
    landlock=no
    not_ok "log names the confinement"
fi

# ---- the probe: the daemon's own confinement for the same config ----
# A file outside every directory the daemon may read; root could read it.
mkdir -m 700 "$dir/outside"
echo secret >"$dir/outside/file"
chmod 600 "$dir/outside/file"
for act in exec fork inet; do
    "$probe" "$conf" "$act" >"$dir/probe.out" 2>&1
    check "$?" 159 "confined: $act is forbidden and ends the process (SIGSYS)"
done
check "$("$probe" "$conf" unlisted 2>/dev/null):$?" EPERM:0 \
    "confined: a harmless call on neither list fails with EPERM, the process lives"
if [ "$landlock" = yes ]; then
    check "$("$probe" "$conf" read "$dir/outside/file")" EACCES \
        "confined: opening a file outside the confinement fails (EACCES)"
    check "$("$probe" "$conf" create "$keys/planted")" EACCES \
        "confined: creating a file in the keys' directory fails"
    check "$("$probe" "$conf" read "$keys/signing.jwk")" ok "confined: the signing key is readable"
    check "$("$probe" "$conf" create "$dir/db/probe.tmp")" ok \
        "confined: a file can be made in the users file's directory"
    rm -f "$dir/db/probe.tmp"
    check "$("$probe" "$conf" read /etc/passwd)" ok "confined: /etc/passwd stays readable (NSS)"
else
    skip "kernel without Landlock: file access is not restricted (5 checks)"
fi

# ---- SIGHUP inside and outside the confinement ----
mkdir -m 700 "$dir/db2"
is_root && chown nobody:nogroup "$dir/db2"
cp "$conf" "$dir/conf.good"

sed "s|^users = .*|users = $dir/db2/users|" "$conf" >"$dir/conf.moved"
cp "$dir/conf.moved" "$conf"
kill -HUP "$daemon_pid"
if [ "$landlock" = yes ]; then
    check_true "SIGHUP to a users file elsewhere: refused with a log line" \
        wait_for log_has "users $dir/db2/users is outside the directories"
    check_true "... and the daemon keeps serving the old users file" login_ok
else
    skip "kernel without Landlock: no path is outside (2 checks)"
fi
sed 's/^login_delay = 0$/login_delay = 0\naccess_ttl = 123/' "$dir/conf.good" >"$conf"
kill -HUP "$daemon_pid"
check_true "SIGHUP inside the confinement reloads" wait_for log_has "^.*reloaded$"
resp=$(wire send "$sock" "$(req op=login username=alice "password=$TEST_PASSWORD")")
check "$(printf '%s' "$resp" | field expires_in)" 123 "... and takes effect (access_ttl 123)"
cp "$dir/conf.good" "$conf"
# A users file of some hundreds of records: the daemon sorts them, and
# glibc's qsort of a large array asks sysinfo(2) for the memory size, a
# call no smaller test makes (the daemon once died of it).
i=0
while [ $i -lt 300 ]; do
    printf 'user%03d:%s\n' $i "$(grep '^alice:' "$users" | cut -d: -f2-)"
    i=$((i + 1))
done >"$dir/more-users"
as_daemon sh -c 'cat "$1" >>"$2"' sh "$dir/more-users" "$users"
check_true "301 user records: user299 logs in, confined" sh -c \
    "'$py' '$wire_py' send '$sock' '$(req op=login username=user299 "password=$TEST_PASSWORD")' | grep -q '\"ok\":true'"
check_true "... and the daemon lives" daemon_alive
# Any local user's request line with many members: the strict JSON scanner
# sorts their names, a large qsort again (this line once killed the daemon).
many=$(i=0; while [ $i -lt 60 ]; do printf '"x%d":1,' $i; i=$((i + 1)); done)
resp=$(wire send "$sock" "{$many\"op\":\"jwks\"}" 2>/dev/null)
check "$(printf '%s' "$resp" | field ok >/dev/null && echo answered)" answered \
    "a request line with 61 members is answered, confined"
check_true "... and the daemon lives" daemon_alive
lib_stop
check "$exit_status" 0 "SIGTERM: the confined daemon exits cleanly"

# ---- SIGHUP and SIGTERM during start-up ----
# early_signal SIG: starts the daemon and sends SIG as soon as it has the
# signal blocked and before its socket exists (still loading: the dummy
# hash). Sets early_sent to yes or to why not.
early_signal() {
    rm -f "$sock"
    daemon_log="$dir/daemon.early.$1.log"
    "$helperd" -f -c "$conf" </dev/null >"$daemon_log" 2>&1 &
    daemon_pid=$!
    early_sent="the daemon never had SIG$1 blocked before its socket existed"
    _i=0
    while [ $_i -lt 2000 ] && daemon_alive && [ ! -S "$sock" ]; do
        blk=$(status_of SigBlk)
        # SIGHUP is bit 0, SIGTERM bit 14 of the mask (hexadecimal).
        if [ -n "$blk" ] && [ $((0x$blk & 0x4001)) = $((0x4001)) ] && [ ! -S "$sock" ]; then
            kill "-$1" "$daemon_pid"
            early_sent=yes
            break
        fi
        _i=$((_i + 1))
    done
}
early_signal HUP
check "$early_sent" yes "start-up: SIGHUP sent while the daemon still loads"
check_true "start-up: an early SIGHUP does not kill it: it serves" \
    wait_for sh -c "[ -S '$sock' ] && timeout 5 '$py' '$wire_py' send '$sock' '{\"op\":\"jwks\"}' | grep -q '\"ok\":true'"
check_true "start-up: ... and the SIGHUP was a reload once started" wait_for log_has "reloaded$"
lib_stop
early_signal TERM
check "$early_sent" yes "start-up: SIGTERM sent while the daemon still loads"
lib_wait_exit 10
check "$exit_status" 0 "start-up: an early SIGTERM is a clean exit (status 0)"
check_true "start-up: ... logged as SIGTERM, not a death" log_has "SIGTERM: finishing"

# ---- users file and revocation list: a failed load for want of descriptors ----
if ! lib_start "$conf"; then
    not_ok "daemon starts again"
    tap_end
fi
check_true "setup: login works" login_ok
soft=$(as_daemon prlimit --pid "$daemon_pid" --nofile --noheadings --output SOFT | tr -d ' ')
# prlimit runs as the daemon's user: changing another user's limits takes
# CAP_SYS_RESOURCE, which a container's root may lack.
# out_of_fds: leaves the daemon one free descriptor: holds connections
# until every hole below the limit is filled but one.
holders=
out_of_fds() {
    set_nofile $(($(fd_max) + 2)) || return 1
    _want=$(($(fd_max) + 1))
    _i=0
    while [ "$(fd_count)" -lt "$_want" ] && [ $_i -lt 50 ]; do
        _c=$(fd_count)
        "$py" "$wire_py" hold "$sock" 30 >/dev/null 2>&1 &
        holders="$holders $!"
        wait_for sh -c "[ \$(ls /proc/$daemon_pid/fd | wc -l) -gt $_c ]" || break
        _i=$((_i + 1))
    done
    [ "$(fd_count)" = "$_want" ]
}
fds_back() {
    set_nofile "$soft"
    for h in $holders; do kill "$h" 2>/dev/null; done
    for h in $holders; do wait "$h" 2>/dev/null; done
    holders=
}
lib_user bob ssh # the users file changes: read again at the next request
check_true "EMFILE: the daemon has one descriptor left" out_of_fds
# The login takes that last descriptor: the users file cannot be opened.
wire send "$sock" "$(req op=login username=alice "password=$TEST_PASSWORD")" >"$dir/emfile.out"
check_true "EMFILE: the users file fails to load, logged" \
    wait_for log_has "users $users: .*Too many open files"
fds_back
check_true "EMFILE over: the users file loads again at the next login (unchanged since)" login_ok

rt=$(wire send "$sock" "$(req op=login username=alice "password=$TEST_PASSWORD")" | field refresh_token)
remember "$rt"
refresh_ok() { wire send "$sock" "$(req op=refresh "refresh_token=$rt")" | grep -q '"ok":true'; }
check_true "setup: refresh works" refresh_ok
as_daemon sh -c 'umask 022 && echo "nobody-here:1" >>"$1"' sh "$revoked" # the list changes
check_true "EMFILE: the daemon has one descriptor left (again)" out_of_fds
wire send "$sock" "$(req op=refresh "refresh_token=$rt")" >"$dir/emfile2.out"
check_true "EMFILE: the revocation list fails to load, logged" \
    wait_for log_has "revocation $revoked: .*Too many open files"
fds_back
check_true "EMFILE over: the revocation list loads again at the next refresh" refresh_ok

# ---- accept at EMFILE: throttled log, then served ----
# One free descriptor, taken by a silent client: the next one cannot be
# accepted.
no_fd_left() {
    out_of_fds || return 1
    _c=$(fd_count)
    "$py" "$wire_py" hold "$sock" 30 >/dev/null 2>&1 &
    holders="$holders $!"
    wait_for sh -c "[ \$(ls /proc/$daemon_pid/fd | wc -l) -gt $_c ]"
}
check_true "accept at EMFILE: no descriptor left" no_fd_left
mark=$(grep -c 'accept: ' "$daemon_log")
timeout 40 "$py" "$wire_py" --timeout 30 send "$sock" '{"op":"jwks"}' >"$dir/waiting.out" 2>&1 &
waiter=$!
sleep 11 # over 100 retries at 100 ms, one log interval (10 s) and more
tail -n +"$((mark + 1))" "$daemon_log" | grep 'accept: ' >"$dir/accept.log"
lines=$(wc -l <"$dir/accept.log")
if [ "$lines" -ge 1 ] && [ "$lines" -le 2 ]; then
    ok "accept at EMFILE: $lines log line(s) in 11 s, not one per retry"
else
    not_ok "accept at EMFILE: one or two log lines in 11 s"
    echo "#   $lines lines"
fi
# The count says the retries went on meanwhile.
retries=$(sed -n 's/.*failed \([0-9]*\) times.*/\1/p' "$dir/accept.log" | tail -n 1)
if [ "${retries:-0}" -ge 20 ]; then
    ok "accept at EMFILE: retried on, $retries failures summed up in one line"
else
    not_ok "accept at EMFILE: the log line counts the retries"
    sed 's/^/#   /' "$dir/accept.log"
fi
fds_back
wait "$waiter"
check_true "accept at EMFILE: the waiting client is served once descriptors are back" \
    grep -q '"ok":true' "$dir/waiting.out"
check_true "the daemon still serves" login_ok
check_true "daemon log: no token or password" log_clean
lib_stop
check "$exit_status" 0 "SIGTERM: clean exit after all that"
tap_end

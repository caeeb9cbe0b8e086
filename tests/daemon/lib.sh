# SPDX-License-Identifier: MIT
# Shared shell functions of the daemon tests (sourced, POSIX sh): TAP output,
# a temporary directory with keys, a config and user records, and starting
# and stopping the real jwt-helperd on a socket inside that directory.
#
# Run as root, the daemon is started as root with `user = nobody` (it drops
# to nobody itself) and every file it reads or writes is made readable or
# writable by nobody, as jwt-helperd(8), FILES, lays them out for _jwt-helper. Run as
# anyone else, the daemon runs as that user and no drop happens.
#
# Every wait is bounded: `timeout` around every client, polling loops with
# a count. HELPERD_WRAPPER, when set, is a command the daemon runs under
# (e.g. "valgrind -q --error-exitcode=9"; HELPERD_START_TRIES=600 gives it
# a minute to come up).

# The variables below are for the scripts that source this file.
# shellcheck disable=SC2034

: "${top_builddir:=.}"
: "${top_srcdir:=.}"
helperd="$top_builddir/jwt-helper/jwt-helperd"
helper="$top_builddir/jwt-helper/jwt-helper"
tool="$top_builddir/tests/tools/userdb-tool"
mint="$top_builddir/tests/tools/jwt-mint"
module="$top_builddir/.libs/pam_jwt.so"
py="${DEBIAN_PYTHON3:-python3}"
wire_py="$top_srcdir/tests/daemon/wire.py"
TEST_PASSWORD=test-password # userdb-tool's fixed hash (cheap argon2id limits)

# private_etc COPY: a private copy of the whole /etc (for tests that add
# accounts inside a private mount namespace).
. "$top_srcdir/tests/daemon/private_etc.sh"

n=0
failed=0
dir=
daemon_pid=
daemon_log=
sock=

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
check() { if [ "$1" = "$2" ]; then ok "$3"; else not_ok "$3"; echo "#   got '$1', want '$2'"; fi; }
# check_true DESCRIPTION CMD...: passes when CMD exits 0.
check_true() {
    _ct_desc=$1
    shift
    if "$@"; then ok "$_ct_desc"; else not_ok "$_ct_desc"; fi
}
# tap_end: a last check that no daemon log holds a sanitizer report (an
# --enable-sanitizers build writes them to stderr), then the plan.
tap_end() {
    if [ -n "$dir" ] && ls "$dir"/*.log >/dev/null 2>&1; then
        if cat "$dir"/*.log | grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' \
            -e 'runtime error:'; then
            not_ok "daemon logs: no sanitizer report"
            cat "$dir"/*.log | grep -A 12 -e 'ERROR: .*Sanitizer' -e 'runtime error:' | sed 's/^/#   /'
        else
            ok "daemon logs: no sanitizer report"
        fi
    fi
    echo "1..$n"
    exit "$failed"
}

is_root() { [ "$(id -u)" = 0 ]; }

# Runs CMD as the user the daemon runs as: nobody when we are root.
as_daemon() {
    if is_root; then
        setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
    else
        "$@"
    fi
}

# wire ARGS...: the raw protocol client, bounded.
wire() { timeout 60 "$py" "$wire_py" "$@"; }
# field NAME: a member of the JSON line on stdin.
field() { "$py" "$wire_py" get "$1"; }
# claim NAME: a claim of the JWT on stdin.
claim() { "$py" "$wire_py" claims "$1"; }
# req KEY=VALUE...: one request line.
req() { "$py" "$wire_py" json "$@"; }
now_ms() { date +%s%3N; }

# lib_init NAME: checks the built programs, makes $dir (removed at exit,
# with the daemon stopped).
lib_init() {
    for f in "$helperd" "$helper" "$tool" "$mint"; do
        if [ ! -x "$f" ]; then
            echo "1..0 # SKIP $f not built (make check builds it)"
            exit 0
        fi
    done
    if ! "$py" -c 'import json, socket' 2>/dev/null; then
        echo "1..0 # SKIP no python3 ($py) for the raw protocol client"
        exit 0
    fi
    if is_root && ! getent passwd nobody >/dev/null; then
        echo "1..0 # SKIP running as root and there is no user nobody to drop to"
        exit 0
    fi
    dir=$(mktemp -d "${TMPDIR:-/tmp}/jwt-$1-XXXXXX") || exit 1
    # the dropped daemon and clients run as nobody must traverse it
    chmod 755 "$dir"
    trap 'lib_cleanup' EXIT
    trap 'exit 1' INT TERM
    sock="$dir/sock"
}

lib_cleanup() {
    if [ "$failed" != 0 ] && [ -n "$dir" ]; then
        for l in "$dir"/daemon.*.log; do
            [ -f "$l" ] || continue
            echo "# last lines of $(basename "$l"):"
            tail -n 25 "$l" | sed 's/^/#   /'
        done
    fi
    if [ -n "$daemon_pid" ]; then
        kill -KILL "$daemon_pid" 2>/dev/null
        wait "$daemon_pid" 2>/dev/null
    fi
    # A private /etc inside $dir is a mount point: unmounted first, so
    # that all of $dir goes.
    [ -n "${PRIVATE_ETC:-}" ] && umount -l /etc
    [ -n "$dir" ] && rm -rf "$dir"
}

# lib_setup: keys in $dir/keys (signing.jwk and refresh.key root:nogroup
# 0640 when root, like jwt-helperd(8)'s root:_jwt-helper), the users directory
# $dir/db (0700, the daemon's), $dir/lib with an empty revocation list (the
# daemon's, 0644, as tmpfiles ships it), and a pam_jwt.conf for verify and
# pamtester.
lib_setup() {
    "$helper" keygen --dir "$dir/keys" >"$dir/keygen.out" 2>&1 || {
        cat "$dir/keygen.out" | sed 's/^/# /'
        echo "1..1"
        echo "not ok 1 - jwt-helper keygen --dir works"
        exit 1
    }
    keys="$dir/keys"
    users="$dir/db/users"
    revoked="$dir/lib/revoked"
    mkdir -m 700 "$dir/db"
    mkdir -m 755 "$dir/lib"
    if is_root; then
        chgrp nogroup "$keys/signing.jwk" "$keys/refresh.key"
        chmod 640 "$keys/signing.jwk" "$keys/refresh.key"
        chown nobody:nogroup "$dir/db" "$dir/lib"
    fi
    as_daemon sh -c 'umask 022 && : >"$1"' sh "$revoked"
    pamconf="$dir/pam_jwt.conf"
    printf 'jwks = %s\nissuer = test-issuer\naudience = pam\n' "$keys/jwks.json" >"$pamconf"
    chmod 644 "$pamconf"
}

# lib_conf FILE [LINE...]: a daemon config on the files of lib_setup, with
# login_delay = 0 unless a LINE sets it; LINEs are appended ("key = value").
lib_conf() {
    f=$1
    shift
    {
        echo "issuer = test-issuer"
        echo "audience = pam"
        echo "jwks = $keys/jwks.json"
        echo "signing_key = $keys/signing.jwk"
        echo "refresh_key = $keys/refresh.key"
        echo "users = $users"
        echo "revocation = $revoked"
        echo "socket = $sock"
        is_root && echo "user = nobody"
        for l in "$@"; do echo "$l"; done
        case " $* " in *"login_delay"*) ;; *) echo "login_delay = 0" ;; esac
    } >"$f"
    chmod 644 "$f"
}

# lib_user NAME SCOPES: a record with password $TEST_PASSWORD (cheap hash).
lib_user() { as_daemon "$tool" "$users" add "$1" "$2" >/dev/null; }
# gen_of NAME: NAME's generation (fails on any malformed line).
gen_of() { as_daemon "$tool" "$users" show "$1"; }

# proc_state PID: the state letter of PID, or nothing when it is gone.
# The state letter may be lower case: LeakSanitizer stops every thread with
# ptrace at exit ("t (tracing stop)"), which is still alive.
proc_state() { sed -n 's/^State:[[:space:]]*\([A-Za-z]\).*/\1/p' "/proc/$1/status" 2>/dev/null; }
# daemon_alive: the daemon runs (a zombie does not count).
daemon_alive() {
    [ -n "$daemon_pid" ] || return 1
    s=$(proc_state "$daemon_pid")
    [ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]
}

# lib_start CONF [ARGS...]: starts `jwt-helperd -f -c CONF ARGS` (stderr in
# $daemon_log) and waits up to 10 s until it answers jwks on $sock.
# Returns 0 when it serves, 1 otherwise (daemon_pid still set if it runs).
lib_start() {
    c=$1
    shift
    daemon_log="$dir/daemon.$(date +%s%N).log"
    # HELPERD_WRAPPER (e.g. "valgrind -q --error-exitcode=9") runs the daemon
    # under a tool; unquoted on purpose: it is a command with arguments.
    # shellcheck disable=SC2086
    ${HELPERD_WRAPPER:-} "$helperd" -f -c "$c" "$@" </dev/null >"$daemon_log" 2>&1 &
    daemon_pid=$!
    i=0
    while [ $i -lt "${HELPERD_START_TRIES:-100}" ]; do
        if [ -S "$sock" ] &&
            timeout 5 "$py" "$wire_py" --timeout 2 send "$sock" '{"op":"jwks"}' 2>/dev/null |
            grep -q '"ok":true'; then
            return 0
        fi
        daemon_alive || break
        sleep 0.1
        i=$((i + 1))
    done
    echo "# daemon did not come up; its log:"
    sed 's/^/#   /' "$daemon_log"
    return 1
}

# lib_wait_exit SECONDS: waits for the daemon to exit; sets exit_status and
# exit_ms (time waited). Returns 1 when it is still running after SECONDS.
lib_wait_exit() {
    t0=$(now_ms)
    i=0
    while daemon_alive && [ $i -lt $(($1 * 20)) ]; do
        sleep 0.05
        i=$((i + 1))
    done
    exit_ms=$(($(now_ms) - t0))
    if daemon_alive; then
        exit_status=running
        return 1
    fi
    wait "$daemon_pid"
    exit_status=$?
    daemon_pid=
    return 0
}

# lib_stop: SIGTERM, up to 10 s (then SIGKILL). Sets exit_status, exit_ms.
lib_stop() {
    [ -n "$daemon_pid" ] || return 0
    kill -TERM "$daemon_pid" 2>/dev/null
    if ! lib_wait_exit 10; then
        kill -KILL "$daemon_pid" 2>/dev/null
        wait "$daemon_pid" 2>/dev/null
        daemon_pid=
        return 1
    fi
    return 0
}

# cli_has VERB: the CLI implements VERB (a placeholder exits 2 silently).
cli_has() {
    _ch_out=$(timeout 10 "$helper" "$1" 2>&1 </dev/null)
    [ -n "$_ch_out" ]
}

# revoke_user NAME CONF: root's `jwt-helper revoke` when it is there and we
# are root; else the same by hand: bump the generation and list the instant.
revoke_user() {
    if is_root && cli_has revoke; then
        timeout 30 "$helper" revoke "$1" --config "$2" >"$dir/revoke.out" 2>&1
        return $?
    fi
    as_daemon "$tool" "$users" bump "$1" || return 1
    as_daemon sh -c 'umask 022 && { grep -v "^$1:" "$2"; echo "$1:$(date +%s)"; } >"$2.new" && mv "$2.new" "$2"' \
        sh "$1" "$revoked"
}

# pam_find: sets $preload for pamtester under pam_wrapper; returns 1 (with
# $pam_skip the reason) when that cannot run here.
pam_find() {
    pam_skip=
    if ! command -v pamtester >/dev/null 2>&1; then
        pam_skip="pamtester not installed (Debian package pamtester)"
        return 1
    fi
    wrapper=$(dpkg -L libpam-wrapper 2>/dev/null | grep '/libpam_wrapper\.so$' | head -n 1)
    if [ -z "$wrapper" ]; then
        for f in /usr/lib/*/libpam_wrapper.so /usr/lib/libpam_wrapper.so /usr/lib64/libpam_wrapper.so; do
            [ -f "$f" ] && wrapper=$f && break
        done
    fi
    if [ -z "$wrapper" ] || [ ! -f "$wrapper" ]; then
        pam_skip="libpam_wrapper.so not installed (Debian package libpam-wrapper)"
        return 1
    fi
    if [ ! -f "$module" ]; then
        pam_skip="$module not built"
        return 1
    fi
    preload=$wrapper
    # A sanitizer build's module needs its runtime (ASan or TSan) loaded first.
    asan=$(ldd "$module" 2>/dev/null | sed -n 's/.*lib[at]san[^ ]* => \([^ ]*\) .*/\1/p' | head -n 1)
    if [ -n "$asan" ]; then
        preload="$asan:$wrapper"
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
        export ASAN_OPTIONS
        # TSan refuses pam_wrapper's RTLD_DEEPBIND dlopen of libpam; this
        # (uid_wrapper's name, which pam_wrapper reads too) turns it off.
        UID_WRAPPER_DISABLE_DEEPBIND=1
        export UID_WRAPPER_DISABLE_DEEPBIND
    fi
    mkdir -p "$dir/svc"
    # pam_wrapper copies service files elsewhere: the module by absolute path.
    printf 'auth required %s config=%s\naccount required %s config=%s\n' \
        "$module" "$pamconf" "$module" "$pamconf" >"$dir/svc/jwttest"
    printf 'auth required %s config=%s revocation=%s\n' \
        "$module" "$pamconf" "$revoked" >"$dir/svc/jwtrevoke"
    chmod 755 "$dir/svc"
    chmod 644 "$dir/svc/jwttest" "$dir/svc/jwtrevoke"
    return 0
}

# pam_auth SERVICE USER TOKEN: pamtester authenticate under pam_wrapper, as
# the daemon's user when root (so the revocation list the daemon wrote,
# owned by nobody, is the euid's own, as it is _jwt-helper's for pam_jwt).
# Its stderr (pam_wrapper's syslog copy) goes to $dir/pam.log.
pam_auth() {
    printf '%s\n' "$3" | as_daemon env PAM_WRAPPER_DEBUGLEVEL=2 LD_PRELOAD="$preload" \
        PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$dir/svc" \
        timeout 30 pamtester -v "$1" "$2" authenticate >"$dir/pam.out" 2>"$dir/pam.log"
}

# remember SECRET: the daemon's log is later checked to hold none of these.
remember() { [ -n "$1" ] && printf '%s\n' "$1" >>"$dir/secrets"; }

# log_clean: the daemon's logs hold no remembered secret (nor the
# signature part of a token, which is what a careless log line would cut).
log_clean() {
    [ -f "$dir/secrets" ] || return 0
    : >"$dir/secrets.pat"
    while IFS= read -r s; do
        printf '%s\n' "$s" >>"$dir/secrets.pat"
        case $s in *.*.*) printf '%s\n' "${s##*.}" >>"$dir/secrets.pat" ;; esac
    done <"$dir/secrets"
    ! cat "$dir"/daemon.*.log | grep -q -F -f "$dir/secrets.pat"
}

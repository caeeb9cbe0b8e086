# SPDX-License-Identifier: MIT
# Sourced by test_sshd.sh and test_sudo.sh: runs a test as root inside a
# private mount and UTS namespace (host name $E2E_HOST) where the whole of
# /etc (so passwd, shadow, group, hosts, pam.d, sudoers), /run, /dev (for
# its /dev/log) and the login records are private copies bind-mounted over
# the real ones. Nothing is written to the host's files: the mounts die
# with the namespace, and the temporary directory is removed from outside
# it. /etc is bound as a directory, not file by file, so that the host
# replacing /etc/passwd meanwhile (apt-get adding a system user) cannot
# take the test's accounts away (tests/daemon/private_etc.sh).
#
# Caller sets E2E_NAME and calls, in this order:
#   e2e_preflight PROGRAM...   skip (1..0) unless this machine can run the test
#   e2e_enter_ns "$0"          re-run the script inside `unshare -m -u` (returns there)
#   e2e_setup                  the private files, the syslog sink, the keys, the test
#                              user, the shipped policy file as $T/pam_jwt.conf
# then the tap helpers (e2e_ok, e2e_not_ok, e2e_check) and e2e_done.

: "${top_builddir:=.}"
: "${top_srcdir:=.}"
E2E_PY=${DEBIAN_PYTHON3:-/usr/bin/python3}
E2E_TOOL="$top_srcdir/tests/e2e/e2e_tool.py"
. "$top_srcdir/tests/daemon/private_etc.sh"
E2E_MODULE="$top_builddir/.libs/pam_jwt.so"
E2E_HELPER="$top_builddir/jwt-helper/jwt-helper"
E2E_HELPERD="$top_builddir/jwt-helper/jwt-helperd"
E2E_MINT="$top_builddir/tests/tools/jwt-mint"
E2E_USER=pamjwte2e
E2E_ISS=e2e-issuer
# The namespace's host name: pam_jwt binds tokens to it (audience host:%h)
# and the clients connect by it (a private /etc/hosts maps it to 127.0.0.1).
E2E_HOST=web1
# Whole-run limit: every step has its own timeout, this catches the rest.
E2E_LIMIT=${E2E_LIMIT:-240}
e2e_n=0
e2e_failed=0

e2e_skip() {
    echo "1..0 # SKIP $*"
    exit 0
}

e2e_ok() {
    e2e_n=$((e2e_n + 1))
    echo "ok $e2e_n - $1"
}

e2e_not_ok() {
    e2e_n=$((e2e_n + 1))
    e2e_failed=1
    echo "not ok $e2e_n - $1"
}

# e2e_check GOT WANT DESC
e2e_check() {
    if [ "$1" = "$2" ]; then
        e2e_ok "$3"
    else
        e2e_not_ok "$3"
        echo "#   got '$1', want '$2'"
    fi
}

e2e_done() {
    if [ -n "${E2E_ETC_ID:-}" ] && ! e2e_accounts_hold; then
        e2e_bail "the private /etc or the test user $E2E_USER vanished mid-run: results void"
    fi
    echo "1..$e2e_n"
    exit $e2e_failed
}

# A step without which the rest means nothing: one clear line, then stop.
e2e_bail() {
    echo "Bail out! $E2E_NAME: $*"
    exit 1
}

e2e_must() {
    what=$1
    shift
    "$@" || e2e_bail "$what failed"
}

# e2e_find_prog NAME: absolute path of NAME (sbin is often not on PATH).
e2e_find_prog() {
    for d in $(echo "$PATH" | tr ':' ' ') /usr/sbin /sbin /usr/local/sbin; do
        if [ -x "$d/$1" ] && [ ! -d "$d/$1" ]; then
            case $d in /*) echo "$d/$1"; return 0 ;; esac
        fi
    done
    return 1
}

e2e_preflight() {
    [ "$(id -u)" = 0 ] || e2e_skip "needs root (a private mount namespace, a real sshd/sudo)"
    e2e_find_prog unshare >/dev/null || e2e_skip "unshare not installed (util-linux)"
    unshare -m -u --propagation private true 2>/dev/null ||
        e2e_skip "unshare -m -u not permitted here (no CAP_SYS_ADMIN?)"
    for p in "$@" setpriv openssl timeout; do
        e2e_find_prog "$p" >/dev/null || e2e_skip "$p not installed"
    done
    [ -x "$E2E_PY" ] || e2e_skip "$E2E_PY not installed"
    for f in "$E2E_MODULE" "$E2E_HELPER" "$E2E_MINT"; do
        [ -f "$f" ] || e2e_skip "$f not built (make check builds it)"
    done
    # HACKING.md, "Tests": an ASan module loads into sshd or sudo only with the ASan
    # runtime preloaded into a setuid or privilege-separated program: the
    # e2e tests run on the normal build.
    if ldd "$E2E_MODULE" 2>/dev/null | grep -q libasan; then
        e2e_skip "sanitizer build: pam_jwt.so cannot load into sshd/sudo; run on the normal build"
    fi
}

# Re-runs the script in a private mount and UTS namespace, removes the temporary
# directory afterwards (from here, where the bind mounts do not exist) and
# prints the run time. Returns only inside the namespace.
e2e_enter_ns() {
    if [ "${PAM_JWT_E2E_DIR:-}" != "" ]; then
        T=$PAM_JWT_E2E_DIR
        return 0
    fi
    dir=$(mktemp -d "${TMPDIR:-/tmp}/pam_jwt-e2e-XXXXXX") || exit 1
    # The test user must reach its home and the askpass inside.
    chmod 755 "$dir"
    start=$(date +%s)
    # timeout signals its whole process group: sshd and the daemon too.
    PAM_JWT_E2E_DIR=$dir timeout -k 5 "$E2E_LIMIT" \
        unshare -m -u --propagation private /bin/sh "$1"
    rc=$?
    if [ $rc = 124 ] || [ $rc = 137 ]; then
        echo "Bail out! $E2E_NAME: timed out after $E2E_LIMIT s"
    fi
    rm -rf "$dir"
    echo "# $E2E_NAME: run time $(($(date +%s) - start)) s"
    exit $rc
}

e2e_cleanup() {
    for pid in ${E2E_PIDS:-}; do
        kill "$pid" 2>/dev/null
    done
}

# A private /run: sshd's privilege separation directory, sudo's timestamps
# and anything else written under /run stay in the namespace.
e2e_private_run() {
    e2e_must "mount a private /run" mount -t tmpfs -o mode=755,size=16m e2e-run /run
    mkdir -m 755 /run/sshd
}

# A private /dev holding the real device nodes (bind mounts) and a /dev/log
# that is ours: the module's syslog lines land in $T/syslog.
e2e_private_dev() {
    mkdir "$T/.hostdev" "$T/.bin"
    e2e_must "bind the real /dev aside" mount --rbind /dev "$T/.hostdev"
    e2e_must "mount a private /dev" mount -t tmpfs -o mode=755,size=1m e2e-dev /dev
    [ "$(findmnt -n -o SOURCE /dev | tail -n 1)" = e2e-dev ] || e2e_bail "/dev is not the private one"
    for name in null zero full random urandom tty ptmx; do
        [ -e "$T/.hostdev/$name" ] || continue
        : >"/dev/$name"
        e2e_must "bind /dev/$name" mount --bind "$T/.hostdev/$name" "/dev/$name"
    done
    for name in pts shm; do
        [ -d "$T/.hostdev/$name" ] || continue
        mkdir "/dev/$name"
        e2e_must "bind /dev/$name" mount --rbind "$T/.hostdev/$name" "/dev/$name"
    done
    ln -s /proc/self/fd /dev/fd
    ln -s /proc/self/fd/0 /dev/stdin
    ln -s /proc/self/fd/1 /dev/stdout
    ln -s /proc/self/fd/2 /dev/stderr
    # Nothing below may reach the real /dev through $T.
    e2e_must "detach the real /dev" umount -l "$T/.hostdev"
    : >"$T/syslog"
    "$E2E_PY" "$E2E_TOOL" sink /dev/log "$T/syslog" 2>"$T/sink.err" &
    E2E_PIDS="${E2E_PIDS:-} $!"
    i=0
    while [ ! -S /dev/log ]; do
        i=$((i + 1))
        [ $i -gt 50 ] && e2e_bail "the syslog sink did not start: $(cat "$T/sink.err")"
        sleep 0.1
    done
}

# The host name E2E_HOST (the UTS namespace is ours) and a private
# /etc/hosts that maps it to 127.0.0.1, so ssh connects by that name.
e2e_private_host() {
    e2e_must "set the host name" hostname "$E2E_HOST"
    cp /etc/hosts "$T/hosts" 2>/dev/null || : >"$T/hosts"
    printf '127.0.0.1 %s\n' "$E2E_HOST" >>"$T/hosts"
    chmod 644 "$T/hosts"
    e2e_must "bind /etc/hosts" mount --bind "$T/hosts" /etc/hosts
}

# The shipped policy file (conf/pam_jwt.conf) as $T/pam_jwt.conf, with
# what a host adds: the test's key set and issuer as global lines, and the
# revocation list moved into $T (an empty one, root-owned, as tmpfiles
# makes it). Its service blocks are the policy the tests check.
e2e_policy() {
    grep -qx 'revocation = /var/lib/jwt-helper/revoked' "$top_srcdir/conf/pam_jwt.conf" ||
        e2e_bail "conf/pam_jwt.conf does not turn revocation on"
    {
        printf 'jwks = %s\nissuer = %s\n' "$T/jwks.json" "$E2E_ISS"
        sed "s|^revocation = /var/lib/jwt-helper/revoked\$|revocation = $T/revoked|" \
            "$top_srcdir/conf/pam_jwt.conf"
    } >"$T/pam_jwt.conf"
    : >"$T/revoked"
    chmod 644 "$T/pam_jwt.conf" "$T/revoked"
}

# The test user added (password $E2E_PASSWORD) to the private /etc's
# passwd, group and shadow, and private login records (sshd appends failed
# logins to btmp).
e2e_private_accounts() {
    e2e_private_etc # never the host's own files: callers need not have called it
    mkdir -p "$T/etc" "$T/home"
    for f in passwd group shadow gshadow; do
        [ -f "/etc/$f" ] || continue
        grep -v "^$E2E_USER:" "/etc/$f" >"$T/etc/$f.new" # drop a same-named host user
        cat "$T/etc/$f.new" >"/etc/$f"                   # in place: mode and owner stay
    done
    E2E_UID=61000
    while cut -d: -f3 /etc/passwd /etc/group | grep -qx "$E2E_UID"; do
        E2E_UID=$((E2E_UID + 1))
    done
    E2E_GID=$E2E_UID
    E2E_HOME="$T/home/$E2E_USER"
    E2E_PASSWORD="pw-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    hash=$(printf '%s\n' "$E2E_PASSWORD" | openssl passwd -6 -stdin) || e2e_bail "openssl passwd"
    echo "$E2E_USER:x:$E2E_UID:$E2E_GID:pam_jwt e2e test:$E2E_HOME:/bin/sh" >>/etc/passwd
    echo "$E2E_USER:x:$E2E_GID:" >>/etc/group
    echo "$E2E_USER:$hash:19000:0:99999:7:::" >>/etc/shadow
    [ -f /etc/gshadow ] && echo "$E2E_USER:!::" >>/etc/gshadow
    [ "$(id -u "$E2E_USER" 2>/dev/null)" = "$E2E_UID" ] || e2e_bail "the test user is not visible"
    mkdir -m 755 "$E2E_HOME"
    chown "$E2E_UID:$E2E_GID" "$E2E_HOME"
    for f in btmp wtmp lastlog faillog; do
        [ -f "/var/log/$f" ] || continue
        : >"$T/etc/$f"
        e2e_must "bind /var/log/$f" mount --bind "$T/etc/$f" "/var/log/$f"
    done
}

# A private copy of the whole /etc, made once: later binds (hosts,
# sudoers) go on top of it. Made after them instead (test_fleet binds
# /etc/hosts first), it carries their contents, as cp reads through them.
e2e_private_etc() {
    [ -n "${E2E_ETC_ID:-}" ] && return 0
    e2e_must "a private /etc" private_etc "$T/etcroot"
    E2E_ETC_ID=$(stat -c %d:%i /etc)
}

# The accounts still hold (e2e_done checks): the private /etc is still
# mounted and the test user still in it. Should anything defeat the
# isolation, the run ends with this one line instead of twenty failures.
e2e_accounts_hold() {
    [ "$(stat -c %d:%i /etc)" = "$E2E_ETC_ID" ] &&
        [ "$(id -u "$E2E_USER" 2>/dev/null)" = "$E2E_UID" ]
}

# Two signing keys (EdDSA, and ES384 for token lengths EdDSA cannot hit),
# one JWK Set with both, a pam_jwt.conf for the stacks.
e2e_keys() {
    timeout 30 "$E2E_HELPER" keygen --dir "$T/keys" >/dev/null 2>&1 || e2e_bail "keygen EdDSA"
    timeout 30 "$E2E_HELPER" keygen --alg ES384 --dir "$T/keys384" >/dev/null 2>&1 ||
        e2e_bail "keygen ES384"
    "$E2E_PY" "$E2E_TOOL" jwks-merge "$T/jwks.json" "$T/keys/jwks.json" "$T/keys384/jwks.json" ||
        e2e_bail "jwks-merge"
    chmod 644 "$T/jwks.json"
}

e2e_setup() {
    trap e2e_cleanup EXIT
    trap 'exit 1' INT TERM
    e2e_private_etc
    e2e_private_run
    e2e_private_dev
    e2e_private_host
    e2e_private_accounts
    e2e_keys
    e2e_policy
    # The askpass the tests hand to ssh and sudo: prints $T/answer, and
    # notes each prompt it was given (which the real jwt-askpass parses).
    cat >"$T/askpass" <<EOF
#!/bin/sh
printf '%s\n' "\$1" >>"$T/prompts"
cat "$T/answer"
EOF
    chmod 755 "$T/askpass"
    : >"$T/prompts"
    : >"$T/answer"
    chmod 666 "$T/prompts"
    chmod 644 "$T/answer"
    E2E_NOW=$(date +%s)
}

# e2e_answer TEXT: what the askpass prints next (one line).
e2e_answer() {
    printf '%s\n' "$1" >"$T/answer"
}

# e2e_as_user [VAR=VALUE...] COMMAND...: runs as the test user, clean env.
e2e_as_user() {
    setpriv --reuid="$E2E_UID" --regid="$E2E_GID" --init-groups \
        env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$E2E_HOME" USER="$E2E_USER" \
        LOGNAME="$E2E_USER" "$@"
}

# e2e_claims SUB AUD SCOPE IAT_OFFSET EXP_OFFSET AUTH_TIME_OFFSET: a payload
# without its closing brace, so that a caller may add claims.
e2e_claims() {
    printf '{"iss":"%s","sub":"%s","aud":"%s","scope":"%s","iat":%s,"exp":%s,"auth_time":%s,"jti":"e2e-%s","amr":["pwd"]' \
        "$E2E_ISS" "$1" "$2" "$3" $((E2E_NOW + $4)) $((E2E_NOW + $5)) $((E2E_NOW + $6)) \
        "$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
}

# e2e_mint CLAIMS [KEYDIR]: an access token (typ at+jwt) for the claims.
e2e_mint() {
    "$E2E_MINT" --key "${2:-$T/keys}/signing.jwk" --typ at+jwt "$1}"
}

# Length of the base64url (unpadded) text of N bytes.
e2e_b64len() {
    echo $((($1 / 3) * 4 + ($1 % 3 == 0 ? 0 : $1 % 3 + 1)))
}

# e2e_mint_len LENGTH CLAIMS OUTFILE: a valid token of exactly LENGTH bytes
# in OUTFILE, padded with a "pad" claim. Unpadded base64url never has a
# length of 4k+1, and an EdDSA signature is always 86 characters, so some
# lengths need another header (typ JWT instead of at+jwt) or another key
# (ES384, 128 characters). Sets E2E_MINT_HOW to the choice made.
e2e_mint_len() {
    for how in EdDSA:at+jwt EdDSA:JWT ES384:at+jwt ES384:JWT; do
        keydir="$T/keys"
        [ "${how%%:*}" = ES384 ] && keydir="$T/keys384"
        typ=${how#*:}
        base=$("$E2E_MINT" --key "$keydir/signing.jwk" --typ "$typ" "$2,\"pad\":\"\"}") || return 1
        n0=$((${#2} + 10)) # the payload with ,"pad":""}
        need=$(($1 - ${#base} + $(e2e_b64len $n0)))
        # 4q characters encode 3q bytes, 4q+2 one more, 4q+3 two more.
        case $((need % 4)) in
        0) k=$((need / 4 * 3 - n0)) ;;
        2) k=$((need / 4 * 3 + 1 - n0)) ;;
        3) k=$((need / 4 * 3 + 2 - n0)) ;;
        *) continue ;;
        esac
        [ $k -ge 0 ] || continue
        pad=$(printf "%${k}s" "" | tr ' ' p)
        "$E2E_MINT" --key "$keydir/signing.jwk" --typ "$typ" "$2,\"pad\":\"$pad\"}" >"$3" || return 1
        tok=$(cat "$3")
        [ "${#tok}" = "$1" ] || return 1
        E2E_MINT_HOW=$how
        return 0
    done
    return 1
}

# Marks the syslog's current end; e2e_log_since prints what came after.
e2e_log_mark() {
    E2E_LOG_MARK=$(wc -l <"$T/syslog")
}

e2e_log_since() {
    tail -n +"$((E2E_LOG_MARK + 1))" "$T/syslog"
}

# e2e_log_wait PATTERN: waits up to 3 s for a line matching PATTERN (grep
# -E) since the mark; the sink writes a moment after the sender returned.
e2e_log_wait() {
    i=0
    while ! e2e_log_since | grep -Eq "$1"; do
        i=$((i + 1))
        [ $i -gt 30 ] && return 1
        sleep 0.1
    done
    return 0
}

# e2e_module_lines: pam_jwt's and sudo's log lines since the mark, for TAP.
e2e_module_lines() {
    e2e_log_since | grep -E 'pam_jwt|pam_unix|sudo:' | sed 's/^/#   log: /'
}

# e2e_daemon: the real jwt-helperd on $T/sock, signing with $T/keys (so
# the stacks' key set verifies its tokens), the test user added with
# `jwt-helper useradd` (password $E2E_PASSWORD, scopes ssh,sudo) and logged
# in with `jwt-helper login` as that user, and $T/bin/jwt-askpass. Its
# audiences are the defaults (host:$E2E_HOST, and any host: asked for).
# The daemon drops to nobody, as the daemon tests run it. Returns 1 with the
# reason in E2E_DAEMON_WHY when this cannot be done.
e2e_daemon() {
    E2E_SOCK="$T/sock"
    E2E_DAEMON_WHY="jwt-helperd not built"
    [ -x "$E2E_HELPERD" ] || return 1
    E2E_DAEMON_WHY="no user nobody for the daemon to drop to"
    ngroup=$(id -gn nobody 2>/dev/null) || return 1
    chgrp "$ngroup" "$T/keys/signing.jwk" "$T/keys/refresh.key"
    mkdir -m 700 "$T/db"
    mkdir -m 755 "$T/lib" "$T/bin"
    chown "nobody:$ngroup" "$T/db" "$T/lib"
    setpriv --reuid=nobody --regid="$ngroup" --clear-groups sh -c 'umask 022 && : >"$1"' sh \
        "$T/lib/revoked"
    cat >"$T/helperd.conf" <<CONF
issuer = $E2E_ISS
jwks = $T/keys/jwks.json
signing_key = $T/keys/signing.jwk
refresh_key = $T/keys/refresh.key
users = $T/db/users
revocation = $T/lib/revoked
socket = $E2E_SOCK
user = nobody
CONF
    chmod 644 "$T/helperd.conf"
    E2E_DAEMON_WHY="jwt-helper useradd failed"
    printf '%s\n' "$E2E_PASSWORD" | timeout 60 "$E2E_HELPER" --config "$T/helperd.conf" \
        useradd "$E2E_USER" --scopes ssh,sudo --password-stdin >"$T/useradd.log" 2>&1 || return 1
    "$E2E_HELPERD" -f -c "$T/helperd.conf" </dev/null >"$T/helperd.log" 2>&1 &
    E2E_PIDS="$E2E_PIDS $!"
    i=0
    while [ ! -S "$E2E_SOCK" ]; do
        i=$((i + 1))
        E2E_DAEMON_WHY="jwt-helperd did not start: $(tr '\n' ' ' <"$T/helperd.log")"
        [ $i -gt 100 ] && return 1
        sleep 0.1
    done
    E2E_DAEMON_WHY="jwt-helper login failed"
    printf '%s\n' "$E2E_PASSWORD" | e2e_as_user JWT_HELPER_SOCKET="$E2E_SOCK" \
        timeout 60 "$E2E_HELPER" login -u "$E2E_USER" --password-stdin >"$T/login.log" 2>&1 ||
        return 1
    ln -s "$(cd "$(dirname "$E2E_HELPER")" && pwd)/$(basename "$E2E_HELPER")" "$T/bin/jwt-askpass"
    return 0
}

# e2e_skip_n N REASON: N skipped checks.
e2e_skip_n() {
    i=0
    while [ $i -lt "$1" ]; do
        e2e_n=$((e2e_n + 1))
        echo "ok $e2e_n # SKIP $2"
        i=$((i + 1))
    done
}

# e2e_sshd_start ADDRESS PORT: a real sshd (its own host key,
# $T/ssh_host_ed25519_key, and config) listening on ADDRESS:PORT, for
# the test user only, keyboard-interactive and password through PAM;
# its log in $T/sshd.log.
e2e_sshd_start() {
    sshd=$(e2e_find_prog sshd) || e2e_bail "sshd not installed"
    timeout 30 ssh-keygen -q -t ed25519 -N '' -f "$T/ssh_host_ed25519_key" || e2e_bail "ssh-keygen"
    cat >"$T/sshd_config" <<EOF
Port $2
ListenAddress $1
HostKey $T/ssh_host_ed25519_key
PidFile $T/sshd.pid
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication yes
PubkeyAuthentication no
HostbasedAuthentication no
AuthorizedKeysFile none
PermitRootLogin no
AllowUsers $E2E_USER
StrictModes no
PrintMotd no
PrintLastLog no
UseDNS no
MaxAuthTries 10
MaxStartups 100
LoginGraceTime 30
LogLevel VERBOSE
EOF
    # OpenSSH 9.8 and later penalise addresses whose logins fail: that would
    # lock the client's address out half way through. Older versions do not
    # know the key.
    cp "$T/sshd_config" "$T/sshd_config.try"
    echo "PerSourcePenalties no" >>"$T/sshd_config.try"
    if timeout 10 "$sshd" -t -f "$T/sshd_config.try" 2>/dev/null; then
        mv "$T/sshd_config.try" "$T/sshd_config"
    fi
    timeout 10 "$sshd" -t -f "$T/sshd_config" 2>"$T/sshd-t.err" ||
        e2e_bail "sshd -t refuses the config: $(cat "$T/sshd-t.err")"
    "$sshd" -D -e -f "$T/sshd_config" >"$T/sshd.log" 2>&1 &
    E2E_PIDS="${E2E_PIDS:-} $!"
    i=0
    until grep -q "Server listening on $1 port $2" "$T/sshd.log"; do
        i=$((i + 1))
        [ $i -gt 100 ] && e2e_bail "sshd did not start: $(tr '\n' ' ' <"$T/sshd.log")"
        sleep 0.1
    done
}

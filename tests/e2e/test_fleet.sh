#!/bin/sh
# SPDX-License-Identifier: MIT
# A fleet in one machine (issue 14): three hosts, each a network, UTS and
# mount namespace of its own with its own host name, /etc/pam.d, passwd,
# /run, /dev/log and login records (e2e_lib.sh's private files, once per
# host), joined by veth pairs:
#
#   bastion 10.14.1.1 --- 10.14.1.2 web1
#   bastion 10.14.2.1 --- 10.14.2.2 web2
#
# bastion runs jwt-helperd and the test user's jwt-helper/jwt-askpass;
# web1 and web2 run sshd with the shipped stack lines (conf/pam.d/*) and
# the shipped policy (conf/pam_jwt.conf), sudo with the shipped sudo lines
# and sudoers settings, and no daemon. They get jwks.json and the
# revocation list as config management would: a plain copy through the
# shared directory $T/share. Steps: ssh to web1 and web2 with jwt-askpass
# after one login; a token web1 received is refused on web2; revoke on the
# bastion, copied out, kills it on both; keys rotate / copy / activate /
# copy, tokens from before and after verify, the old key cannot mint new
# ones; sudo on web1 with a token piped through ssh. Every process of the
# three hosts is stopped at the end (their namespaces and veth pairs go
# with them), also on failure.
#
# Roles: run plainly it is the controller (TAP); "--host NAME FUNCTION
# ARGS..." runs FUNCTION inside host NAME's namespaces (see at()).
set -u
E2E_NAME=test_fleet
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
# Absolute: commands entered into a host's mount namespace start at /.
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
export top_srcdir top_builddir
. "$top_srcdir/tests/e2e/e2e_lib.sh"
FLEET_SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
# pam_jwt.conf's default leeway, which a retired key's instant allows for.
LEEWAY=60

# The private files every host has, its loopback up, and the names of the
# web hosts in its /etc/hosts (e2e_private_host maps its own name to
# 127.0.0.1, which sudo on it uses).
host_base() {
    e2e_must "bring up lo" ip link set lo up
    e2e_private_run
    e2e_private_dev
    e2e_private_host
    printf '10.14.1.2 web1\n10.14.2.2 web2\n' >>"$T/hosts"
    e2e_private_accounts
}

# What later calls into this host need (the test user's ids and home).
save_state() {
    {
        echo "E2E_UID=$E2E_UID E2E_GID=$E2E_GID E2E_HOME=$E2E_HOME"
        echo "E2E_PASSWORD=$E2E_PASSWORD E2E_SOCK=${E2E_SOCK:-}"
    } >"$T/state"
    chmod 600 "$T/state"
}

# shipped SNIPPET KIND: the snippet's KIND lines, the module by absolute
# path with this host's policy file.
shipped() {
    grep -E "^$2[[:space:]]" "$top_srcdir/conf/pam.d/$1" |
        sed "s|pam_jwt\.so|$E2E_MODULE config=$T/pam_jwt.conf|"
}

# A web host: the shipped policy, sshd and sudo stacks with the shipped
# lines, sshd on ADDRESS:22, and no daemon. Its key set and revocation
# list come from the bastion by copy.
setup_web() {
    host_base
    e2e_policy
    rm -f "$T/revoked" # the first copy from the bastion brings it
    {
        shipped sshd-pam_jwt auth
        echo "auth required pam_unix.so nodelay"
        echo "account required pam_unix.so"
        shipped sshd-pam_jwt account
        echo "session required pam_unix.so"
        shipped sshd-pam_jwt session
    } >/etc/pam.d/sshd
    # sudo: choice (a) of the snippet, token only.
    {
        shipped sudo-pam_jwt auth
        echo "account required pam_unix.so"
        shipped sudo-pam_jwt account
        echo "session required pam_unix.so"
    } >/etc/pam.d/sudo
    {
        grep -E '^Defaults' "$top_srcdir/conf/sudoers.d/pam_jwt.example"
        echo 'Defaults !fqdn'
        echo 'Defaults passwd_tries=1'
        echo "$E2E_USER ALL=(root) ALL"
    } >"$T/sudoers"
    chmod 440 "$T/sudoers"
    e2e_must "bind /etc/sudoers" mount --bind "$T/sudoers" /etc/sudoers
    timeout 10 visudo -c -f /etc/sudoers >/dev/null || e2e_bail "visudo refuses $T/sudoers"
    e2e_sshd_start "$1" 22
    printf '%s %s\n' "$E2E_HOST" "$(cut -d' ' -f1,2 "$T/ssh_host_ed25519_key.pub")" \
        >>"$SHARE/known_hosts"
    save_state
}

# The bastion: jwt-helperd with its own keys, the test user logged in once
# (e2e_daemon), and a jwt-askpass that keeps a copy of each token it hands
# to ssh: what the server at the other end receives.
setup_bastion() {
    host_base
    timeout 30 "$E2E_HELPER" keygen --dir "$T/keys" >/dev/null 2>&1 || e2e_bail "keygen"
    e2e_daemon || e2e_bail "$E2E_DAEMON_WHY"
    : >"$T/handed"
    chown "$E2E_UID" "$T/handed"
    cat >"$T/bin/askpass-tee" <<EOF
#!/bin/sh
tok=\$("$T/bin/jwt-askpass" "\$1") || exit 1
printf '%s\n' "\$tok" >>"$T/handed"
printf '%s\n' "\$tok"
EOF
    # The replay of a captured token: prints $T/answer.
    printf '#!/bin/sh\ncat "%s"\n' "$T/answer" >"$T/bin/askpass-replay"
    : >"$T/answer"
    chmod 755 "$T/bin/askpass-tee" "$T/bin/askpass-replay"
    chmod 644 "$T/answer"
    save_state
}

# user_ssh WEB ASKPASS COMMAND...: on the bastion, ssh as the test user to
# WEB (its host key known from the copy in $SHARE), ASKPASS answering.
user_ssh() {
    web=$1 askpass=$2
    shift 2
    e2e_as_user SSH_ASKPASS="$askpass" SSH_ASKPASS_REQUIRE=force JWT_HELPER_SOCKET="$E2E_SOCK" \
        timeout 30 ssh -F /dev/null -o BatchMode=no -o StrictHostKeyChecking=yes \
        -o UserKnownHostsFile="$SHARE/known_hosts" -o GlobalKnownHostsFile=/dev/null \
        -o PreferredAuthentications=keyboard-interactive -o NumberOfPasswordPrompts=1 \
        -o ConnectTimeout=10 -o LogLevel=ERROR "$E2E_USER@$web" "$@"
}

# user_helper ARGS...: jwt-helper as the test user on the bastion.
user_helper() {
    e2e_as_user JWT_HELPER_SOCKET="$E2E_SOCK" timeout 30 "$E2E_HELPER" "$@"
}

user_login() {
    printf '%s\n' "$E2E_PASSWORD" | user_helper login -u "$E2E_USER" --password-stdin
}

# sudo_via_ssh WEB TOKEN_ARGS...: the way to sudo on a host without a
# daemon: `jwt-helper token TOKEN_ARGS` on the bastion, piped through ssh
# (logged in with jwt-askpass) into `sudo -S` there.
sudo_via_ssh() {
    web=$1
    shift
    user_helper token "$@" | user_ssh "$web" "$T/bin/jwt-askpass" sudo -S id -u
}

# --- inside a host: T is the host's own directory, state what setup saved ---
if [ "${1:-}" = --host ]; then
    E2E_HOST=$2
    T=$PAM_JWT_E2E_DIR/$2
    SHARE=$PAM_JWT_E2E_DIR/share
    shift 2
    [ -f "$T/state" ] && . "$T/state"
    "$@"
    exit
fi

# --- the controller ---
e2e_preflight sshd ssh ssh-keygen sudo visudo findmnt ip nsenter
unshare -n -u -m --propagation private true 2>/dev/null ||
    e2e_skip "unshare -n -u -m not permitted here"
e2e_enter_ns "$FLEET_SELF"
ROOT=$T
SHARE=$ROOT/share
export PAM_JWT_E2E_DIR
FLEET_NETNS=""

# at HOST COMMAND...: COMMAND (a function of this script or a program)
# inside HOST's namespaces.
at() {
    h=$1
    shift
    nsenter -t "$(cat "$ROOT/$h.pid")" -n -u -m -- /bin/sh "$FLEET_SELF" --host "$h" "$@"
}

# The network namespaces of the hosts (net:[inode]); every process in one
# of them is the test's own.
fleet_pids() {
    for p in /proc/[0-9]*; do
        ns=$(readlink "$p/ns/net" 2>/dev/null) || continue
        case " $FLEET_NETNS " in *" $ns "*) echo "${p#/proc/}" ;; esac
    done
}

# Stops every process of the three hosts; their mounts, namespaces and
# veth pairs go with the last of them.
fleet_stop() {
    [ -n "$FLEET_NETNS" ] || return 0
    pids=$(fleet_pids)
    [ -n "$pids" ] && kill $pids 2>/dev/null
    i=0
    while [ -n "$(fleet_pids)" ] && [ $i -lt 30 ]; do
        i=$((i + 1))
        sleep 0.1
    done
    pids=$(fleet_pids)
    [ -n "$pids" ] && kill -9 $pids 2>/dev/null
    wait 2>/dev/null
}
trap fleet_stop EXIT
trap 'exit 1' INT TERM

# start_host NAME: a process holding fresh network, UTS and mount
# namespaces for NAME (bounded like the whole run).
start_host() {
    mkdir -m 755 "$ROOT/$1"
    unshare -n -u -m --propagation private sleep "$E2E_LIMIT" &
    pid=$!
    i=0
    until [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sleep ]; do
        i=$((i + 1))
        [ $i -gt 50 ] && e2e_bail "the namespaces of $1 were not made"
        sleep 0.1
    done
    echo "$pid" >"$ROOT/$1.pid"
    FLEET_NETNS="$FLEET_NETNS $(readlink "/proc/$pid/ns/net")"
}

# link N WEB: a veth pair, bastion's ethN 10.14.N.1 to WEB's eth0 10.14.N.2.
link() {
    at bastion ip link add "eth$1" type veth peer name eth0 netns "$(cat "$ROOT/$2.pid")" &&
        at bastion ip addr add "10.14.$1.1/24" dev "eth$1" &&
        at bastion ip link set "eth$1" up &&
        at "$2" ip addr add "10.14.$1.2/24" dev eth0 &&
        at "$2" ip link set eth0 up
}

mkdir -m 755 "$SHARE"
for h in bastion web1 web2; do
    start_host $h
done
# Nothing below may touch the machine's own network.
case " $FLEET_NETNS " in
*" $(readlink /proc/self/ns/net) "*) e2e_bail "a host shares the test's own network namespace" ;;
esac
link 1 web1 || e2e_bail "veth bastion-web1"
link 2 web2 || e2e_bail "veth bastion-web2"
at bastion setup_bastion >"$ROOT/bastion.log" 2>&1 ||
    e2e_bail "bastion: $(tr '\n' ' ' <"$ROOT/bastion.log")"
e2e_ok "bastion: jwt-helperd runs, the test user logged in once (jwt-helper login)"
at web1 setup_web 10.14.1.2 >"$ROOT/web1.log" 2>&1 || e2e_bail "web1: $(tr '\n' ' ' <"$ROOT/web1.log")"
at web2 setup_web 10.14.2.2 >"$ROOT/web2.log" 2>&1 || e2e_bail "web2: $(tr '\n' ' ' <"$ROOT/web2.log")"
names=""
for h in bastion web1 web2; do
    names="$names$(at $h hostname):$(at $h ip -o link show | grep -c .) "
done
e2e_check "$names" "bastion:3 web1:2 web2:2 " \
    "three hosts with their own host names and networks (bastion: lo and two veth; web: lo and one)"

bastion_ns=$(readlink "/proc/$(cat "$ROOT/bastion.pid")/ns/net")
daemons=""
for p in $(fleet_pids); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = jwt-helperd ] &&
        [ "$(readlink "/proc/$p/ns/net")" != "$bastion_ns" ] && daemons="$daemons $p"
done
e2e_check "$daemons" "" "web1 and web2: sshd on port 22 of their veth address, no jwt-helperd"

# copy FILE: config management: the bastion's FILE (keys/jwks.json or
# lib/revoked) through $SHARE to each web host's copy, root-owned 0644.
copy() {
    base=$(basename "$1")
    cp "$ROOT/bastion/$1" "$SHARE/$base" &&
        for h in web1 web2; do
            install -m 644 -o root -g root "$SHARE/$base" "$ROOT/$h/$base.new" &&
                mv "$ROOT/$h/$base.new" "$ROOT/$h/$base" || return 1
        done
}
copy keys/jwks.json && copy lib/revoked
e2e_check $? 0 "config management copies jwks.json and the revocation list to web1 and web2"

# ssh_run WEB ASKPASS COMMAND...: on the bastion; output in $ROOT/ssh.out
# and ssh.err, each web host's syslog marked first.
ssh_run() {
    mark_web1=$(wc -l <"$ROOT/web1/syslog")
    mark_web2=$(wc -l <"$ROOT/web2/syslog")
    at bastion user_ssh "$@" </dev/null >"$ROOT/ssh.out" 2>"$ROOT/ssh.err"
}

# logged WEB PATTERN: WEB's syslog got a line matching PATTERN since the
# mark; if not, its PAM lines since then as TAP comments.
logged() {
    if [ "$1" = web1 ]; then m=$mark_web1; else m=$mark_web2; fi
    (
        T=$ROOT/$1 E2E_LOG_MARK=$m
        [ -z "$2" ] || ! e2e_log_wait "$2" || exit 0
        e2e_module_lines
        exit 1
    )
}

# ssh_ok WEB ASKPASS DESC: the login runs `hostname` there.
ssh_ok() {
    ssh_run "$1" "$2" hostname
    rc=$?
    if [ $rc = 0 ] && [ "$(cat "$ROOT/ssh.out")" = "$1" ]; then
        e2e_ok "$3"
    else
        e2e_not_ok "$3"
        echo "#   ssh exit $rc, out '$(cat "$ROOT/ssh.out")': $(tr '\n' ' ' <"$ROOT/ssh.err")"
        logged "$1" ""
    fi
}

# ssh_refused WEB ASKPASS DESC REASON: refused, and WEB's pam_jwt said why.
ssh_refused() {
    ssh_run "$1" "$2" hostname
    rc=$?
    if [ $rc != 0 ] && [ ! -s "$ROOT/ssh.out" ]; then
        e2e_ok "$3: refused"
    else
        e2e_not_ok "$3: refused"
        echo "#   ssh exit $rc, out '$(cat "$ROOT/ssh.out")'"
    fi
    if logged "$1" "pam_jwt\(sshd:auth\): rejected: service=sshd user=$E2E_USER .*reason=$4"; then
        e2e_ok "$3: $1's pam_jwt logged reason=$4"
    else
        e2e_not_ok "$3: $1's pam_jwt logged reason=$4"
    fi
}

handed() { tail -n 1 "$ROOT/bastion/handed"; }
aud_of() { printf '%s' "$1" | "$E2E_PY" "$E2E_TOOL" claim aud; }
kid() { "$E2E_HELPER" decode "$1" | sed -n 's/^header: //p' | "$E2E_PY" -c 'import json,sys; print(json.load(sys.stdin)["kid"])'; }
replay() { printf '%s\n' "$1" >"$ROOT/bastion/answer"; }
TEE=$ROOT/bastion/bin/askpass-tee
REPLAY=$ROOT/bastion/bin/askpass-replay

# --- one login on the bastion, ssh to both web hosts ---
ssh_ok web1 "$TEE" "ssh web1 with SSH_ASKPASS=jwt-askpass runs a command there"
tok_web1=$(handed)
ssh_ok web2 "$TEE" "ssh web2 with SSH_ASKPASS=jwt-askpass runs a command there"
tok_web2=$(handed)
e2e_check "$(aud_of "$tok_web1") $(aud_of "$tok_web2")" "host:web1 host:web2" \
    "jwt-askpass asked for a token per host: aud host:web1, host:web2"
[ "$(wc -l <"$ROOT/bastion/handed")" = 2 ] || e2e_bail "jwt-askpass did not run once per login"

# --- a token web1 received is no good on web2 ---
replay "$tok_web1"
ssh_refused web2 "$REPLAY" "web1's token replayed on web2" "wrong audience"
ssh_ok web1 "$REPLAY" "web1's token replayed on web1 still logs in (before the revoke)"

# --- revoke on the bastion, the list copied out ---
# helper_root ARGS...: jwt-helper as root on the bastion, the daemon's configuration.
helper_root() { at bastion timeout 60 "$E2E_HELPER" --config "$ROOT/bastion/helperd.conf" "$@"; }
helper_root revoke "$E2E_USER" >"$ROOT/revoke.out" 2>&1
e2e_check $? 0 "jwt-helper revoke $E2E_USER on the bastion"
copy lib/revoked
e2e_check "$(cut -d: -f1 "$ROOT/web1/revoked") $(cut -d: -f1 "$ROOT/web2/revoked")" \
    "$E2E_USER $E2E_USER" "the revocation list, copied out, names the user on web1 and web2"
replay "$tok_web1"
ssh_refused web1 "$REPLAY" "after the copy: web1's captured token on web1" revoked
replay "$tok_web2"
ssh_refused web2 "$REPLAY" "after the copy: web2's captured token on web2" revoked
# jwt-askpass hands over its cached token (it has minutes left): dead too.
ssh_refused web1 "$TEE" "after the copy: ssh web1 with jwt-askpass (its cached token)" revoked
# revoke bumped the user's generation: no new token without a new login.
at bastion user_helper token --scope sudo --audience host:web1 >"$ROOT/token.out" 2>&1
e2e_check "$?:$(grep -c 'run jwt-helper login' "$ROOT/token.out")" "1:1" \
    "the bastion's refresh token is dead: jwt-helper token gets nothing and says to log in"
sed 's/^/#   jwt-helper token: /' "$ROOT/token.out"
at bastion user_login >"$ROOT/login.out" 2>&1 || e2e_bail "login again: $(cat "$ROOT/login.out")"
ssh_ok web1 "$TEE" "after jwt-helper login again, ssh web1 works"
tok_before=$(handed)

# --- key rotation: rotate, copy, activate, copy ---
old_kid=$(kid "$tok_before")
cp "$ROOT/bastion/keys/signing.jwk" "$ROOT/old.jwk" # as a thief would keep it
helper_root keys rotate >"$ROOT/keys.out" 2>&1 || e2e_bail "keys rotate: $(cat "$ROOT/keys.out")"
copy keys/jwks.json
e2e_check "$(grep -o '"kid"' "$ROOT/web1/jwks.json" | wc -l)" 2 \
    "keys rotate on the bastion; the key set copied out holds both keys"
helper_root keys activate >"$ROOT/keys.out" 2>&1
rc=$?
e2e_check $rc 0 "keys activate: jwt-helperd signs with the new key"
[ $rc = 0 ] || sed 's/^/#   /' "$ROOT/keys.out"
at bastion user_login >"$ROOT/login.out" 2>&1 || e2e_bail "login again: $(cat "$ROOT/login.out")"
ssh_ok web1 "$TEE" "web1, key set as copied at rotate: a token signed after the activation logs in"
tok_after=$(handed)
new_kid=$(kid "$tok_after")
[ "$new_kid" != "$old_kid" ]
e2e_check $? 0 "... and it is signed by the new key ($old_kid, then $new_kid)"
copy keys/jwks.json
retired=$("$E2E_PY" -c 'import json,sys; print(next(k.get("retired","none") for k in json.load(open(sys.argv[1]))["keys"] if k["kid"]==sys.argv[2]))' \
    "$ROOT/web1/jwks.json" "$old_kid")
case $retired in
'' | *[!0-9]*) e2e_bail "web1's copy after activate does not mark $old_kid retired: '$retired'" ;;
esac
e2e_ok "the key set copied after activate marks the old key retired ($retired)"
replay "$tok_before"
ssh_ok web1 "$REPLAY" "web1: a token signed before the rotation (old key, now retired) logs in"
# A token the old key "issued" just past its retirement and the leeway; it
# is due only once the clock reaches iat - leeway, a second after retired.
iat=$((retired + LEEWAY + 1))
while [ "$(date +%s)" -le "$retired" ]; do sleep 0.2; done
E2E_NOW=$iat
replay "$("$E2E_MINT" --key "$ROOT/old.jwk" --typ at+jwt \
    "$(e2e_claims "$E2E_USER" host:web1 ssh 0 300 0)}")"
ssh_refused web1 "$REPLAY" "web1: a token minted afterwards with the old private key" "key retired"

# --- sudo on web1, where no daemon runs ---
sudo_run() {
    mark_web1=$(wc -l <"$ROOT/web1/syslog")
    at bastion sudo_via_ssh web1 "$@" </dev/null >"$ROOT/sudo.out" 2>"$ROOT/sudo.err"
}
sudo_run --scope sudo --audience host:web1
rc=$?
if [ $rc = 0 ] && [ "$(cat "$ROOT/sudo.out")" = 0 ]; then
    e2e_ok "sudo on web1: jwt-helper token --scope sudo --audience host:web1 | ssh web1 sudo -S runs as root"
else
    e2e_not_ok "sudo on web1: jwt-helper token --scope sudo --audience host:web1 | ssh web1 sudo -S runs as root"
    echo "#   exit $rc, out '$(cat "$ROOT/sudo.out")': $(tr '\n' ' ' <"$ROOT/sudo.err")"
fi
logged web1 "pam_jwt\(sudo:auth\): accepted: service=sudo user=$E2E_USER"
e2e_check $? 0 "... through web1's sudo stack (the shipped lines): pam_jwt accepted"
sudo_run --scope sudo
rc=$?
[ $rc != 0 ] && [ ! -s "$ROOT/sudo.out" ]
e2e_check $? 0 "sudo on web1 with the bastion's default audience (no --audience): refused"
sed 's/^/#   web1 sudo -S said: /' "$ROOT/sudo.err"
logged web1 "pam_jwt\(sudo:auth\): rejected: service=sudo user=$E2E_USER .*reason=wrong audience"
e2e_check $? 0 "... web1's pam_jwt logged reason=wrong audience"

# --- nothing left: no token in a log, every process stopped ---
# Each token jwt-askpass handed over, by its signature.
sed 's/.*\.//' "$ROOT/bastion/handed" >"$ROOT/handed.sigs"
if [ ! -s "$ROOT/handed.sigs" ] || grep -qF -f "$ROOT/handed.sigs" "$ROOT"/web1/syslog "$ROOT"/web1/sshd.log \
    "$ROOT"/web2/syslog "$ROOT"/web2/sshd.log "$ROOT"/bastion/syslog "$ROOT"/bastion/helperd.log; then
    e2e_not_ok "none of the $(wc -l <"$ROOT/handed.sigs") tokens handed over reached a log"
else
    e2e_ok "none of the $(wc -l <"$ROOT/handed.sigs") tokens handed over reached a log"
fi
fleet_stop
e2e_check "$(fleet_pids | wc -l)" 0 "every process of the three hosts stopped (namespaces and veth pairs with them)"
e2e_done

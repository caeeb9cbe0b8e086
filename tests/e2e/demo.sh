#!/bin/sh
# SPDX-License-Identifier: MIT
# The README's second command: on a fresh Debian 12 machine, installs what
# the build needs plus sshd and sudo, builds and installs pam_jwt under
# /usr/local, then shows a real token login through real PAM stacks with
# the shipped stack lines and policy file: jwt-helperd hands out tokens
# bound to this host, ssh logs in to a private sshd with jwt-askpass, a
# token for another host is refused, sudo -A runs a command with a token
# granting "sudo", a token without that scope is refused, and a password
# change kills the old refresh token; last, jwt-helper doctor finds no
# problem in that setup, then finds one deliberate mistake.
#
# What it changes on the machine: Debian packages, files under /usr/local,
# the system user _jwt-helper and the login user jwtdemo. Everything else
# (/etc/pam.d, /etc/security, sudoers, /etc/hosts, the daemon's keys, users
# and revocation list, /run, and the host name) lives in a private mount
# and UTS namespace (unshare -m -u) over a temporary directory, and goes
# when the demo ends; every process it starts is stopped. Run as root, or:
# sudo sh tests/e2e/demo.sh
set -u

DEMO_USER=jwtdemo
DEMO_PASSWORD=demo-password-1
DEMO_NEW_PASSWORD=demo-password-2
# The namespace's host name: tokens are bound to it (audience host:%h).
DEMO_HOST=pamjwt-demo
PREFIX=/usr/local
MODDIR=$PREFIX/lib/security
PACKAGES="build-essential autoconf automake autoconf-archive libtool pkg-config
  libpam0g-dev libsodium-dev libssl-dev libjson-c-dev openssh-server openssh-client sudo
  util-linux"
# Each step and the whole demo are bounded: a stuck step says so and stops.
STEP_LIMIT=60

step() { printf '==> %s\n' "$*"; }
fail() {
    printf 'demo failed: %s\n' "$*" >&2
    exit 1
}

# ---- stage 1, on the host: packages, build, install, accounts ----

install_packages() {
    missing=""
    for p in $PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing="$missing $p"
    done
    if [ -z "$missing" ]; then
        step "Debian packages: all there"
        return 0
    fi
    step "installing Debian packages:$missing"
    # No service may start while installing (openssh-server would start an
    # sshd on port 22): the demo runs its own sshd on 127.0.0.1 only.
    policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        policy=/usr/sbin/policy-rc.d
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"
    fi
    apt-get update -qq >"$LOG" 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            $missing >>"$LOG" 2>&1
    rc=$?
    [ -n "$policy" ] && rm -f "$policy"
    [ $rc = 0 ] || fail "apt-get install (log: $LOG)"
}

build_and_install() {
    step "building pam_jwt (log: $LOG)"
    (cd "$SRC" && ./autogen.sh) >>"$LOG" 2>&1 || fail "autogen.sh (log: $LOG)"
    mkdir -p "$BUILD"
    (cd "$BUILD" && "$SRC/configure" --prefix="$PREFIX" --with-pammoddir="$MODDIR" &&
        make -j"$(nproc)") >>"$LOG" 2>&1 || fail "configure/make (log: $LOG)"
    step "installing under $PREFIX (module in $MODDIR)"
    # The configuration files would go to /etc/security and /etc/jwt-helper
    # (where the programs read them) when missing there: the demo brings
    # its own copies into its namespace, so they go under $T instead.
    (cd "$BUILD" && make install securityconfdir="$T/etc/security" \
        jwthelperconfdir="$T/etc/jwt-helper") >>"$LOG" 2>&1 || fail "make install (log: $LOG)"
}

create_accounts() {
    if ! getent passwd _jwt-helper >/dev/null; then
        step "creating the system user _jwt-helper (the daemon drops to it)"
        if command -v systemd-sysusers >/dev/null 2>&1; then
            systemd-sysusers "$PREFIX/lib/sysusers.d/jwt-helper.conf" >>"$LOG" 2>&1
        fi
        getent passwd _jwt-helper >/dev/null ||
            useradd --system --user-group --no-create-home --home-dir /nonexistent \
                --shell /usr/sbin/nologin _jwt-helper || fail "useradd _jwt-helper"
    fi
    if ! getent passwd "$DEMO_USER" >/dev/null; then
        step "creating the login user $DEMO_USER (no Unix password: it logs in with tokens)"
        useradd --create-home --shell /bin/sh "$DEMO_USER" || fail "useradd $DEMO_USER"
    fi
}

# ---- stage 2, in a private mount namespace: the demo itself ----

# Private copies over the machine's files; they vanish with the namespace.
private_files() {
    mount -t tmpfs -o mode=755,size=16m demo-run /run || fail "mount a private /run"
    mkdir -m 755 /run/sshd
    hostname "$DEMO_HOST" || fail "set the host name"
    { cat /etc/hosts; printf '127.0.0.1 %s\n' "$DEMO_HOST"; } >"$T/hosts" &&
        mount --bind "$T/hosts" /etc/hosts || fail "bind /etc/hosts"
    # The shipped policy file, as a package installs it.
    cp -a /etc/security "$T/security" &&
        install -m 0644 "$SRC/conf/pam_jwt.conf" "$T/security/pam_jwt.conf" &&
        mount --bind "$T/security" /etc/security || fail "bind /etc/security"
    for d in /etc/jwt-helper /var/lib/jwt-helper; do
        mkdir -p "$d" "$T$d"
        mount --bind "$T$d" "$d" || fail "bind $d"
    done
    cp -a /etc/pam.d "$T/pam.d" && mount --bind "$T/pam.d" /etc/pam.d || fail "bind /etc/pam.d"
    cp -p /etc/sudoers "$T/sudoers" && mount --bind "$T/sudoers" /etc/sudoers ||
        fail "bind /etc/sudoers"
    mkdir -m 755 "$T/sudoers.d" && mount --bind "$T/sudoers.d" /etc/sudoers.d ||
        fail "bind /etc/sudoers.d"
    step "private namespace: host name $DEMO_HOST; /etc/pam.d, /etc/security (the shipped pam_jwt.conf), sudoers, /etc/hosts, /etc/jwt-helper, /var/lib/jwt-helper, /run"
    if command -v systemd-tmpfiles >/dev/null 2>&1; then
        systemd-tmpfiles --create "$PREFIX/lib/tmpfiles.d/pam_jwt.conf" \
            "$PREFIX/lib/tmpfiles.d/jwt-helper.conf" || fail "systemd-tmpfiles --create"
        step "created db/ and the empty revocation list with the shipped tmpfiles.d entries"
    else
        install -d -m 0700 -o _jwt-helper -g _jwt-helper /etc/jwt-helper/db
        install -m 0644 -o _jwt-helper -g _jwt-helper /dev/null /var/lib/jwt-helper/revoked
        chown _jwt-helper:_jwt-helper /var/lib/jwt-helper
        install -d -m 0755 /run/jwt-helper
        step "created db/ and the empty revocation list as the shipped tmpfiles.d entries would"
    fi
}

as_demo() {
    setpriv --reuid="$DEMO_USER" --regid="$DEMO_USER" --init-groups \
        env -i PATH="$PREFIX/bin:/usr/bin:/bin" HOME="$DEMO_HOME" USER="$DEMO_USER" \
        LOGNAME="$DEMO_USER" XDG_STATE_HOME="$T/state" "$@"
}

start_daemon() {
    timeout "$STEP_LIMIT" jwt-helper keygen >/dev/null || fail "jwt-helper keygen"
    step "keys: $(jwt-helper jwks | grep -o '"kid":"[^"]*"' | head -n 1) in /etc/jwt-helper"
    # The shipped configuration: tokens for host:<this host> by default,
    # and for any host: a client names (jwt-askpass names the ssh server).
    install -m 0644 "$SRC/conf/jwt-helperd.conf" /etc/jwt-helper/jwt-helperd.conf
    printf '%s\n' "$DEMO_PASSWORD" |
        timeout "$STEP_LIMIT" jwt-helper useradd "$DEMO_USER" --scopes ssh,sudo --password-stdin \
            >/dev/null || fail "jwt-helper useradd"
    step "jwt-helper user $DEMO_USER with scopes ssh,sudo"
    "$PREFIX/sbin/jwt-helperd" -f 2>"$T/jwt-helperd.log" &
    PIDS="$PIDS $!"
    i=0
    until [ -S /run/jwt-helper/socket ]; do
        i=$((i + 1))
        [ $i -gt 300 ] && fail "jwt-helperd did not start: $(cat "$T/jwt-helperd.log")"
        sleep 0.1
    done
    step "jwt-helperd listens on /run/jwt-helper/socket and runs as $(stat -c %U "/proc/${PIDS##* }")"
}

login() {
    mkdir -m 700 "$T/state" && chown "$DEMO_USER" "$T/state"
    said=$(printf '%s\n' "$DEMO_PASSWORD" |
        as_demo timeout "$STEP_LIMIT" jwt-helper login --password-stdin 2>&1) ||
        fail "jwt-helper login: $said"
    step "jwt-helper login as $DEMO_USER: $said"
    step "decoded access token (jwt-helper token | jwt-helper decode -):"
    as_demo timeout "$STEP_LIMIT" jwt-helper token >"$T/token" || fail "jwt-helper token"
    jwt-helper decode - <"$T/token" | sed 's/^/    /'
    jwt-helper decode - <"$T/token" | grep -q "\"host:$DEMO_HOST\"" ||
        fail "the token is not bound to host:$DEMO_HOST"
    step "the token is bound to this host: aud host:$DEMO_HOST"
}

# The shipped lines of conf/pam.d/FILE for one PAM facility, the module
# named by its absolute path (it is not in the system's module directory).
shipped() {
    grep -E "^$2[[:space:]]" "$SRC/conf/pam.d/$1" | sed "s|pam_jwt\.so|$MODDIR/pam_jwt.so|"
}

start_sshd() {
    cat >/etc/pam.d/sshd <<EOF
$(shipped sshd-pam_jwt auth)
@include common-auth
@include common-account
$(shipped sshd-pam_jwt account)
@include common-session
$(shipped sshd-pam_jwt session)
EOF
    ssh-keygen -q -t ed25519 -N '' -f "$T/host_key" || fail "ssh-keygen"
    # A port of its own; sshd says so below if it is taken.
    PORT=$((20000 + $$ % 20000))
    cat >"$T/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $T/host_key
PidFile $T/sshd.pid
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication no
PubkeyAuthentication no
PermitRootLogin no
AllowUsers $DEMO_USER
PrintMotd no
PrintLastLog no
EOF
    /usr/sbin/sshd -D -e -f "$T/sshd_config" 2>"$T/sshd.log" &
    PIDS="$PIDS $!"
    i=0
    until grep -q "Server listening" "$T/sshd.log"; do
        i=$((i + 1))
        [ $i -gt 100 ] && fail "sshd did not start: $(cat "$T/sshd.log")"
        sleep 0.1
    done
    step "sshd on 127.0.0.1:$PORT; /etc/pam.d/sshd: the shipped lines; policy: the shipped /etc/security/pam_jwt.conf"
}

ssh_login() {
    out=$(as_demo SSH_ASKPASS="$PREFIX/bin/jwt-askpass" SSH_ASKPASS_REQUIRE=force \
        timeout "$STEP_LIMIT" ssh -F /dev/null -p "$PORT" -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
        -o PreferredAuthentications=keyboard-interactive "$DEMO_USER@$DEMO_HOST" \
        'echo "$(id -un)@$(hostname), JWT_SUBJECT=$JWT_SUBJECT"' </dev/null) ||
        fail "ssh with a token from jwt-askpass was refused"
    step "ssh $DEMO_USER@$DEMO_HOST with SSH_ASKPASS=jwt-askpass ran: $out"
}

# A token the daemon issued for another host (what a hostile web2 would
# receive from jwt-askpass) is no good here.
other_host_refused() {
    as_demo timeout "$STEP_LIMIT" jwt-helper token --scope ssh --audience host:web2 \
        >"$T/web2-token" || fail "jwt-helper token --audience host:web2"
    printf '#!/bin/sh\ncat %s\n' "$T/web2-token" >"$T/askpass-web2"
    chmod 755 "$T/askpass-web2"
    chmod 644 "$T/web2-token"
    if as_demo SSH_ASKPASS="$T/askpass-web2" SSH_ASKPASS_REQUIRE=force \
        timeout "$STEP_LIMIT" ssh -F /dev/null -p "$PORT" -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o LogLevel=QUIET -o NumberOfPasswordPrompts=1 \
        -o PreferredAuthentications=keyboard-interactive "$DEMO_USER@$DEMO_HOST" true \
        </dev/null 2>/dev/null; then
        fail "sshd accepted a token issued for host:web2"
    fi
    why=$(jwt-helper verify --service sshd --user "$DEMO_USER" - <"$T/web2-token" 2>/dev/null)
    step "a token for host:web2 is refused by this host's sshd ($why)"
}

sudo_runs() {
    # sudo and sudo -i (the PAM service sudo-i) get the same lines.
    for svc in sudo sudo-i; do
        cat >"/etc/pam.d/$svc" <<EOF
$(shipped sudo-pam_jwt auth)
@include common-account
$(shipped sudo-pam_jwt account)
@include common-session-noninteractive
EOF
    done
    # Why timestamp_timeout=0: conf/sudoers.d/pam_jwt.example.
    printf 'Defaults timestamp_timeout=0\n%s ALL=(ALL) ALL\n' "$DEMO_USER" >/etc/sudoers.d/demo
    chmod 0440 /etc/sudoers.d/demo
    out=$(as_demo SUDO_ASKPASS="$PREFIX/bin/jwt-askpass" timeout "$STEP_LIMIT" sudo -A id -un) ||
        fail "sudo -A with a token granting sudo was refused"
    step "sudo -A id -un with SUDO_ASKPASS=$PREFIX/bin/jwt-askpass printed: $out"
}

sudo_refuses_without_scope() {
    as_demo timeout "$STEP_LIMIT" jwt-helper token --scope ssh >"$T/ssh-only" ||
        fail "jwt-helper token --scope ssh"
    printf '#!/bin/sh\ncat %s\n' "$T/ssh-only" >"$T/askpass-ssh-only"
    chmod 755 "$T/askpass-ssh-only"
    chmod 644 "$T/ssh-only"
    if as_demo SUDO_ASKPASS="$T/askpass-ssh-only" timeout "$STEP_LIMIT" sudo -A true 2>/dev/null; then
        fail "sudo accepted a token without the sudo scope"
    fi
    why=$(jwt-helper verify --service sudo --user "$DEMO_USER" - <"$T/ssh-only" 2>/dev/null)
    step "a token with scope \"ssh\" only is refused by sudo ($why)"
}

password_change() {
    cp -p "$T/state/jwt-helper/refresh-token" "$T/old-refresh-token"
    printf '%s\n%s\n' "$DEMO_PASSWORD" "$DEMO_NEW_PASSWORD" |
        as_demo timeout "$STEP_LIMIT" jwt-helper passwd --password-stdin >/dev/null 2>&1 ||
        fail "jwt-helper passwd"
    step "password changed with jwt-helper passwd"
    cp -p "$T/old-refresh-token" "$T/state/jwt-helper/refresh-token"
    if out=$(as_demo timeout "$STEP_LIMIT" jwt-helper token 2>&1); then
        fail "the old refresh token still works after the password change"
    fi
    step "the old refresh token is refused: $out"
}

# Runs jwt-helper doctor, shows what it says and its exit code.
doctor_shown() {
    timeout "$STEP_LIMIT" jwt-helper doctor >"$T/doctor.out" 2>&1
    rc=$?
    sed 's/^/    /' "$T/doctor.out"
    step "jwt-helper doctor exited $rc"
    return $rc
}

# doctor on the demo's own setup (it reads the real files: the private
# /etc/pam.d, sudoers, policy and daemon files of this namespace), then on
# one deliberate mistake: sudo's credential cache back at its 15 minutes,
# longer than the sudo block's max_auth_age of 300 s.
doctor_check() {
    step "jwt-helper doctor on this setup:"
    doctor_shown || fail "doctor found a problem in the demo's own setup"
    cp -p /etc/sudoers.d/demo "$T/sudoers-demo"
    sed -i 's/timestamp_timeout=0/timestamp_timeout=15/' /etc/sudoers.d/demo
    step "a deliberate mistake: /etc/sudoers.d/demo now says Defaults timestamp_timeout=15"
    if doctor_shown; then
        fail "doctor did not notice sudo's 15-minute credential cache"
    fi
    cp -p "$T/sudoers-demo" /etc/sudoers.d/demo
    step "put back: Defaults timestamp_timeout=0"
}

stage2() {
    PIDS=""
    trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; wait' EXIT
    trap 'exit 1' INT TERM
    DEMO_HOME=$(getent passwd "$DEMO_USER" | cut -d: -f6)
    export PATH="$PREFIX/bin:$PREFIX/sbin:$PATH"
    private_files
    start_daemon
    login
    start_sshd
    ssh_login
    other_host_refused
    sudo_runs
    sudo_refuses_without_scope
    password_change
    doctor_check
    step "done: every process the demo started is stopped, its files go with the namespace"
}

main() {
    SRC=$(cd "$(dirname "$0")/../.." && pwd)
    if [ "${1:-}" = --stage2 ]; then
        T=$2
        stage2
        return
    fi
    [ "$(id -u)" = 0 ] || exec sudo sh "$0" "$@"
    T=$(mktemp -d /tmp/pam_jwt-demo-XXXXXX) || exit 1
    chmod 755 "$T"
    LOG=$T/build.log
    BUILD=$T/build
    install_packages
    build_and_install
    create_accounts
    # The bind mounts need mount points; those the demo makes go afterwards.
    made=""
    for d in /etc/jwt-helper /var/lib/jwt-helper; do
        [ -e "$d" ] || { mkdir -p "$d" && made="$made $d"; }
    done
    # timeout signals the whole namespace's process group when time is up.
    timeout -k 5 300 unshare -m -u --propagation private sh "$0" --stage2 "$T"
    rc=$?
    [ $rc = 124 ] && echo "demo failed: timed out after 300 s" >&2
    for d in $made; do rmdir "$d" 2>/dev/null; done
    rm -rf "$T"
    return $rc
}

main "$@"

#!/bin/sh
# SPDX-License-Identifier: MIT
# The Debian packages as an administrator meets them (README.md, "Debian packages"; issue 12):
# builds libpam-jwt, jwt-helper and jwt-helperd, installs them into
# throwaway roots and logs in through the common-auth that
# `pam-auth-update --enable jwt` writes, with pamtester.
#
# Each root is an overlay of / (the host's files below, a tmpfs above) in a
# private mount and UTS namespace, entered with chroot: dpkg, pam-auth-update
# and the maintainer scripts write only to the tmpfs, so the host's
# /etc/pam.d and dpkg database never change (checked at the end). No
# debootstrap: the network is used only when the host lacks a dependency
# of the packages (apt fetches it into the root). Two roots:
#   issuer  (host name pkgissuer): all three packages, the daemon, a user,
#           jwt-helper login, logins for a service with no policy block
#           (pjtest, scope "pjtest") and for sudo-i (scope "sudo"), then
#           remove and purge;
#   verify  (host name pkgverify): libpam-jwt and jwt-helper only, the
#           issuer's public key set copied in, no systemd-tmpfiles (the
#           postinst makes the revocation list), accepting a token that
#           the issuer minted for it.
#
# usage: tests/pkg/test_packages.sh       (as root; TAP on stdout)
# PAM_JWT_DEBS=DIR uses the .deb files in DIR instead of building them.
set -u

PKG_HOST_ISSUER=pkgissuer
PKG_HOST_VERIFY=pkgverify
PKG_USER=pkgalice
PKG_LIMIT=${PKG_LIMIT:-540}

# ---------------------------------------------------------------------------
# Inside a root (run by chroot): the checks print "ok - ..." or
# "not ok - ..."; the outer script numbers them.
# ---------------------------------------------------------------------------

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; }
# check DESC CMD...: the command succeeds.
check() {
    desc=$1; shift
    if "$@" >/pkgtest/check.out 2>&1; then ok "$desc"
    else not_ok "$desc"; sed 's/^/#   /' /pkgtest/check.out | head -n 20; fi
}
bail() { echo "Bail out! $*"; exit 1; }
note() { echo "# $*"; }

# Starts the syslog sink on /dev/log and a policy-rc.d that starts nothing.
root_prepare() {
    export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
    : >/pkgtest/syslog
    python3 /pkgtest/e2e_tool.py sink /dev/log /pkgtest/syslog 2>/pkgtest/sink.err &
    echo $! >>/pkgtest/pids
    i=0
    while [ ! -S /dev/log ]; do
        i=$((i + 1)); [ $i -gt 50 ] && bail "the syslog sink did not start"
        sleep 0.1
    done
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    [ "$(hostname)" = "$1" ] || bail "host name is $(hostname), not $1"
}

# install_debs DEB...: apt installs the packages from their files, and
# whatever they depend on that the root lacks (systemd-sysusers on a fresh
# container) from the archive, reading its lists only when it must.
install_debs() {
    apt-get install -y -q --no-install-recommends "$@" >/pkgtest/apt.log 2>&1 ||
        { apt-get update -q >>/pkgtest/apt.log 2>&1 &&
            apt-get install -y -q --no-install-recommends "$@" >>/pkgtest/apt.log 2>&1; } ||
        { tail -n 20 /pkgtest/apt.log; return 1; }
}

# A Unix account with a password, as an administrator makes it.
root_user() {
    useradd -m -s /bin/sh "$PKG_USER" || bail "useradd"
    PKG_PASSWORD="unix-$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    printf '%s:%s\n' "$PKG_USER" "$PKG_PASSWORD" | chpasswd || bail "chpasswd"
}

# The service with no policy block, and sudo-i as Debian's sudo ships it
# (only when sudo is not installed): both take common-auth.
root_services() {
    printf '# pkgtest: a service with no policy block\n@include common-auth\n@include common-account\n' \
        >/etc/pam.d/pjtest
    [ -f /etc/pam.d/sudo-i ] ||
        printf '#%%PAM-1.0\n@include common-auth\n@include common-account\n@include common-session-noninteractive\n' \
            >/etc/pam.d/sudo-i
}

# login SERVICE ANSWER: pamtester authenticates $PKG_USER with ANSWER on
# stdin. Sets rc, $prompts (how many prompts were shown) and leaves this
# attempt's syslog lines in /pkgtest/attempt.log.
login() {
    before=$(wc -l </pkgtest/syslog)
    printf '%s\n' "$2" | timeout 60 pamtester -v "$1" "$PKG_USER" authenticate \
        >/pkgtest/pamtester.out 2>&1
    rc=$?
    sleep 0.2 # the sink writes each datagram as it comes
    tail -n +$((before + 1)) /pkgtest/syslog >/pkgtest/attempt.log
    prompts=$(grep -o 'Password or token: \|Password: \|Token: ' /pkgtest/pamtester.out | wc -l)
}
show_attempt() {
    sed 's/^/#   pamtester: /' /pkgtest/pamtester.out | head -n 5
    sed 's/^/#   syslog: /' /pkgtest/attempt.log | head -n 8
}
# accepted DESC: the last login succeeded after exactly one prompt.
accepted() {
    if [ $rc = 0 ] && [ "$prompts" = 1 ]; then ok "$1"
    else not_ok "$1"; echo "#   exit $rc, $prompts prompt(s)"; show_attempt; fi
}
# refused DESC REASON: the last login failed, pam_jwt logged REASON and
# pam_unix never saw the answer.
refused() {
    if [ $rc != 0 ] && grep -q "pam_jwt.*$2" /pkgtest/attempt.log &&
        ! grep -q 'pam_unix([^)]*:auth)' /pkgtest/attempt.log; then ok "$1"
    else not_ok "$1"; echo "#   exit $rc, want a failure logged as \"$2\" and no pam_unix line"
        show_attempt; fi
}

# tamper TOKEN: the same token with one character of the signature changed.
tamper() {
    sig=${1##*.}
    c=$(printf '%s' "$sig" | cut -c10)
    if [ "$c" = A ]; then s=B; else s=A; fi
    printf '%s.%s%s%s' "${1%.*}" "$(printf '%s' "$sig" | cut -c1-9)" "$s" "$(printf '%s' "$sig" | cut -c11-)"
}

as_user() {
    setpriv --reuid="$PKG_USER" --regid="$PKG_USER" --init-groups \
        env -i PATH=/usr/bin:/bin HOME="/home/$PKG_USER" USER="$PKG_USER" LOGNAME="$PKG_USER" "$@"
}

role_issuer() {
    root_prepare "$PKG_HOST_ISSUER"
    # --- install ---
    check "the three packages install" install_debs /pkgtest/debs/libpam-jwt_*.deb \
        /pkgtest/debs/jwt-helper_*.deb /pkgtest/debs/jwt-helperd_*.deb
    dpkg-query -W -f='${Status}\n' jwt-helperd 2>/dev/null | grep -q 'install ok installed' ||
        bail "the packages did not install"
    check "the module is in the multiarch PAM directory" \
        test -f "/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)/security/pam_jwt.so"
    check "the profile is there and off: common-auth does not name pam_jwt" \
        sh -c 'test -f /usr/share/pam-configs/jwt && ! grep -q pam_jwt /etc/pam.d/common-*'
    check "no key was made at install (an image carries no signing key)" \
        sh -c '! ls /etc/jwt-helper/signing.jwk /etc/jwt-helper/refresh.key /etc/jwt-helper/jwks.json 2>/dev/null'
    check "the system user _jwt-helper exists (sysusers)" getent passwd _jwt-helper
    check "db/ is _jwt-helper's, mode 0700 (tmpfiles)" \
        test "$(stat -c '%U %a' /etc/jwt-helper/db)" = "_jwt-helper 700"
    check "the revocation list exists, empty, handed to _jwt-helper" \
        sh -c 'test -f /var/lib/jwt-helper/revoked && ! test -s /var/lib/jwt-helper/revoked &&
               test "$(stat -c %U /var/lib/jwt-helper/revoked)" = _jwt-helper'
    check "the unit makes the keys at the first start" \
        grep -qx 'ExecStartPre=+/usr/bin/jwt-helper keygen --if-absent' /lib/systemd/system/jwt-helperd.service

    # --- pam-auth-update --enable jwt ---
    check "pam-auth-update --enable jwt" pam-auth-update --enable jwt
    jwt_line=$(grep -n 'pam_jwt.so' /etc/pam.d/common-auth | head -n 1)
    unix_line=$(grep -n 'pam_unix.so' /etc/pam.d/common-auth | head -n 1)
    note "common-auth: ${jwt_line#*:}"
    note "common-auth: ${unix_line#*:}"
    check "common-auth: pam_jwt first, try_token, the prompt, a failed token dies" \
        sh -c "[ ${jwt_line%%:*}0 -lt ${unix_line%%:*}0 ] && echo '${jwt_line#*:}' |
               grep -q 'auth_err\|default=die' && echo '${jwt_line#*:}' | grep -q 'try_token' &&
               echo '${jwt_line#*:}' | grep -qF '[prompt=Password or token: ]'"
    check "common-auth: pam_unix takes the answer pam_jwt read (try_first_pass)" \
        sh -c "echo '${unix_line#*:}' | grep -q try_first_pass"
    check "pam_jwt is in no other stack" sh -c '! grep -l pam_jwt /etc/pam.d/common-account \
        /etc/pam.d/common-session /etc/pam.d/common-password'

    # --- the daemon, as its unit starts it, and a user ---
    root_user
    root_services
    check "keygen --if-absent makes the keys (the unit's ExecStartPre)" \
        jwt-helper keygen --if-absent
    check "signing.jwk is root:_jwt-helper 0640" \
        test "$(stat -c '%U:%G %a' /etc/jwt-helper/signing.jwk)" = "root:_jwt-helper 640"
    check "keygen --if-absent a second time changes nothing" jwt-helper keygen --if-absent
    # What a token may grant: the service with no block asks for its own name.
    printf 'default_scope = ssh,sudo,pjtest\n' >>/etc/jwt-helper/jwt-helperd.conf
    /usr/sbin/jwt-helperd -f >/pkgtest/helperd.log 2>&1 &
    echo $! >>/pkgtest/pids
    i=0
    while [ ! -S /run/jwt-helper/socket ]; do
        i=$((i + 1)); [ $i -gt 100 ] && { cat /pkgtest/helperd.log; bail "jwt-helperd did not start"; }
        sleep 0.1
    done
    check "the daemon runs as _jwt-helper" \
        sh -c "grep -q \"^Uid:.\$(id -u _jwt-helper).\$(id -u _jwt-helper).\" /proc/$(tail -n 1 /pkgtest/pids)/status"
    DAEMON_PASSWORD="jwt-$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    check "jwt-helper useradd" sh -c "printf '%s\n' '$DAEMON_PASSWORD' |
        jwt-helper useradd $PKG_USER --scopes ssh,sudo,pjtest --password-stdin"
    check "jwt-helper login as the user" sh -c "printf '%s\n' '$DAEMON_PASSWORD' |
        setpriv --reuid=$PKG_USER --regid=$PKG_USER --init-groups env -i PATH=/usr/bin:/bin \
        HOME=/home/$PKG_USER jwt-helper login --password-stdin"
    t_pjtest=$(as_user jwt-helper token --scope pjtest 2>/pkgtest/token.err)
    t_sudo=$(as_user jwt-helper token --scope sudo 2>>/pkgtest/token.err)
    t_verify=$(as_user jwt-helper token --scope pjtest --audience "host:$PKG_HOST_VERIFY" \
        2>>/pkgtest/token.err)
    check "jwt-helper token gives tokens for pjtest, sudo and the verify host" \
        sh -c "[ -n '$t_pjtest' ] && [ -n '$t_sudo' ] && [ -n '$t_verify' ]"
    [ -n "$t_pjtest" ] || sed 's/^/#   /' /pkgtest/token.err
    printf '%s\n' "$t_verify" >/pkgtest/share/token-verify
    cp /etc/jwt-helper/jwks.json /pkgtest/share/jwks.json

    # --- logins through common-auth ---
    login pjtest "$t_pjtest"
    accepted "pjtest (no block): a token with scope pjtest, one prompt"
    login pjtest "$(tamper "$t_pjtest")"
    refused "pjtest: a tampered token is refused, pam_unix never sees it" "bad signature"
    login pjtest "$t_sudo"
    refused "pjtest: a token for another service's scope (sudo) is refused" "scope"
    login pjtest "$PKG_PASSWORD"
    accepted "pjtest: the Unix password, one prompt"
    if grep -q pam_jwt /pkgtest/attempt.log; then
        not_ok "pjtest: no pam_jwt log line about the password"; show_attempt
    else ok "pjtest: no pam_jwt log line about the password"; fi
    login pjtest "wrong-$PKG_PASSWORD"
    if [ $rc != 0 ] && grep -q 'pam_unix(pjtest:auth)' /pkgtest/attempt.log &&
        ! grep -q pam_jwt /pkgtest/attempt.log; then
        ok "pjtest: a wrong password fails at pam_unix, pam_jwt silent"
    else not_ok "pjtest: a wrong password fails at pam_unix, pam_jwt silent"; show_attempt; fi

    login sudo-i "$t_sudo"
    accepted "sudo-i: a token with scope sudo, one prompt"
    login sudo-i "$(tamper "$t_sudo")"
    refused "sudo-i: a tampered token is refused, pam_unix never sees it" "bad signature"
    login sudo-i "$t_pjtest"
    refused "sudo-i: a token for another service's scope (pjtest) is refused" "scope"
    login sudo-i "$PKG_PASSWORD"
    accepted "sudo-i: the Unix password, one prompt"
    if grep -q pam_jwt /pkgtest/attempt.log; then
        not_ok "sudo-i: no pam_jwt log line about the password"; show_attempt
    else ok "sudo-i: no pam_jwt log line about the password"; fi

    # --- remove, purge ---
    kill "$(tail -n 1 /pkgtest/pids)" 2>/dev/null
    check "remove the three packages" dpkg -r jwt-helperd jwt-helper libpam-jwt
    check "after remove, nothing in /etc/pam.d names pam_jwt" sh -c '! grep -rl pam_jwt /etc/pam.d'
    check "after remove, pam_unix is back in charge of common-auth" \
        grep -q 'pam_unix.so nullok$' /etc/pam.d/common-auth
    check "purge" dpkg -P jwt-helperd jwt-helper libpam-jwt
    check "after purge, nothing in /etc/pam.d names pam_jwt" sh -c '! grep -rl pam_jwt /etc/pam.d'
    check "after purge, the keys keygen made and the user records are gone" \
        sh -c '! test -e /etc/jwt-helper'
    check "after purge, pam_jwt.conf and the profile are gone" \
        sh -c '! test -e /etc/security/pam_jwt.conf && ! test -e /usr/share/pam-configs/jwt'
    check "after purge, the empty revocation list is gone" sh -c '! test -e /var/lib/jwt-helper'
    check "after purge, dpkg knows none of the packages" \
        sh -c '! dpkg-query -W libpam-jwt jwt-helper jwt-helperd 2>/dev/null | grep -q .'
}

role_verify() {
    root_prepare "$PKG_HOST_VERIFY"
    # No systemd-tmpfiles here (a host without systemd): the postinst makes
    # the revocation list itself.
    tmpfiles=$(command -v systemd-tmpfiles)
    [ -n "$tmpfiles" ] && mount --bind /pkgtest/noop "$tmpfiles"
    check "libpam-jwt and jwt-helper install alone" \
        install_debs /pkgtest/debs/libpam-jwt_*.deb /pkgtest/debs/jwt-helper_*.deb
    check "no daemon, no signing key" \
        sh -c '! test -e /usr/sbin/jwt-helperd && ! test -e /etc/jwt-helper/signing.jwk'
    check "without systemd-tmpfiles the postinst made the revocation list: empty, root's, 0644" \
        sh -c 'test -f /var/lib/jwt-helper/revoked && ! test -s /var/lib/jwt-helper/revoked &&
               test "$(stat -c "%U:%G %a" /var/lib/jwt-helper/revoked)" = "root:root 644"'
    [ -n "$tmpfiles" ] && umount "$tmpfiles"
    # The administrator's part: the issuer's public key set and its name.
    install -d -m 0755 /etc/jwt-helper
    install -m 0644 /pkgtest/share/jwks.json /etc/jwt-helper/jwks.json
    { printf 'issuer = jwt-helper@%s\n' "$PKG_HOST_ISSUER"; cat /etc/security/pam_jwt.conf; } \
        >/pkgtest/pam_jwt.conf && cat /pkgtest/pam_jwt.conf >/etc/security/pam_jwt.conf
    check "pam-auth-update --enable jwt" pam-auth-update --enable jwt
    root_user
    root_services
    login pjtest "$(cat /pkgtest/share/token-verify)"
    accepted "a token the issuer minted for this host is accepted, one prompt"
    login pjtest "$(tamper "$(cat /pkgtest/share/token-verify)")"
    refused "a tampered one is refused" "bad signature"
    # The daemon's package beside a key set copied in: its first start
    # refuses to add a signing key, its purge leaves the set alone.
    check "jwt-helperd installs beside the copied key set" install_debs /pkgtest/debs/jwt-helperd_*.deb
    check "its keygen --if-absent refuses the partial set (exit 4)" \
        sh -c 'jwt-helper keygen --if-absent; [ $? = 4 ] && ! test -e /etc/jwt-helper/signing.jwk'
    check "purge jwt-helperd" dpkg -P jwt-helperd
    check "the key set copied in stays, unchanged" cmp /etc/jwt-helper/jwks.json /pkgtest/share/jwks.json
    check "purge libpam-jwt jwt-helper" dpkg -P jwt-helper libpam-jwt
    check "after purge, nothing in /etc/pam.d names pam_jwt" sh -c '! grep -rl pam_jwt /etc/pam.d'
}

# ---------------------------------------------------------------------------
# In the namespace: the overlay root, its /dev, /proc, /run, /tmp; chroot.
# ---------------------------------------------------------------------------

in_namespace() {
    role=$1 host=$2
    W=$PKG_WORK
    R="$W/$role/root"
    hostname "$host" || bail "hostname"
    mkdir -p "$W/$role/rw" "$R"
    mount -t tmpfs -o mode=755 pkgtest-rw "$W/$role/rw" || bail "tmpfs"
    mkdir "$W/$role/rw/up" "$W/$role/rw/work"
    mount -t overlay pkgtest-root \
        -o "lowerdir=/,upperdir=$W/$role/rw/up,workdir=$W/$role/rw/work" "$R" || bail "overlay of /"
    mount -t proc proc "$R/proc" || bail "proc"
    mount -t tmpfs -o mode=755 pkgtest-run "$R/run" || bail "run"
    mount -t tmpfs -o mode=1777 pkgtest-tmp "$R/tmp" || bail "tmp"
    # A /dev of its own: the device nodes it needs, and /dev/log for the sink.
    mount -t tmpfs -o mode=755 pkgtest-dev "$R/dev" || bail "dev"
    for name in null zero full random urandom tty; do
        : >"$R/dev/$name"
        mount --bind "/dev/$name" "$R/dev/$name" || bail "/dev/$name"
    done
    ln -s /proc/self/fd "$R/dev/fd"
    # The shared directory: packages in, a token and a key set across roots.
    mkdir -p "$R/pkgtest"
    mount --bind "$W/$role/in" "$R/pkgtest" || bail "bind /pkgtest"
    mkdir -p "$R/pkgtest/share"
    mount --bind "$W/share" "$R/pkgtest/share" || bail "bind share"
    : >"$R/pkgtest/pids"
    chroot "$R" /bin/sh /pkgtest/test_packages.sh --root "$role"
    rc=$?
    for pid in $(cat "$R/pkgtest/pids"); do kill "$pid" 2>/dev/null; done
    return $rc
}

# ---------------------------------------------------------------------------
# Outside: preflight, build, one namespace per root, host unchanged.
# ---------------------------------------------------------------------------

skip() { echo "1..0 # SKIP $*"; exit 0; }

preflight() {
    [ "$(id -u)" = 0 ] || skip "needs root (mount namespaces, overlayfs, chroot)"
    for p in unshare chroot setpriv dpkg-buildpackage dh pamtester python3 timeout; do
        command -v "$p" >/dev/null 2>&1 || skip "$p not installed (Debian: build-essential debhelper pamtester python3 util-linux)"
    done
    [ -n "${PAM_JWT_DEBS:-}" ] || dpkg-checkbuilddeps -P nocheck "$top/debian/control" >/dev/null 2>&1 ||
        skip "build dependencies missing: $(dpkg-checkbuilddeps -P nocheck "$top/debian/control" 2>&1 | sed 's/.*: //')"
    unshare -m --propagation private true 2>/dev/null || skip "unshare -m not permitted here"
}

build() {
    if [ -n "${PAM_JWT_DEBS:-}" ]; then
        cp "$PAM_JWT_DEBS"/libpam-jwt_*.deb "$PAM_JWT_DEBS"/jwt-helper_*.deb \
            "$PAM_JWT_DEBS"/jwt-helperd_*.deb "$W/debs/" || bail "no packages in $PAM_JWT_DEBS"
        return
    fi
    # A copy of the tree as it is (committed or not), built where its
    # products cannot land in the tree or beside it.
    mkdir "$W/build" "$W/build/src"
    (cd "$top" && git ls-files -z -co --exclude-standard | tar --null -T - -cf -) |
        tar -C "$W/build/src" -xf - || bail "copy the source tree"
    start=$(date +%s)
    if (cd "$W/build/src" && DEB_BUILD_OPTIONS="nocheck parallel=2" \
        dpkg-buildpackage -us -uc -b -Pnocheck >"$W/build/log" 2>&1); then
        echo "ok - dpkg-buildpackage -us -uc -b, nocheck ($(($(date +%s) - start)) s)"
    else
        echo "not ok - dpkg-buildpackage -us -uc -b"
        tail -n 30 "$W/build/log" | sed 's/^/#   /'
        bail "the packages did not build"
    fi
    cp "$W/build"/libpam-jwt_*.deb "$W/build"/jwt-helper_*.deb "$W/build"/jwt-helperd_*.deb \
        "$W/debs/"
    # HACKING.md, "Tests": no error and no warning, overrides only with a reason.
    if command -v lintian >/dev/null 2>&1; then
        if lintian --fail-on error,warning "$W/build"/pam-jwt_*.changes >"$W/build/lintian" 2>&1
        then echo "ok - lintian: no error, no warning"
        else echo "not ok - lintian: no error, no warning"; fi
        grep -v 'running with root privileges' "$W/build/lintian" | sed 's/^/#   lintian: /'
    else
        echo "# lintian not installed: not run"
    fi
}

# host_state: what must not change on the host.
host_state() {
    { md5sum /var/lib/dpkg/status; ls -la --time-style=+%s /etc/pam.d; cat /etc/pam.d/common-*; \
      hostname; } 2>&1
}

outer() {
    top=$(cd "$(dirname "$0")/../.." && pwd)
    preflight
    W=$(mktemp -d "${TMPDIR:-/tmp}/pam_jwt-pkg-XXXXXX") || exit 1
    chmod 755 "$W"
    trap 'rm -rf "$W"' EXIT
    mkdir "$W/debs" "$W/share"
    chmod 755 "$W/share"
    host_state >"$W/host.before"
    start=$(date +%s)
    {
        build
        for role in issuer verify; do
            mkdir -p "$W/$role/in/debs"
            cp "$W/debs"/*.deb "$W/$role/in/debs/"
            cp "$0" "$W/$role/in/test_packages.sh"
            cp "$top/tests/e2e/e2e_tool.py" "$W/$role/in/"
            printf '#!/bin/sh\nexit 0\n' >"$W/$role/in/noop"
            chmod 755 "$W/$role/in/noop"
            host=$PKG_HOST_ISSUER
            [ $role = verify ] && host=$PKG_HOST_VERIFY
            PKG_WORK=$W timeout -k 5 "$PKG_LIMIT" \
                unshare -m -u --propagation private /bin/sh "$0" --ns "$role" "$host"
            rc=$?
            [ $rc = 124 ] || [ $rc = 137 ] && echo "not ok - $role: timed out after $PKG_LIMIT s"
            [ $role = issuer ] && [ ! -s "$W/share/token-verify" ] &&
                { echo "Bail out! the issuer root gave no token for the verify root"; break; }
        done
        host_state >"$W/host.after"
        if cmp -s "$W/host.before" "$W/host.after"; then
            echo "ok - the host's dpkg database, /etc/pam.d and host name did not change"
        else
            echo "not ok - the host's dpkg database, /etc/pam.d and host name did not change"
            diff "$W/host.before" "$W/host.after" | head -n 20 | sed 's/^/#   /'
        fi
    } | awk '
        /^ok - / { n++; sub(/^ok -/, "ok " n " -"); print; next }
        /^not ok - / { n++; bad++; sub(/^not ok -/, "not ok " n " -"); print; next }
        /^Bail out!/ { print; bailed = 1; next }
        { print }
        END { print "1.." n; exit (bad || bailed) ? 1 : 0 }'
    rc=$?
    echo "# run time $(($(date +%s) - start)) s"
    exit $rc
}

case "${1:-}" in
--root) shift; "role_$1" ;;
--ns) shift; in_namespace "$@" ;;
*) outer ;;
esac

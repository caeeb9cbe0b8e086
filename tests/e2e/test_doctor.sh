#!/bin/sh
# SPDX-License-Identifier: MIT
# `jwt-helper doctor` on real files: each broken setup of jwt-helper(1) doctor is built
# in a private mount namespace (overlays over /etc and /var/lib, so the
# host's files never change) and must give its finding line and exit code
# and leave every file as it was; the shipped setup must give none.
set -u
: "${top_builddir:?run from make check}"
: "${top_srcdir:?run from make check}"
HELPER="$top_builddir/jwt-helper/jwt-helper"

skip() { echo "1..0 # SKIP $*"; exit 0; }

if [ -z "${DOCTOR_NS_DIR:-}" ]; then
    [ "$(id -u)" = 0 ] || skip "needs root (a private mount namespace)"
    command -v unshare >/dev/null || skip "unshare not installed (util-linux)"
    dir=$(mktemp -d) || exit 1
    mkdir "$dir/etc" "$dir/etc.work" "$dir/lib" "$dir/lib.work"
    DOCTOR_NS_DIR=$dir HELPER=$(cd "$(dirname "$HELPER")" && pwd)/jwt-helper \
        timeout -k 5 300 unshare -m --propagation private /bin/sh "$0"
    rc=$?
    rm -rf "$dir"
    exit $rc
fi
T=$DOCTOR_NS_DIR
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$T/etc,workdir=$T/etc.work" /etc 2>/dev/null &&
    mount -t overlay overlay -o "lowerdir=/var/lib,upperdir=$T/lib,workdir=$T/lib.work" /var/lib ||
    skip "no overlay mount here"
# sshd -T needs its privilege separation directory: a private /run has one.
mount -t tmpfs tmpfs /run && mkdir -m 755 /run/sshd || skip "no private /run"

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }

# Every file doctor may read, with its owner and mode.
fingerprint() {
    find /etc/pam.d /etc/security /etc/jwt-helper /var/lib/jwt-helper /etc/ssh /etc/sudoers \
        /etc/sudoers.d -xdev \
        -exec stat -c '%n %U %a %Y' {} \; -type f -exec sha256sum {} \; 2>/dev/null | sort
}

# doctor_check F|E DESC WANT_EXIT [LINE...]: doctor exits WANT_EXIT, prints
# one finding per LINE, in order, each equal to it (F) or matching it as a
# whole-line extended regular expression (E), and no other finding, and
# changes no file.
doctor_check() {
    mode=$1 desc=$2 want_rc=$3
    shift 3
    before=$(fingerprint)
    "$HELPER" doctor >"$T/out" 2>"$T/err"
    rc=$?
    grep -E '^(error|warning): ' "$T/out" >"$T/findings"
    good=yes
    [ "$(wc -l <"$T/findings")" -eq $# ] || good=no
    i=0
    for line in "$@"; do
        i=$((i + 1))
        sed -n "${i}p" "$T/findings" | grep -q"$mode"x -- "$line" || good=no
    done
    if [ "$rc" = "$want_rc" ] && [ $good = yes ] && [ "$(fingerprint)" = "$before" ]; then
        ok "$desc"
    else
        not_ok "$desc"
        echo "#   exit $rc (want $want_rc)"
        sed 's/^/#   out: /' "$T/out"
        sed 's/^/#   err: /' "$T/err"
        for line in "$@"; do echo "#   want: $line"; done
        [ "$(fingerprint)" = "$before" ] || echo "#   a file changed"
    fi
}
doctor_is() { doctor_check F "$@"; }
doctor_like() { doctor_check E "$@"; }

# The shipped setup: the policy, the Debian profile's common-auth as
# pam-auth-update writes it (end turned into a jump over pam_unix and
# pam_deny), sshd through it, sudo and sudo-i with the shipped snippet (a),
# su with pam_rootok first, a key set and an empty revocation list, and
# sshd_config as the sshd snippet asks (a drop-in: sshd takes the first value),
# the sudoers example as /etc/sudoers.d/pam_jwt.
clean_setup() {
    rm -rf /etc/pam.d /etc/security/pam_jwt.conf /etc/jwt-helper /var/lib/jwt-helper /etc/sudoers.d
    mkdir -p /etc/pam.d /etc/jwt-helper /var/lib/jwt-helper /etc/ssh/sshd_config.d /etc/sudoers.d
    install -m 440 "$top_srcdir/conf/sudoers.d/pam_jwt.example" /etc/sudoers.d/pam_jwt
    printf 'UsePAM yes\nKbdInteractiveAuthentication yes\n' >/etc/ssh/sshd_config.d/pam_jwt.conf
    cp "$top_srcdir/conf/pam_jwt.conf" /etc/security/pam_jwt.conf
    "$HELPER" keygen --alg EdDSA --dir /etc/jwt-helper >/dev/null 2>&1 || echo "Bail out! keygen"
    : >/var/lib/jwt-helper/revoked
    printf '%s\n' \
        "# as pam-auth-update writes it" \
        "auth	[success=2 ignore=ignore user_unknown=ignore service_err=ignore default=die]	pam_jwt.so try_token [prompt=Password or token: ]" \
        "auth	[success=1 default=ignore]	pam_unix.so nullok" \
        "auth	requisite			pam_deny.so" \
        "auth	required			pam_permit.so" >/etc/pam.d/common-auth
    printf 'account required pam_unix.so\n' >/etc/pam.d/common-account
    { grep -E '^auth' "$top_srcdir/conf/pam.d/sshd-pam_jwt"
      printf '@include common-auth\n@include common-account\n'; } >/etc/pam.d/sshd
    grep -E '^(auth|account)' "$top_srcdir/conf/pam.d/sudo-pam_jwt" >/etc/pam.d/sudo
    cp /etc/pam.d/sudo /etc/pam.d/sudo-i
    printf 'auth sufficient pam_rootok.so\n@include common-auth\n' >/etc/pam.d/su
    printf 'auth required pam_deny.so\n' >/etc/pam.d/other
}

clean_setup
doctor_is "the shipped setup and the profile's common-auth: no finding, exit 0" 0
grep -qx 'doctor: 0 errors, 0 warnings' "$T/out" && ok "summary line of a clean run" ||
    not_ok "summary line of a clean run"

FAILS="a failed token still logs in, no other module asking for a secret (optional, a jump or ignore past the modules that ask); make pam_jwt's failure end the stack (required, requisite or auth_err=die)"

clean_setup
printf 'auth optional pam_jwt.so\nauth required pam_permit.so\n' >/etc/pam.d/sudo
doctor_is "optional pam_jwt before pam_permit: error, exit 1" 1 \
    "error: /etc/pam.d/sudo:1: service sudo: $FAILS"

clean_setup
printf 'auth [success=done default=1] pam_jwt.so\nauth requisite pam_deny.so\nauth required pam_permit.so\n' >/etc/pam.d/sudo-i
doctor_is "a failed token jumps over pam_deny: error, exit 1" 1 \
    "error: /etc/pam.d/sudo-i:1: service sudo-i: $FAILS"

clean_setup
printf 'auth [success=done auth_err=ignore default=die] pam_jwt.so\nauth required pam_permit.so\n' >/etc/pam.d/sudo
doctor_is "auth_err=ignore before pam_permit: error, exit 1" 1 \
    "error: /etc/pam.d/sudo:1: service sudo: $FAILS"

clean_setup
sed -i 's/default=die/default=ignore/' /etc/pam.d/common-auth
doctor_is "the profile with default=ignore: pam_unix still asks, no finding" 0

clean_setup
printf 'auth sufficient pam_jwt.so\nauth required pam_unix.so\nauth required pam_permit.so\n' >/etc/pam.d/sudo
doctor_is "sufficient pam_jwt, then required pam_unix: no finding" 0

clean_setup
printf 'auth required pam_jwt.so\nauth required pam_unix.so\n' >/etc/pam.d/sudo
doctor_is "a valid token alone does not log in: a warning, exit 0" 0 \
    "warning: /etc/pam.d/sudo:1: service sudo: a valid token alone does not log in (another module must also succeed); fine when meant as a second factor, else make pam_jwt sufficient or jump to the end on success"

clean_setup
printf 'auth optional pam_jwt.so\nauth required pam_frobnicate.so\n' >/etc/pam.d/sudo
doctor_is "an unknown module is taken at its worst and named" 1 \
    "warning: /etc/pam.d/sudo:2: doctor does not know pam_frobnicate.so and took it as asking for no secret; check its verdict below by hand" \
    "error: /etc/pam.d/sudo:1: service sudo: $FAILS"

NOSCOPE="pam_jwt requires no scope, so a token issued for any service logs in here; set scope (scope = %s names the service) globally or in a service block of /etc/security/pam_jwt.conf"
clean_setup
printf 'revocation = /var/lib/jwt-helper/revoked\nservice sudo sudo-i\n    scope = sudo\n' >/etc/security/pam_jwt.conf
doctor_is "no scope for sshd and su: an error at each of their pam_jwt lines" 1 \
    "error: /etc/pam.d/sshd:1: service sshd: $NOSCOPE" \
    "error: /etc/pam.d/common-auth:2: service sshd: $NOSCOPE" \
    "error: /etc/pam.d/common-auth:2: service su: $NOSCOPE"

clean_setup
rm /var/lib/jwt-helper/revoked
doctor_is "the revocation list is missing: error, exit 1" 1 \
    "error: /var/lib/jwt-helper/revoked: the revocation list pam_jwt.conf names is missing, so every token login fails; create it or change the option"

clean_setup
rm /etc/jwt-helper/jwks.json
doctor_is "the key set is missing: error, exit 1" 1 \
    "error: /etc/jwt-helper/jwks.json: the key set pam_jwt.conf names is missing, so every token login fails; create it or change the option"

UNSAFE="has an unsafe owner or mode, so pam_jwt refuses it; make it a regular file owned by root (the revocation list: or _jwt-helper), not writable by group or others"
clean_setup
chmod 666 /etc/jwt-helper/jwks.json
doctor_is "a key set others may write: error, exit 1" 1 \
    "error: /etc/jwt-helper/jwks.json: the key set $UNSAFE"

clean_setup
chown 65534 /var/lib/jwt-helper/revoked
doctor_is "a revocation list owned by nobody: error, exit 1" 1 \
    "error: /var/lib/jwt-helper/revoked: the revocation list $UNSAFE"

clean_setup
echo 'bogus = 1' >>/etc/security/pam_jwt.conf
doctor_is "an unknown option in the policy: pam_jwt's own message, exit 1" 1 \
    "error: /etc/security/pam_jwt.conf:$(wc -l </etc/security/pam_jwt.conf): unknown option \"bogus\"; see pam_jwt.conf(5)"

AUD="audience \"api://pam\" is not host-bound, so one token logs in on every host that accepts it; fine for an OpenID Provider's audience, else use host:%h"
clean_setup
sed -i 's|^service sudo sudo-i|audience = api://pam\n&|' /etc/security/pam_jwt.conf
doctor_is "an audience that is not host: in sshd's block: a warning at sshd's lines, exit 0" 0 \
    "warning: /etc/pam.d/sshd:1: $AUD" \
    "warning: /etc/pam.d/common-auth:2: $AUD"

clean_setup
printf 'auth required pam_jwt.so leeway=forever\n' >/etc/pam.d/sudo
doctor_is "a bad module argument: pam_jwt's own message at the stack line, exit 1" 1 \
    "error: /etc/pam.d/sudo:1: leeway: \"forever\" is not a whole number from 0 to 3600; see pam_jwt.conf(5)"

clean_setup
printf 'auth [success=done bogus] pam_jwt.so\nauth [success=ok pam_permit.so\nauth wrong pam_permit.so\nbadtype required pam_permit.so\nauth required\n' >>/etc/pam.d/sudo
doctor_is "lines libpam cannot read: one error each, naming the line" 1 \
    "error: /etc/pam.d/sudo:3: control \"bogus\" is not value=action (pam.d(5)); fix the line (pam.d(5))" \
    "error: /etc/pam.d/sudo:4: control \"[\" without \"]\"; fix the line (pam.d(5))" \
    "error: /etc/pam.d/sudo:5: unknown control \"wrong\"; fix the line (pam.d(5))" \
    "error: /etc/pam.d/sudo:6: unknown type \"badtype\"; fix the line (pam.d(5))" \
    "error: /etc/pam.d/sudo:7: no module; fix the line (pam.d(5))"

clean_setup
printf 'auth required pam_jwt.so\n@include sudo\n' >/etc/pam.d/sudo
doctor_is "an include loop ends with a finding" 1 \
    "error: /etc/pam.d/sudo:2: includes nested more than 8 deep (a loop?); not followed; fix the line (pam.d(5))"

clean_setup
printf 'auth required pam_jwt.so\n@include common-nothere\n' >/etc/pam.d/sudo
doctor_is "a missing include: error, exit 1" 1 \
    "error: /etc/pam.d/common-nothere: cannot read it (No such file or directory), so libpam fails every stack that uses it; create it or drop the include"

clean_setup
chmod 666 /etc/pam.d/sudo
doctor_is "a stack file others may write: error, exit 1" 1 \
    "error: /etc/pam.d/sudo: unsafe file: whoever can write it decides who logs in; make it a regular file owned by root, not writable by group or others, under 256 KiB"

clean_setup
rm /etc/pam.d/sudo-i
ln -s sudo /etc/pam.d/sudo-i
doctor_is "a stack file that is a symlink, as libpam allows: no finding" 0

clean_setup
chmod 666 /etc/security/pam_jwt.conf
doctor_is "a policy file others may write: pam_jwt's own refusal, exit 1" 1 \
    "error: /etc/security/pam_jwt.conf: unsafe file; see pam_jwt.conf(5)"

STALE="sudo reuses a login without asking pam_jwt"
clean_setup
rm /etc/sudoers.d/pam_jwt
doctor_is "sudo's default 15-minute cache against max_auth_age 300: error per sudo service" 1 \
    "error: /etc/sudoers: sudo's default timestamp_timeout (15 minutes) outlives service sudo's max_auth_age (300 s): $STALE; add Defaults timestamp_timeout=0 in /etc/sudoers.d" \
    "error: /etc/sudoers: sudo's default timestamp_timeout (15 minutes) outlives service sudo-i's max_auth_age (300 s): $STALE; add Defaults timestamp_timeout=0 in /etc/sudoers.d"

clean_setup
printf 'Defaults timestamp_timeout=0\nDefaults:alice  timestamp_timeout = 10\n' >/etc/sudoers.d/pam_jwt
doctor_is "one user's 10-minute cache: error at its line" 1 \
    "error: /etc/sudoers.d/pam_jwt:2: timestamp_timeout (10 minutes) outlives service sudo's max_auth_age (300 s): $STALE; set it to 0" \
    "error: /etc/sudoers.d/pam_jwt:2: timestamp_timeout (10 minutes) outlives service sudo-i's max_auth_age (300 s): $STALE; set it to 0"

clean_setup
printf 'Defaults timestamp_timeout=5\n' >/etc/sudoers.d/pam_jwt
printf 'Defaults timestamp_timeout=-1\n' >/etc/sudoers.d/pam_jwt.bak
doctor_is "a cache of exactly max_auth_age, and a file sudo skips (a dot in its name): no finding" 0

clean_setup
head -c 300000 /dev/zero | tr '\0' '#' >/etc/sudoers.d/zz-big
doctor_is "a sudoers part over 256 KiB: a check not made, exit 4" 4
grep -qx "jwt-helper doctor: cannot read /etc/sudoers.d/zz-big: larger than 256 KiB; not checked: sudo's timestamp_timeout" "$T/err" &&
    ok "and stderr names the file and the check" || not_ok "and stderr names the file and the check"

if [ -x /usr/sbin/sshd ]; then
    clean_setup
    printf 'UsePAM no\n' >/etc/ssh/sshd_config.d/pam_jwt.conf
    doctor_is "sshd -T says UsePAM no: error, exit 1" 1 \
        "error: /etc/ssh/sshd_config: UsePAM no: sshd never runs its PAM stack, so no token logs in; set UsePAM yes"

    clean_setup
    printf 'KbdInteractiveAuthentication no\nPasswordAuthentication no\n' >/etc/ssh/sshd_config.d/pam_jwt.conf
    doctor_is "sshd -T says no prompt reaches PAM: error, exit 1" 1 \
        "error: /etc/ssh/sshd_config: KbdInteractiveAuthentication and PasswordAuthentication are both off: no prompt reaches pam_jwt; set KbdInteractiveAuthentication yes"

    clean_setup
    printf 'NoSuchOption yes\n' >/etc/ssh/sshd_config.d/pam_jwt.conf
    doctor_is "sshd -T fails: exit 4, no finding" 4
    grep -q '^jwt-helper doctor: cannot read /etc/ssh/sshd_config: .*NoSuchOption.*; not checked: sshd' "$T/err" &&
        ok "and stderr names the file, sshd's complaint and the check" ||
        not_ok "and stderr names the file, sshd's complaint and the check"
else
    echo "# sshd not installed: its checks not run"
fi

# ---- sudo -V: the PAM services of sudo and sudo -i ----

if [ ! -x /usr/bin/sudo ]; then
    not_ok "sudo -V: sudo is not installed (tests/run.sh installs it)"
elif sudo -V | grep -qx 'PAM service name to use for login shells: sudo-i'; then
    ONEWAY="whose auth stack does not reach pam_jwt while sudo's does: there sudo ignores tokens; give it the lines of /etc/pam.d/sudo, or fine when meant"
    clean_setup
    printf 'auth required pam_unix.so\n' >/etc/pam.d/sudo-i
    doctor_is "sudo -V: sudo -i's service sudo-i does not reach pam_jwt: a warning, exit 0" 0 \
        "warning: /etc/pam.d/sudo-i: sudo runs sudo -i as PAM service sudo-i (sudo -V), $ONEWAY"

    clean_setup
    rm /etc/pam.d/sudo-i
    doctor_is "sudo -V: no /etc/pam.d/sudo-i (libpam takes other): the same warning" 0 \
        "warning: /etc/pam.d/sudo-i: sudo runs sudo -i as PAM service sudo-i (sudo -V), $ONEWAY"
else
    echo "# this sudo has no separate service for sudo -i (built without --with-pam-login): nothing to check"
fi

# ---- jwt-helperd's own setup: token sizes, keys, files ----

clean_setup
doctor_is "the clean setup again" 0
grep -Eqx 'tokens: key [A-Za-z0-9_-]{16} \(EdDSA\), a 32-character user name: sshd \(scope ssh\) [0-9]{3} of 1023 bytes, su \(scope su\) [0-9]{3} of 1023 bytes, sudo \(scope sudo\) [0-9]{3} of 511 bytes, sudo-i \(scope sudo\) [0-9]{3} of 511 bytes' "$T/out" &&
    ok "it states each service's token size from the daemon's EdDSA key against its budget" ||
    { not_ok "it states each service's token size from the daemon's EdDSA key against its budget"; sed 's/^/#   /' "$T/out"; }

OVER="sign with an EdDSA key \(jwt-helper keys rotate --alg EdDSA, then keys activate\)"
clean_setup
"$HELPER" keygen --alg RS256 --force --dir /etc/jwt-helper >/dev/null 2>&1 || echo "Bail out! keygen RS256"
doctor_like "an RS256 signing key: its sudo tokens exceed sudo's 511 bytes, error, exit 1" 1 \
    "error: /etc/jwt-helper/signing.jwk: a token for service sudo \(scope sudo\) from this RS256 key is [0-9]{3} bytes, over the 511 its prompt takes: jwt-helperd refuses to issue it, so no token logs in there; $OVER" \
    "error: /etc/jwt-helper/signing.jwk: a token for service sudo-i \(scope sudo\) from this RS256 key is [0-9]{3} bytes, over the 511 its prompt takes: jwt-helperd refuses to issue it, so no token logs in there; $OVER"
len=$(sed -n 's/.*sudo (scope sudo) \([0-9]*\) of 511 bytes.*/\1/p' "$T/out")
said=$(sed -n '1s/.* key is \([0-9]*\) bytes.*/\1/p' "$T/findings")
[ -n "$len" ] && [ "$len" -gt 511 ] && [ "$len" = "$said" ] &&
    ok "and the stated size ($len bytes) is the one the finding names, over 511" ||
    not_ok "and the stated size ($len bytes) is the one the finding names, over 511"

clean_setup
sed -i 's/^    scope = sudo$/    scope = admin/' /etc/security/pam_jwt.conf
"$HELPER" keygen --alg RS256 --force --dir /etc/jwt-helper >/dev/null 2>&1 || echo "Bail out! keygen RS256"
doctor_like "an RS256 key, sudo's scope not named sudo: the daemon would issue it, sudo refuses it" 1 \
    "error: /etc/jwt-helper/signing.jwk: a token for service sudo \(scope admin\) from this RS256 key is [0-9]{3} bytes, over the 511 its prompt takes: sudo refuses the answer, so no token logs in there; $OVER" \
    "error: /etc/jwt-helper/signing.jwk: a token for service sudo-i \(scope admin\) from this RS256 key is [0-9]{3} bytes, over the 511 its prompt takes: sudo refuses the answer, so no token logs in there; $OVER"

# A second key's public half, marked retired at AT, put into the key set.
add_retired() {
    rm -rf "$T/k2" && mkdir "$T/k2" && "$HELPER" keygen --dir "$T/k2" >/dev/null 2>&1 ||
        echo "Bail out! keygen k2"
    kid2=$(sed -n 's/.*"kid":"\([^"]*\)".*/\1/p' "$T/k2/jwks.json")
    old=$(sed -n '/^    {/,/^    }/p' /etc/jwt-helper/jwks.json)
    new=$(sed -n '/^    {/,/^    }/p' "$T/k2/jwks.json" | sed "s/\"kid\":\"$kid2\"/&,\"retired\":$1/")
    printf '{"keys":[\n%s,\n%s\n]}\n' "$old" "$new" >/etc/jwt-helper/jwks.json
}

clean_setup
add_retired 1000000000
doctor_is "a key retired in 2001: past its prune instant, a warning, exit 0" 0 \
    "warning: /etc/jwt-helper/jwks.json: key $kid2, retired at 1000000000, has no valid token left but every host still trusts it; run jwt-helper keys prune, then copy the key set to every host"

clean_setup
add_retired "$(date +%s)"
doctor_is "a key retired just now: its tokens may live, no finding" 0

SIGNING="file root:root 0644 is unsafe (whoever reads it mints tokens; whoever writes it signs with a key of theirs); make it a regular file root:_jwt-helper 0640 (jwt-helperd(8) FILES)"
clean_setup
chmod 644 /etc/jwt-helper/signing.jwk
chgrp root /etc/jwt-helper/signing.jwk
doctor_is "a signing key others may read: error, exit 1" 1 \
    "error: /etc/jwt-helper/signing.jwk: $SIGNING"

clean_setup
chgrp root /etc/jwt-helper/signing.jwk
doctor_is "a signing key only root's group may read (0640 root:root): no finding" 0

clean_setup
chgrp users /etc/jwt-helper/refresh.key
doctor_is "a refresh secret group users may read: error, exit 1" 1 \
    "error: /etc/jwt-helper/refresh.key: file root:users 0640 is unsafe (whoever reads it mints refresh tokens); make it a regular file root:_jwt-helper 0640 (jwt-helperd(8) FILES)"

clean_setup
install -m 664 /dev/null /etc/jwt-helper/jwt-helperd.conf
doctor_is "the daemon's config group-writable: the daemon's own refusal, exit 1" 1 \
    "error: /etc/jwt-helper/jwt-helperd.conf: unsafe file; see jwt-helperd(8)"

clean_setup
mkdir -m 755 /etc/jwt-helper/db && chown _jwt-helper:_jwt-helper /etc/jwt-helper/db
install -m 644 -o _jwt-helper /dev/null /etc/jwt-helper/db/users
doctor_is "db/ and the user records readable by all: an error each" 1 \
    "error: /etc/jwt-helper/db: directory _jwt-helper:_jwt-helper 0755 is unsafe (whoever writes in it replaces the user records); make it a directory _jwt-helper:_jwt-helper 0700 (jwt-helperd(8) FILES)" \
    "error: /etc/jwt-helper/db/users: file _jwt-helper:root 0644 is unsafe (it holds password hashes and who may log in); make it a regular file _jwt-helper 0600 (jwt-helperd(8) FILES)"

# ---- sshd: PermitRootLogin, and sshd_config read without sshd ----

ROOT="sshd gives PAM a made-up password for root, so the token logins of jwt-helperd's user root fail at sshd; fine when meant"
root_record() {
    mkdir -p -m 700 /etc/jwt-helper/db && chown _jwt-helper:_jwt-helper /etc/jwt-helper/db
    echo 'root-password-1' | "$HELPER" useradd root --scopes ssh --password-stdin >/dev/null 2>&1 ||
        echo "Bail out! useradd root"
}

clean_setup
root_record
printf 'PermitRootLogin yes\n' >>/etc/ssh/sshd_config.d/pam_jwt.conf
doctor_is "a root record and PermitRootLogin yes: no finding" 0

if [ -x /usr/sbin/sshd ]; then
    clean_setup
    root_record
    printf 'PermitRootLogin no\n' >>/etc/ssh/sshd_config.d/pam_jwt.conf
    doctor_is "a root record, sshd -T says PermitRootLogin no: a warning, exit 0" 0 \
        "warning: /etc/ssh/sshd_config: PermitRootLogin no: $ROOT"
fi

# sshd not installed: its binary hidden, its files read directly.
if [ -e /usr/sbin/sshd ]; then
    mount --bind /dev/null /usr/sbin/sshd || echo "Bail out! cannot hide /usr/sbin/sshd"
fi

clean_setup
doctor_is "without sshd: sshd_config and its Include read, clean, no finding" 0

clean_setup
root_record
printf 'PermitRootLogin prohibit-password\n' >>/etc/ssh/sshd_config.d/pam_jwt.conf
doctor_is "without sshd: PermitRootLogin at its line in an Include, a warning" 0 \
    "warning: /etc/ssh/sshd_config.d/pam_jwt.conf:3: PermitRootLogin prohibit-password: $ROOT"

clean_setup
printf 'Match User alice\n    UsePAM yes\n' >/etc/ssh/sshd_config.d/00-match.conf
printf 'usepam=No\n' >/etc/ssh/sshd_config.d/pam_jwt.conf
doctor_is "without sshd: UsePAM no set in an Include (a Match block's value ignored): error at its line" 1 \
    "error: /etc/ssh/sshd_config.d/pam_jwt.conf:1: UsePAM no: sshd never runs its PAM stack, so no token logs in; set UsePAM yes"
rm -f /etc/ssh/sshd_config.d/00-match.conf

clean_setup
printf 'PasswordAuthentication no\n' >/etc/ssh/sshd_config.d/pam_jwt.conf
doctor_is "without sshd: both prompts off (KbdInteractive no in sshd_config): error, exit 1" 1 \
    "error: /etc/ssh/sshd_config:$(grep -n '^KbdInteractiveAuthentication' /etc/ssh/sshd_config | cut -d: -f1): KbdInteractiveAuthentication and PasswordAuthentication are both off: no prompt reaches pam_jwt; set KbdInteractiveAuthentication yes"

clean_setup
printf 'Include /etc/ssh/sshd_config.d/loop.conf /etc/ssh/sshd_config.d/loop.conf\n' \
    >/etc/ssh/sshd_config.d/loop.conf
started=$(date +%s)
doctor_like "without sshd: an Include that names itself twice: errors, and doctor ends" 1 \
    "error: /etc/ssh/sshd_config.d/loop.conf:1: Includes nested more than 16 deep \\(a loop\\?\\); sshd refuses this; fix the line" \
    "error: /etc/ssh/sshd_config.d/loop.conf:1: Includes reach more than 256 files \\(a loop\\?\\); fix the line" \
    "error: /etc/ssh/sshd_config:[0-9]*: Includes reach more than 256 files \\(a loop\\?\\); fix the line"
echo "# doctor took $(($(date +%s) - started)) s on the self-including file"
rm -f /etc/ssh/sshd_config.d/loop.conf

[ -e /usr/sbin/sshd ] && umount /usr/sbin/sshd

# ---- not root ----

clean_setup
before=$(fingerprint)
setpriv --reuid=65534 --regid=65534 --clear-groups "$HELPER" doctor >"$T/out" 2>"$T/err"
rc=$?
if [ $rc = 4 ] && grep -qx "jwt-helper doctor: cannot read /etc/jwt-helper/signing.jwk: Permission denied; not checked: token sizes against prompt budgets" "$T/err" &&
    grep -qx "jwt-helper doctor: cannot read /etc/sudoers: Permission denied; not checked: sudo's timestamp_timeout" "$T/err" &&
    ! grep -q '^tokens:' "$T/out" && [ "$(fingerprint)" = "$before" ]; then
    ok "not root, the clean setup: names the signing key and sudoers as not read, exit 4"
else
    not_ok "not root, the clean setup: names the signing key and sudoers as not read, exit 4"
    echo "#   exit $rc"; sed 's/^/#   /' "$T/out" "$T/err"
fi

clean_setup
chmod 600 /etc/security/pam_jwt.conf
before=$(fingerprint)
setpriv --reuid=65534 --regid=65534 --clear-groups "$HELPER" doctor >"$T/out" 2>"$T/err"
rc=$?
if [ $rc = 4 ] && grep -qx "jwt-helper doctor: cannot read /etc/security/pam_jwt.conf: Permission denied; not checked: the policy of pam_jwt's services" "$T/err" &&
    [ "$(fingerprint)" = "$before" ]; then
    ok "not root, policy unreadable: says which check it could not make, exit 4"
else
    not_ok "not root, policy unreadable: says which check it could not make, exit 4"
    echo "#   exit $rc"; sed 's/^/#   /' "$T/out" "$T/err"
fi

echo "1..$n"
[ $failed = 0 ]

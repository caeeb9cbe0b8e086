#!/bin/sh
# SPDX-License-Identifier: MIT
# `make install DESTDIR=...` as a packager runs it: every part lands where
# README.md ("Build and install") says, jwt-askpass is jwt-helper under another name, the unit
# names the installed daemon, and a second install keeps edited /etc files.
set -u
: "${top_builddir:=.}"
n=0
failed=0
ok() {
    n=$((n + 1))
    echo "ok $n - $1"
}
not_ok() {
    n=$((n + 1))
    failed=1
    echo "not ok $n - $1"
}
check() { if eval "$1"; then ok "$2"; else not_ok "$2"; fi; }

command -v make >/dev/null || { echo "1..0 # SKIP make not installed"; exit 0; }
D=$(mktemp -d "${TMPDIR:-/tmp}/pam_jwt-install-XXXXXX") || exit 1
trap 'rm -rf "$D"' EXIT
# The paths a distribution package would use, but sysconfdir: the
# configuration files go to the fixed paths the programs read whatever the
# prefix (a policy under /usr/etc would never be read).
install_to() {
    timeout 300 make -s -C "$top_builddir" install DESTDIR="$1" prefix=/usr \
        pammoddir=/usr/lib/security systemdsystemunitdir=/usr/lib/systemd/system \
        sysusersdir=/usr/lib/sysusers.d tmpfilesdir=/usr/lib/tmpfiles.d >"$D/install.log" 2>&1
}

if install_to "$D/root"; then ok "make install DESTDIR=... succeeds"; else
    not_ok "make install DESTDIR=... succeeds"
    sed 's/^/# /' "$D/install.log" | tail -20
    echo "1..$n"
    exit 1
fi
R=$D/root
check '[ -f "$R/usr/lib/security/pam_jwt.so" ]' "module in the PAM module directory"
check '[ ! -e "$R/usr/lib/security/pam_jwt.la" ]' "no libtool .la beside the module"
check '[ -x "$R/usr/bin/jwt-helper" ]' "jwt-helper in bin/"
check '[ -x "$R/usr/sbin/jwt-helperd" ]' "jwt-helperd in sbin/"
check '[ -L "$R/usr/bin/jwt-askpass" ] && [ "$(readlink "$R/usr/bin/jwt-askpass")" = jwt-helper ]' \
    "jwt-askpass is a link to jwt-helper"
for m in man8/pam_jwt.8 man5/pam_jwt.conf.5 man8/jwt-helperd.8 man1/jwt-helper.1; do
    check "[ -f \"\$R/usr/share/man/$m\" ]" "man page $m"
done
check '[ -f "$R/etc/security/pam_jwt.conf" ]' "/etc/security/pam_jwt.conf"
check '[ -f "$R/etc/jwt-helper/jwt-helperd.conf" ]' "/etc/jwt-helper/jwt-helperd.conf"
check '[ -f "$R/usr/lib/systemd/system/jwt-helperd.socket" ]' "systemd socket unit"
check 'grep -qx "ExecStart=/usr/sbin/jwt-helperd -f" "$R/usr/lib/systemd/system/jwt-helperd.service"' \
    "the service unit names the installed daemon"
check '! grep -q "@sbindir@\|@bindir@" "$R/usr/lib/systemd/system/jwt-helperd.service"' \
    "no unsubstituted path in the service unit"
check 'grep -qx "ExecStartPre=+/usr/bin/jwt-helper keygen --if-absent" "$R/usr/lib/systemd/system/jwt-helperd.service"' \
    "the service makes the keys at its first start, with the installed jwt-helper"
check '[ -f "$R/usr/lib/sysusers.d/jwt-helper.conf" ]' "sysusers.d entry"
check '[ -f "$R/usr/lib/tmpfiles.d/jwt-helper.conf" ]' "tmpfiles.d entry"
check '[ -f "$R/usr/lib/tmpfiles.d/pam_jwt.conf" ]' "the module's tmpfiles.d entry"
check 'grep -qx "revocation = /var/lib/jwt-helper/revoked" "$R/etc/security/pam_jwt.conf"' \
    "the installed pam_jwt.conf turns revocation on"

# Revocation on must never lock a host out: the module's tmpfiles entry
# alone makes an empty list the module accepts (root-owned, 0644), and the
# daemon's entry hands it to _jwt-helper without emptying it.
if command -v systemd-tmpfiles >/dev/null; then
    mkdir -p "$D/tmpfiles/etc" "$D/tmpfiles/usr/lib/tmpfiles.d"
    cp /etc/passwd /etc/group "$D/tmpfiles/etc/"
    grep -q '^_jwt-helper:' /etc/passwd ||
        echo '_jwt-helper:x:64999:64999::/nonexistent:/usr/sbin/nologin' >>"$D/tmpfiles/etc/passwd"
    grep -q '^_jwt-helper:' /etc/group || echo '_jwt-helper:x:64999:' >>"$D/tmpfiles/etc/group"
    cp "$R/usr/lib/tmpfiles.d/pam_jwt.conf" "$D/tmpfiles/usr/lib/tmpfiles.d/"
    systemd-tmpfiles --root="$D/tmpfiles" --create >"$D/tmpfiles.log" 2>&1
    L=$D/tmpfiles/var/lib/jwt-helper/revoked
    JU=$(grep '^_jwt-helper:' "$D/tmpfiles/etc/passwd" | cut -d: -f3)
    check '[ -f "$L" ] && [ ! -s "$L" ] && [ "$(stat -c %u:%a "$L")" = 0:644 ]' \
        "module only: an empty root-owned 0644 revocation list"
    echo "alice:1700000000" >"$L"
    cp "$R/usr/lib/tmpfiles.d/jwt-helper.conf" "$D/tmpfiles/usr/lib/tmpfiles.d/"
    systemd-tmpfiles --root="$D/tmpfiles" --create >>"$D/tmpfiles.log" 2>&1
    check '[ "$(stat -c %u:%a "$L")" = "$JU:644" ] && [ -s "$L" ]' \
        "with the daemon: the list handed to _jwt-helper, its lines kept"
    check '[ "$(stat -c %u "$(dirname "$L")")" = "$JU" ]' \
        "with the daemon: its directory too (the daemon replaces the list atomically)"
    check '! grep -qi "duplicate\|unsafe\|fail" "$D/tmpfiles.log"' "systemd-tmpfiles complained of nothing"
else
    not_ok "systemd-tmpfiles is not installed: cannot check the tmpfiles.d entries"
fi
check '[ -f "$R/usr/share/doc/pam_jwt/examples/sudo-pam_jwt" ]' "pam.d snippets as examples"
check '[ -f "$R/usr/share/doc/pam_jwt/examples/pam_jwt.example" ]' "sudoers snippet as an example"
check 'cmp -s "$R/usr/share/doc/pam_jwt/examples/pam_jwt.conf" "$R/etc/security/pam_jwt.conf"' \
    "the shipped policy as an example too, to merge an older file with"
check '[ ! -e "$R/usr/etc" ]' "nothing under the prefix's etc/ (never read there)"
check '[ ! -e "$R/etc/pam.d" ] && [ ! -e "$R/etc/sudoers.d" ]' \
    "nothing installed active in /etc/pam.d or /etc/sudoers.d"
check '[ -z "$(find "$R" -perm -4000 -o -perm -2000)" ]' "no setuid or setgid file"

# An administrator's edits survive a reinstall.
echo "# edited" >>"$R/etc/security/pam_jwt.conf"
echo "# edited" >>"$R/etc/jwt-helper/jwt-helperd.conf"
if install_to "$R"; then ok "a second install succeeds"; else not_ok "a second install succeeds"; fi
check 'tail -n 1 "$R/etc/security/pam_jwt.conf" | grep -qx "# edited"' \
    "a second install keeps the edited pam_jwt.conf"
check 'tail -n 1 "$R/etc/jwt-helper/jwt-helperd.conf" | grep -qx "# edited"' \
    "a second install keeps the edited jwt-helperd.conf"
check 'grep -q "keeping existing" "$D/install.log"' "and says it kept them"
echo "1..$n"
exit $failed

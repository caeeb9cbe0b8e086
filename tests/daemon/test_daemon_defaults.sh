#!/bin/sh
# SPDX-License-Identifier: MIT
# The real jwt-helperd with the shipped defaults of jwt-helperd(8), CONFIGURATION, where a test
# can use them: host-bound audiences (audience host:<short host name>,
# audiences that and host:*, which allows one other host and nothing
# else), and revocation_keep dropping old lines of the revocation list
# when the daemon writes it, over the real socket.
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/daemon/lib.sh"

lib_init defaults
lib_setup
lib_user alice ssh,sudo
conf="$dir/helperd.conf"
# lib_conf's paths, without its "audience = pam": the built-in defaults.
lib_conf "$conf" "revocation_keep = 7200"
sed -i '/^audience = /d' "$conf"

if ! lib_start "$conf"; then
    not_ok "daemon starts with the default audiences"
    tap_end
fi
ok "daemon starts with the default audiences"

# login [KEY=VALUE...]: alice logs in; the response in $resp.
login() {
    resp=$(wire send "$sock" "$(req op=login username=alice "password=$TEST_PASSWORD" "$@")")
    remember "$(printf '%s' "$resp" | field access_token 2>/dev/null)"
    remember "$(printf '%s' "$resp" | field refresh_token 2>/dev/null)"
}
okf() { printf '%s' "$resp" | field ok; }
errf() { printf '%s' "$resp" | field error; }
aud() { printf '%s' "$resp" | field access_token | claim aud; }

short=$(hostname | cut -d. -f1)
login
check "$(okf):$(aud)" "true:host:$short" "default: aud is host:<short host name>"
login audience=host:web2
check "$(okf):$(aud)" "true:host:web2" "default audiences: host:web2 (another host) granted"
login audience=host:Web2.Example.org
check "$(okf):$(aud)" "true:host:web2.example.org" "default audiences: a host name is lowercased"
login audience=host:fe80::1
check "$(okf):$(aud)" "true:host:fe80::1" "default audiences: an IPv6 address granted"
login audience=pam
check "$(okf):$(errf)" "false:invalid_request" "default audiences: pam refused"
login audience=host:
check "$(okf):$(errf)" "false:invalid_request" "default audiences: host: with no name refused"
login "audience=host:a b"
check "$(okf):$(errf)" "false:invalid_request" "default audiences: host:a b refused"
login "audience=host:*"
check "$(okf):$(errf)" "false:invalid_request" "default audiences: host:* itself refused"
login "audience=host:a..b"
check "$(okf):$(errf)" "false:invalid_request" "default audiences: an empty label refused"

rt=$(wire send "$sock" "$(req op=login username=alice "password=$TEST_PASSWORD")" |
    field refresh_token)
remember "$rt"
resp=$(wire send "$sock" "$(req op=refresh "refresh_token=$rt" audience=host:db1)")
check "$(okf):$(aud)" "true:host:db1" "refresh: host:db1 granted by host:*"
resp=$(wire send "$sock" "$(req op=refresh "refresh_token=$rt" audience=pam)")
check "$(okf):$(errf)" "false:invalid_request" "refresh: pam refused"

# ---- revocation_keep: lines older than 7200 s go at the next write ----
now=$(date +%s)
as_daemon sh -c 'umask 022 && printf "%s\n" "$2" "$3" "$4" >"$1"' sh "$revoked" \
    "old:$((now - 8000))" "recent:$((now - 100))" "edge:$((now - 7000))"
resp=$(wire send "$sock" "$(req op=logout "refresh_token=$rt" all:=true)")
check "$(okf)" true "logout all: accepted (the daemon writes the revocation list)"
check "$(grep -c '^old:' "$revoked")" 0 "revocation_keep: a line older than 7200 s is dropped"
check "$(grep -c -e '^recent:' -e '^edge:' "$revoked")" 2 "revocation_keep: younger lines are kept"
check "$(grep -c '^alice:' "$revoked")" 1 "revocation_keep: alice's instant is listed"
login
check "$(okf)" true "login: alice logs in right after logout all"
iat=$(printf '%s' "$resp" | field access_token | claim iat)
listed=$(sed -n 's/^alice://p' "$revoked")
if [ -n "$iat" ] && [ -n "$listed" ] && [ "$iat" -gt "$listed" ]; then
    ok "login: the new token's iat is after alice's listed instant"
else
    not_ok "login: the new token's iat is after alice's listed instant ($iat, $listed)"
fi

lib_stop
check_true "daemon log: no token or password" log_clean
tap_end

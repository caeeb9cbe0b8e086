#!/bin/sh
# SPDX-License-Identifier: MIT
# A real sudo with pam_jwt as its auth stack (the lines of
# conf/pam.d/sudo-pam_jwt as shipped, choice (a): token only, in both
# /etc/pam.d/sudo and /etc/pam.d/sudo-i), the policy of conf/pam_jwt.conf
# and the sudoers settings of conf/sudoers.d/pam_jwt.example, the token
# handed over by SUDO_ASKPASS, inside a private mount and UTS namespace
# (tests/e2e/e2e_lib.sh).
set -u
E2E_NAME=test_sudo
: "${top_srcdir:=.}"
. "$top_srcdir/tests/e2e/e2e_lib.sh"

e2e_preflight sudo visudo findmnt
SUDO=$(e2e_find_prog sudo)
e2e_enter_ns "$0"
e2e_setup

# --- the PAM stacks: the shipped lines, the module by absolute path ---
# The lines carry no policy: the shipped pam_jwt.conf's "service sudo
# sudo-i" block asks for scope sudo and max_auth_age 300, and every token
# is bound to this host (audience host:%h).
shipped() {
    grep -E "^$1[[:space:]]" "$top_srcdir/conf/pam.d/sudo-pam_jwt" |
        sed "s|pam_jwt\.so|$E2E_MODULE config=$T/pam_jwt.conf|"
}
grep -E '^auth[[:space:]]' "$top_srcdir/conf/pam.d/sudo-pam_jwt" |
    grep -qxE 'auth[[:space:]]+required[[:space:]]+pam_jwt\.so' ||
    e2e_bail "conf/pam.d/sudo-pam_jwt has no plain 'auth required pam_jwt.so' line"
# Debian runs `sudo -i` as the service sudo-i, whose file includes
# common-auth as sudo's does: the snippet goes into both.
for svc in sudo sudo-i; do
    {
        shipped auth # replaces Debian's "@include common-auth"
        echo "account required pam_unix.so"
        shipped account
        echo "session required pam_unix.so"
    } >"/etc/pam.d/$svc"
done

# --- sudoers: the shipped example's settings, and the test user ---
# timestamp_timeout=0 (from the example): sudo keeps no credential cache,
# so every sudo below asks PAM, and one check proves it. -k would do that
# per command; the example is what administrators install.
{
    grep -E '^Defaults' "$top_srcdir/conf/sudoers.d/pam_jwt.example"
    echo 'Defaults !fqdn'        # no DNS lookup of the host name
    echo 'Defaults passwd_tries=1' # one askpass run per refusal, not three
    echo 'Defaults env_reset'
    echo 'Defaults secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"'
    echo 'root ALL=(ALL:ALL) ALL'
    # ALL: sudo -i runs root's shell, which then runs the command.
    echo "$E2E_USER ALL=(root) ALL"
} >"$T/sudoers"
grep -q '^Defaults timestamp_timeout=0' "$T/sudoers" ||
    e2e_bail "conf/sudoers.d/pam_jwt.example lost 'Defaults timestamp_timeout=0'"
chmod 440 "$T/sudoers"
e2e_must "bind /etc/sudoers" mount --bind "$T/sudoers" /etc/sudoers
timeout 10 visudo -c -f /etc/sudoers >/dev/null 2>"$T/visudo.err" ||
    e2e_bail "visudo refuses the test sudoers: $(cat "$T/visudo.err")"

# e2e_sudo SUDO_ARGS...: sudo -A as the test user, the askpass answering
# with $T/answer. Output in $T/sudo.out, $T/sudo.err.
e2e_sudo() {
    e2e_log_mark
    : >"$T/prompts"
    e2e_as_user SUDO_ASKPASS="${ASKPASS:-$T/askpass}" JWT_HELPER_SOCKET="${E2E_SOCK:-}" \
        timeout 30 "$SUDO" -A "$@" \
        </dev/null >"$T/sudo.out" 2>"$T/sudo.err"
}

# sudo_ok DESC [SUDO_ARGS...]: sudo runs `id -u` as root with the token in
# $T/answer.
sudo_ok() {
    desc=$1
    shift
    [ $# = 0 ] && set -- -k
    e2e_sudo "$@" id -u
    rc=$?
    if [ $rc = 0 ] && [ "$(cat "$T/sudo.out")" = 0 ]; then
        e2e_ok "$desc"
    else
        e2e_not_ok "$desc"
        echo "#   sudo exit $rc: $(tr '\n' ' ' <"$T/sudo.err")"
        e2e_module_lines
    fi
}

# sudo_refused DESC REASON [SUDO_ARGS...]: sudo refuses and pam_jwt logged
# REASON (grep -E; empty: logged nothing to look for) for the PAM service
# $SVC (sudo, or sudo-i when the arguments hold -i).
SVC=sudo
sudo_refused() {
    desc=$1 reason=$2
    shift 2
    [ $# = 0 ] && set -- -k
    e2e_sudo "$@" id -u
    rc=$?
    if [ $rc != 0 ] && [ ! -s "$T/sudo.out" ]; then
        e2e_ok "$desc: refused"
    else
        e2e_not_ok "$desc: refused"
        echo "#   sudo exit $rc, output '$(cat "$T/sudo.out")'"
    fi
    [ -n "$reason" ] || return 0
    if e2e_log_wait "pam_jwt\($SVC:auth\): rejected: service=$SVC user=$E2E_USER .*reason=$reason"; then
        e2e_ok "$desc: pam_jwt logged reason=$reason"
    else
        e2e_not_ok "$desc: pam_jwt logged reason=$reason"
        e2e_module_lines
    fi
}

# claims SCOPE AUTH_TIME_OFFSET [SUB]: an access token's claims for sudo.
claims() {
    e2e_claims "${3:-$E2E_USER}" "host:$E2E_HOST" "$1" -10 300 "$2"
}

e2e_answer "$(e2e_mint "$(claims "ssh sudo" -10)")"
sudo_ok "a token with scope sudo and a fresh auth_time runs a command as root"
if e2e_log_wait "pam_jwt\(sudo:auth\): accepted: service=sudo user=$E2E_USER jti=e2e-"; then
    e2e_ok "pam_jwt logged the acceptance"
else
    e2e_not_ok "pam_jwt logged the acceptance"
    e2e_module_lines
fi
e2e_check "$(head -n 1 "$T/prompts")" "Token: " \
    "the askpass saw pam_jwt's prompt (sudo passes a non-default PAM prompt through)"
if grep -qF "$(cut -d. -f3 "$T/answer")" "$T/syslog"; then
    e2e_not_ok "the token reached no log"
else
    e2e_ok "the token reached no log"
fi

e2e_answer "$(e2e_mint "$(claims "ssh sudo" -200)")"
sudo_ok "auth_time 200 s ago is within max_auth_age=300"

e2e_answer "$(e2e_mint "$(claims "ssh sudo" -10)")"
sudo_ok "without -k (timestamp_timeout=0 from the example)" --
e2e_answer "$(e2e_mint "$(claims ssh -10)")"
sudo_refused "right after a success, without -k, a bad token: no cached credential" "" --

e2e_answer "$(e2e_mint "$(claims ssh -10)")"
sudo_refused "a token without the sudo scope" "scope not granted"

e2e_answer "$(e2e_mint "$(claims "sudo" -400)")"
sudo_refused "auth_time 400 s ago (max_auth_age=300)" "auth_time"
e2e_log_since | grep -o 'reason=.*' | sed 's/^/#   auth_time 400 s ago: /'

e2e_answer "$(e2e_mint "$(e2e_claims "$E2E_USER" "host:$E2E_HOST" sudo -900 -500 -900)")"
sudo_refused "an expired token" expired

e2e_answer "$(e2e_mint "$(claims sudo -10 root)")"
sudo_refused "another user's token" "wrong user"

e2e_answer "$(e2e_mint "$(e2e_claims "$E2E_USER" host:web2 sudo -10 300 -10)")"
sudo_refused "a token for another host (host:web2)" "wrong audience"

e2e_answer "$E2E_PASSWORD"
sudo_refused "the Unix password (the token-only stack has no pam_unix auth)" ""

# --- sudo -i: the PAM service sudo-i, the same block of the policy ---
SVC=sudo-i
e2e_answer "$(e2e_mint "$(claims "sudo" -10)")"
sudo_ok "sudo -i with a token granting sudo runs a login shell as root" -k -i
if e2e_log_wait "pam_jwt\(sudo-i:auth\): accepted: service=sudo-i user=$E2E_USER"; then
    e2e_ok "pam_jwt decided for the service sudo-i"
else
    e2e_not_ok "pam_jwt decided for the service sudo-i"
    e2e_module_lines
fi
e2e_answer "$(e2e_mint "$(claims "sudo" -400)")"
sudo_refused "sudo -i: auth_time 400 s ago (step-up, max_auth_age 300)" "auth_time" -k -i
e2e_answer "$(e2e_mint "$(claims ssh -10)")"
sudo_refused "sudo -i: a token without the sudo scope" "scope not granted" -k -i
e2e_answer "$E2E_PASSWORD"
sudo_refused "sudo -i: the Unix password no longer works" "" -k -i
SVC=sudo

# --- prompt budget: sudo refuses answers of 512 bytes or more ---
for len in 511 512; do
    e2e_mint_len $len "$(claims "ssh sudo" -10)" "$T/tok$len" ||
        e2e_bail "cannot mint a token of $len bytes"
    echo "# token of $len bytes: $E2E_MINT_HOW"
done
e2e_answer "$(cat "$T/tok511")"
sudo_ok "a 511-byte token passes sudo"
e2e_answer "$(cat "$T/tok512")"
sudo_refused "a 512-byte token fails sudo" ""
# sudo does not cut the reply: it refuses it (PAM_CONV_ERR), so pam_jwt
# never sees a token; libpam logs the failed conversation in its name.
if e2e_log_wait 'pam_jwt\(sudo:auth\): '; then
    e2e_ok "the refused 512-byte reply is logged under pam_jwt's name"
else
    e2e_not_ok "the refused 512-byte reply is logged under pam_jwt's name"
fi
echo "#   512 bytes, sudo said: $(tr '\n' ' ' <"$T/sudo.err")"
e2e_module_lines

# --- the real chain: jwt-helperd, jwt-helper login, jwt-askpass ---
if e2e_daemon; then
    e2e_ok "jwt-helperd runs and the test user logged in with jwt-helper login"
    ASKPASS="$T/bin/jwt-askpass"
    sudo_ok "sudo -A with SUDO_ASKPASS=jwt-askpass runs a command as root (the daemon's token)"
    ASKPASS=
else
    e2e_skip_n 2 "$E2E_DAEMON_WHY"
fi

e2e_done

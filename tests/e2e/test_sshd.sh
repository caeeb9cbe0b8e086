#!/bin/sh
# SPDX-License-Identifier: MIT
# A real sshd on 127.0.0.1 with pam_jwt in its PAM stack (the lines of
# conf/pam.d/sshd-pam_jwt as shipped, the policy of conf/pam_jwt.conf), a
# real ssh client connecting by the host's name and handing over tokens
# through SSH_ASKPASS, inside a private mount and UTS namespace
# (tests/e2e/e2e_lib.sh).
set -u
E2E_NAME=test_sshd
: "${top_srcdir:=.}"
. "$top_srcdir/tests/e2e/e2e_lib.sh"

e2e_preflight sshd ssh ssh-keygen findmnt
e2e_enter_ns "$0"
e2e_setup

# --- the PAM stack: the shipped lines, the module by absolute path ---
# The shipped policy binds a token to this host (audience host:%h) and to
# sshd's scope ssh; the stack lines carry no policy of their own.
AUD=host:$E2E_HOST
shipped() {
    grep -E "^$1[[:space:]]" "$top_srcdir/conf/pam.d/sshd-pam_jwt" |
        sed "s|pam_jwt\.so|$E2E_MODULE config=$T/pam_jwt.conf|"
}
[ "$(shipped auth | wc -l)" = 1 ] || e2e_bail "conf/pam.d/sshd-pam_jwt has no single auth line"
grep -E '^(auth|account|session)[[:space:]]' "$top_srcdir/conf/pam.d/sshd-pam_jwt" |
    grep -qvE 'pam_jwt\.so$' && e2e_bail "conf/pam.d/sshd-pam_jwt: a line carries options"
{
    shipped auth
    # Debian's common-auth, reduced; nodelay spares each refusal 2 s.
    echo "auth required pam_unix.so nodelay"
    echo "account required pam_unix.so"
    shipped account
    echo "session required pam_unix.so"
    shipped session
} >/etc/pam.d/sshd

# --- sshd: own host key, own config, own port ---
PORT=$("$E2E_PY" "$E2E_TOOL" port) || e2e_bail "no free port"
e2e_sshd_start 127.0.0.1 "$PORT"
e2e_ok "sshd listens on 127.0.0.1:$PORT with pam_jwt in its stack"

# e2e_ssh METHODS COMMAND: ssh as the test user; the askpass answers every
# prompt with $T/answer. Output in $T/ssh.out, $T/ssh.err.
e2e_ssh() {
    e2e_log_mark
    : >"$T/prompts"
    e2e_as_user SSH_ASKPASS="${ASKPASS:-$T/askpass}" SSH_ASKPASS_REQUIRE=force \
        JWT_HELPER_SOCKET="${E2E_SOCK:-}" \
        timeout 30 ssh -F /dev/null -p "$PORT" -o BatchMode=no -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null \
        -o PreferredAuthentications="$1" -o NumberOfPasswordPrompts=1 -o ConnectTimeout=10 \
        -o LogLevel=ERROR "$E2E_USER@$E2E_HOST" "$2" </dev/null >"$T/ssh.out" 2>"$T/ssh.err"
}

# ssh_login_ok DESC: token in $T/answer logs in and runs a command.
ssh_login_ok() {
    e2e_ssh "${2:-keyboard-interactive}" 'echo ok'
    rc=$?
    if [ $rc = 0 ] && [ "$(cat "$T/ssh.out")" = ok ]; then
        e2e_ok "$1"
    else
        e2e_not_ok "$1"
        echo "#   ssh exit $rc: $(tr '\n' ' ' <"$T/ssh.err")"
        e2e_module_lines
    fi
}

# ssh_login_refused DESC REASON: the login fails and pam_jwt logged REASON.
ssh_login_refused() {
    e2e_ssh keyboard-interactive 'echo ok'
    rc=$?
    if [ $rc != 0 ] && [ ! -s "$T/ssh.out" ]; then
        e2e_ok "$1: refused"
    else
        e2e_not_ok "$1: refused"
        echo "#   ssh exit $rc, output '$(cat "$T/ssh.out")'"
    fi
    if e2e_log_wait "pam_jwt\(sshd:auth\): rejected: service=sshd user=$E2E_USER .*reason=$2"; then
        e2e_ok "$1: pam_jwt logged reason=$2"
    else
        e2e_not_ok "$1: pam_jwt logged reason=$2"
        e2e_module_lines
    fi
}

# --- minted tokens ---
good=$(e2e_mint "$(e2e_claims "$E2E_USER" "$AUD" ssh -10 300 -10)")
e2e_answer "$good"
ssh_login_ok "a valid token logs in (keyboard-interactive)"
if e2e_log_wait "pam_jwt\(sshd:auth\): accepted: service=sshd user=$E2E_USER jti=e2e-"; then
    e2e_ok "pam_jwt logged the acceptance with the jti"
else
    e2e_not_ok "pam_jwt logged the acceptance with the jti"
    e2e_module_lines
fi
prompt=$(head -n 1 "$T/prompts")
e2e_check "$prompt" "($E2E_USER@$E2E_HOST) Token: " "the askpass saw pam_jwt's prompt with user@host"
if grep -qF "${good##*.}" "$T/syslog" "$T/sshd.log"; then
    e2e_not_ok "the token reached no log"
else
    e2e_ok "the token reached no log"
fi

e2e_ssh keyboard-interactive 'echo "sub=$JWT_SUBJECT id=$JWT_ID exp=$JWT_EXPIRES"'
e2e_check "$(cut -d' ' -f1 "$T/ssh.out")" "sub=$E2E_USER" "JWT_SUBJECT reaches the session"
case $(cat "$T/ssh.out") in
*" id=e2e-"*" exp="[0-9]*) e2e_ok "JWT_ID and JWT_EXPIRES reach the session" ;;
*) e2e_not_ok "JWT_ID and JWT_EXPIRES reach the session"; echo "#   got '$(cat "$T/ssh.out")'" ;;
esac

ssh_login_ok "a valid token works as the ssh password (PasswordAuthentication)" password
e2e_check "$(head -n 1 "$T/prompts")" "$E2E_USER@$E2E_HOST's password: " \
    "the askpass saw ssh's password prompt"

e2e_answer "$(e2e_mint "$(e2e_claims "$E2E_USER" "$AUD" ssh -900 -500 -900)")"
ssh_login_refused "an expired token" expired

e2e_answer "$(e2e_mint "$(e2e_claims root "$AUD" ssh -10 300 -10)")"
ssh_login_refused "a token for another user" "wrong user"

e2e_answer "$(e2e_mint "$(e2e_claims "$E2E_USER" host:web2 ssh -10 300 -10)")"
ssh_login_refused "a token for another host (host:web2)" "wrong audience"
e2e_log_since | grep -o 'reason=.*' | sed 's/^/#   host:web2: /'

e2e_answer "$(e2e_mint "$(e2e_claims "$E2E_USER" pam "ssh sudo" -10 300 -10)")"
ssh_login_refused "a token bound to no host (aud pam)" "wrong audience"

e2e_answer "$(e2e_mint "$(e2e_claims "$E2E_USER" "HOST:$(echo "$E2E_HOST" | tr a-z A-Z)." ssh -10 300 -10)")"
ssh_login_ok "host: audiences compare without case, one trailing dot ignored"

e2e_answer "$(e2e_mint "$(e2e_claims "$E2E_USER" "$AUD" sudo -10 300 -10)")"
ssh_login_refused "a token granting sudo but not ssh (the policy's sshd block)" "scope not granted"

other=$(e2e_mint "$(e2e_claims "$E2E_USER" "$AUD" ssh -10 600 -10)")
tampered=$(echo "$good" | cut -d. -f1).$(echo "$other" | cut -d. -f2).${good##*.}
e2e_answer "$tampered"
ssh_login_refused "a tampered token (another payload under the signature)" "bad signature"

refresh=$("$E2E_PY" "$E2E_TOOL" hs256 "$T/keys/refresh.key" \
    "$(e2e_claims "$E2E_USER" "$E2E_ISS" ssh -10 300 -10),\"gen\":1,\"pwb\":\"AAAAAAAAAAAAAAAAAAAAAA\"}")
e2e_answer "$refresh"
ssh_login_refused "a refresh token (HS256, typ rt+jwt)" "alg not allowed"
e2e_answer "$("$E2E_MINT" --key "$T/keys/signing.jwk" --typ rt+jwt \
    "$(e2e_claims "$E2E_USER" "$AUD" ssh -10 300 -10)}")"
ssh_login_refused "a token typed rt+jwt, signed with the access-token key" "typ"
e2e_log_since | grep -o 'reason=.*' | sed 's/^/#   rt+jwt with EdDSA: /'

# pam_jwt is "sufficient": a password typed at its prompt fails there, and
# pam_unix takes it: pam_jwt stored it as PAM_AUTHTOK, and pam_unix (through
# pam_get_authtok) uses a stored PAM_AUTHTOK without asking again.
e2e_answer "$E2E_PASSWORD"
ssh_login_ok "the Unix password still works after pam_jwt (sufficient, then pam_unix)"
e2e_check "$(tr '\n' '|' <"$T/prompts")" "($E2E_USER@$E2E_HOST) Token: |" \
    "one prompt: pam_unix checked what was typed at the Token: prompt"
e2e_answer "wrong-$E2E_PASSWORD"
e2e_ssh keyboard-interactive 'echo ok'
[ $? != 0 ] && [ ! -s "$T/ssh.out" ]
e2e_check $? 0 "a wrong password is refused"

# --- prompt budgets: the ssh client reads at most 1023 bytes ---
for len in 512 1023 1024; do
    e2e_mint_len $len "$(e2e_claims "$E2E_USER" "$AUD" ssh -10 300 -10)" "$T/tok$len" ||
        e2e_bail "cannot mint a token of $len bytes"
    echo "# token of $len bytes: $E2E_MINT_HOW"
done
e2e_answer "$(cat "$T/tok512")"
ssh_login_ok "a 512-byte token passes ssh (too long for sudo, fine here)"
e2e_answer "$(cat "$T/tok1023")"
ssh_login_ok "a 1023-byte token passes ssh (the client's limit)"
e2e_answer "$(cat "$T/tok1024")"
e2e_ssh keyboard-interactive 'echo ok'
[ $? != 0 ] && [ ! -s "$T/ssh.out" ]
e2e_check $? 0 "a 1024-byte token fails ssh"
# The client cuts silently: what reaches pam_jwt is the first 1023 bytes.
if e2e_log_wait "pam_jwt\(sshd:auth\): rejected: .*reason=token length 1023 "; then
    e2e_ok "ssh cut the 1024-byte token to 1023 bytes, and pam_jwt said so"
else
    e2e_not_ok "ssh cut the 1024-byte token to 1023 bytes, and pam_jwt said so"
fi
e2e_log_since | grep -o 'pam_jwt(sshd:auth): .*' | sed 's/^/#   1024 bytes: /'

# --- the real chain: jwt-helperd, jwt-helper login, jwt-askpass ---
if e2e_daemon; then
    e2e_ok "jwt-helperd runs and the test user logged in with jwt-helper login"
    ASKPASS="$T/bin/jwt-askpass"
    e2e_ssh keyboard-interactive 'echo "sub=$JWT_SUBJECT"'
    e2e_check "$(cat "$T/ssh.out")" "sub=$E2E_USER" \
        "ssh with SSH_ASKPASS=jwt-askpass logs in (the daemon's token for audience $AUD)"
    if ! grep -q "sub=$E2E_USER" "$T/ssh.out"; then
        echo "#   ssh: $(tr '\n' ' ' <"$T/ssh.err")"
        e2e_module_lines
    fi
    ASKPASS=
    # What the askpass handed over: bound to this host and to ssh alone.
    tok=$(e2e_as_user JWT_HELPER_SOCKET="$E2E_SOCK" timeout 30 "$T/bin/jwt-askpass" \
        "($E2E_USER@$E2E_HOST) Token: " 2>/dev/null)
    e2e_check "$(printf '%s' "$tok" | "$E2E_PY" "$E2E_TOOL" claim aud):$(printf '%s' "$tok" |
        "$E2E_PY" "$E2E_TOOL" claim scope)" "$AUD:ssh" \
        "jwt-askpass's token for ($E2E_USER@$E2E_HOST) has aud $AUD and scope ssh alone"
else
    e2e_skip_n 3 "$E2E_DAEMON_WHY"
fi

e2e_done

#!/bin/sh
# SPDX-License-Identifier: MIT
# Access tokens of a real OpenID Provider (panva's oidc-provider,
# tests/oidc/) through pam_jwt: obtained by a scripted authorization-code
# flow (the user logs in at the provider) and by client credentials, signed
# EdDSA and RS256, for a dedicated audience; the key set fetched with
# `jwt-helper jwks sync`; then `jwt-helper verify`, the module through real
# libpam (pamtester) and a real sshd login with user_claim=preferred_username.
# Refused: another audience, another client, a client-credentials token
# (no user), an ID token. Each token's header, claims and length against
# the prompt budgets are printed as diagnostics.
set -u
E2E_NAME=test_oidc_provider
: "${top_srcdir:=.}"
. "$top_srcdir/tests/e2e/e2e_lib.sh"
. "$top_srcdir/tests/e2e/oidc_lib.sh"

e2e_preflight sshd ssh ssh-keygen
oidc_enter pamtester

# --- the host's side: the provider's key set by jwks sync, its policy ---
oidc_sync_conf provider "$OIDC_ISS/jwks" "$OUT"
oidc_sync provider
e2e_check "$?" 0 "jwks sync fetched the provider's key set"
sed 's/^/#   /' "$T/sync.out" "$T/sync.err"
oidc_policy "$OUT"

# --- tokens, as the provider issues them ---
oidc_tokens code-ed code-rs code-other-aud code-other-client id-token cc-ed >"$T/tokens" ||
    e2e_bail "tokens from the provider"
token() { sed -n "s/^$1 //p" "$T/tokens"; }
for kind in code-ed code-rs code-other-aud code-other-client id-token cc-ed; do
    [ -n "$(token $kind)" ] || e2e_bail "no $kind token"
    oidc_show "$kind" "$(token $kind)"
done

# --- jwt-helper verify: the core decision the module makes ---
# verify_is KIND WANT_EXIT WANT_LINE
verify_is() {
    oidc_verify "$(token "$1")"
    rc=$?
    line=$(head -n 1 "$T/verify.out")
    if [ "$rc" = "$2" ] && case $line in "$3"*) true ;; *) false ;; esac; then
        e2e_ok "verify $1: exit $2, $3"
    else
        e2e_not_ok "verify $1: exit $2, $3"
        echo "#   exit $rc: $line"
    fi
}
verify_is code-ed 0 "accepted: sub=$E2E_USER"
verify_is code-rs 0 "accepted: sub=$E2E_USER"
verify_is code-other-aud 1 "rejected: wrong audience"
verify_is code-other-client 1 "rejected: wrong client"
verify_is id-token 1 "rejected: wrong audience"
verify_is cc-ed 1 "rejected: wrong user"
# The client-credentials token names its client as sub; with
# user_claim=preferred_username no user name can match it.
"$E2E_HELPER" verify --config "$T/oidc-pam_jwt.conf" --user pamjwt-ed --service sshd \
    "$(token cc-ed)" >"$T/verify.out" 2>"$T/verify.err"
e2e_check "$?" 1 "verify cc-ed as its own sub (pamjwt-ed): refused, no preferred_username"
# A careless host that lists the client id as an audience and names no
# client_id still refuses the ID token (it grants no scope, and the core
# refuses ID tokens as such after every other check).
{
    echo "audience = pamjwt-ed"
    grep -v '^client_id' "$T/oidc-pam_jwt.conf"
} >"$T/oidc-idaud.conf"
"$E2E_HELPER" verify --config "$T/oidc-idaud.conf" --user "$E2E_USER" --service sshd \
    "$(token id-token)" >"$T/verify.out" 2>"$T/verify.err"
e2e_check "$?" 1 "verify id-token with its client id listed as an audience: refused ($(head -n 1 "$T/verify.out"))"

# --- sshd's stack as shipped, pam_jwt reading the provider policy ---
shipped() {
    grep -E "^$1[[:space:]]" "$top_srcdir/conf/pam.d/sshd-pam_jwt" |
        sed "s|pam_jwt\.so|$E2E_MODULE config=$T/oidc-pam_jwt.conf|"
}
{
    shipped auth
    echo "auth required pam_unix.so nodelay"
    echo "account required pam_unix.so"
    shipped account
    echo "session required pam_unix.so"
    shipped session
} >/etc/pam.d/sshd

# pam_is KIND WANT_EXIT REASON: pamtester authenticates the test user on
# sshd's stack with the token on stdin (real libpam, the built module);
# REASON is what pam_jwt logged ("accepted" or the rejection's reason).
pam_is() {
    e2e_log_mark
    token "$1" | timeout 30 pamtester sshd "$E2E_USER" authenticate >"$T/pam.out" 2>&1
    rc=$?
    if [ "$2" = 0 ]; then
        pattern="pam_jwt\(sshd:auth\): accepted: service=sshd user=$E2E_USER"
    else
        pattern="pam_jwt\(sshd:auth\): rejected: service=sshd user=$E2E_USER .*reason=$3"
    fi
    if [ "$rc" = "$2" ] && e2e_log_wait "$pattern"; then
        e2e_ok "pamtester $1: exit $2, pam_jwt logged $3"
    else
        e2e_not_ok "pamtester $1: exit $2, pam_jwt logged $3"
        echo "#   exit $rc: $(tr '\n' ' ' <"$T/pam.out")"
        e2e_module_lines
    fi
}
pam_is code-ed 0 accepted
pam_is code-rs 0 accepted
pam_is code-other-aud 1 "wrong audience"
pam_is code-other-client 1 "wrong client"
pam_is id-token 1 "wrong audience"
pam_is cc-ed 1 "wrong user"

# --- a real sshd login with the provider's tokens ---
PORT=$("$E2E_PY" "$E2E_TOOL" port) || e2e_bail "no free port"
e2e_sshd_start 127.0.0.1 "$PORT"

# ssh_is KIND WANT_EXIT: ssh as the test user, the askpass answering the
# token at pam_jwt's keyboard-interactive prompt.
ssh_is() {
    e2e_answer "$(token "$1")"
    e2e_as_user SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force \
        timeout 30 ssh -F /dev/null -p "$PORT" -o BatchMode=no -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null \
        -o PreferredAuthentications=keyboard-interactive -o NumberOfPasswordPrompts=1 \
        -o ConnectTimeout=10 -o LogLevel=ERROR "$E2E_USER@$E2E_HOST" 'echo ok' \
        </dev/null >"$T/ssh.out" 2>"$T/ssh.err"
    rc=$?
    [ "$rc" = 0 ] && [ "$(cat "$T/ssh.out")" = ok ] && got=0 || got=1
    if [ "$got" = "$2" ]; then
        e2e_ok "sshd login with $1: $([ "$2" = 0 ] && echo logged in || echo refused)"
    else
        e2e_not_ok "sshd login with $1: $([ "$2" = 0 ] && echo logged in || echo refused)"
        echo "#   ssh exit $rc: $(tr '\n' ' ' <"$T/ssh.err")"
    fi
}
ssh_is code-ed 0
ssh_is code-rs 0
ssh_is code-other-client 1
ssh_is id-token 1
if grep -qF "$(token code-rs | cut -d. -f3)" "$T/syslog" "$T/sshd.log"; then
    e2e_not_ok "no provider token reached a log"
else
    e2e_ok "no provider token reached a log"
fi
e2e_done

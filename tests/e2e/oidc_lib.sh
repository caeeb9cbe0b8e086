# SPDX-License-Identifier: MIT
# Sourced after e2e_lib.sh by the tests that talk to a real OpenID Provider
# (panva's oidc-provider, tests/oidc/): installs it from the committed lock
# with `npm ci`, and runs it on 127.0.0.1 over https with a certificate the
# test makes and trusts.
#
#   oidc_enter PROG...  after e2e_preflight: the programs (curl and PROG)
#                       or FAIL, oidc_install, the namespace with /etc
#                       overlaid, e2e_setup, oidc_start; then OUT is where
#                       the host keeps the provider's key set
#   oidc_install        outside the namespace (where the registry is
#                       reachable): npm ci into $OIDC_DIR; a failure FAILS
#                       the test with npm's reason, it never skips
#   oidc_start          inside: certificate, keys, provider; sets OIDC_ISS,
#                       OIDC_CA (the certificate to trust), OIDC_KEYS
#   oidc_rotate         new provider keys, provider restarted on its port
#   oidc_tokens KIND... "KIND TOKEN" lines (tests/oidc/tokens.mjs)
#   oidc_show NAME TOK  the token's header, claims and length as diagnostics

OIDC_SRC="$top_srcdir/tests/oidc"
# The audience the hosts' pam_jwt.conf accepts, and another of the
# provider's resource servers.
OIDC_AUD=urn:pam-jwt:web1
OIDC_OTHER_AUD=urn:other-service
OIDC_SECRET="oidc-$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"

oidc_fail() {
    echo "1..1"
    echo "not ok 1 - $E2E_NAME: $*"
    exit 1
}

oidc_install() {
    [ -n "${OIDC_DIR:-}" ] && return 0
    for p in node npm; do
        command -v "$p" >/dev/null 2>&1 ||
            oidc_fail "$p not installed (tests/run.sh installs Debian's nodejs and npm where the machine has none)"
    done
    OIDC_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pam_jwt-oidc-XXXXXX") || exit 1
    # The outer shell's exit (e2e_enter_ns ends with one) removes it.
    trap 'rm -rf "$OIDC_DIR"' EXIT
    cp "$OIDC_SRC/package.json" "$OIDC_SRC/package-lock.json" "$OIDC_SRC/provider.mjs" \
        "$OIDC_SRC/tokens.mjs" "$OIDC_DIR/" || oidc_fail "cannot copy tests/oidc"
    start=$(date +%s)
    if ! (cd "$OIDC_DIR" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) \
        >"$OIDC_DIR/npm.log" 2>&1; then
        why=$(grep -E '^npm error (code|errno|request|network|notarget|404)' "$OIDC_DIR/npm.log" |
            head -n 4 | tr '\n' ' ')
        oidc_fail "npm ci of tests/oidc failed: ${why:-$(tail -n 5 "$OIDC_DIR/npm.log" | tr '\n' ' ')}"
    fi
    echo "# npm ci: $(($(date +%s) - start)) s"
    chmod -R a+rX "$OIDC_DIR"
    export OIDC_DIR
}

# oidc_run: the provider on $OIDC_PORT with $OIDC_KEYS, waited for; each
# run logs to its own file, so no earlier run's line can be taken for it.
oidc_run() {
    OIDC_RUNS=$((${OIDC_RUNS:-0} + 1))
    log="$T/oidc-$OIDC_RUNS.log"
    : >"$log"
    node "$OIDC_DIR/provider.mjs" serve "$T/oidc.json" >>"$log" 2>&1 &
    OIDC_PID=$!
    E2E_PIDS="$E2E_PIDS $OIDC_PID"
    i=0
    until grep -q "^listening $OIDC_ISS\$" "$log"; do
        i=$((i + 1))
        if [ $i -gt 600 ] || ! kill -0 "$OIDC_PID" 2>/dev/null; then
            e2e_bail "the provider did not start: $(tr '\n' ' ' <"$log")"
        fi
        sleep 0.1
    done
}

oidc_start() {
    OIDC_CA="$T/oidc-tls.crt"
    OIDC_KEYS="$T/oidc-keys.json"
    timeout 30 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$T/oidc-tls.key" -out "$OIDC_CA" -days 1 -subj /CN=127.0.0.1 \
        -addext subjectAltName=IP:127.0.0.1 >"$T/openssl.log" 2>&1 ||
        e2e_bail "openssl req: $(tr '\n' ' ' <"$T/openssl.log")"
    chmod 644 "$OIDC_CA"
    timeout 60 node "$OIDC_DIR/provider.mjs" keys "$OIDC_KEYS" || e2e_bail "provider keys"
    OIDC_PORT=$("$E2E_PY" "$E2E_TOOL" port) || e2e_bail "no free port"
    OIDC_ISS="https://127.0.0.1:$OIDC_PORT"
    printf '{"port": %s, "tlsKey": "%s", "tlsCert": "%s", "keys": "%s", "secret": "%s", "audience": "%s", "otherAudience": "%s"}\n' \
        "$OIDC_PORT" "$T/oidc-tls.key" "$OIDC_CA" "$OIDC_KEYS" "$OIDC_SECRET" "$OIDC_AUD" \
        "$OIDC_OTHER_AUD" >"$T/oidc.json"
    oidc_run
}

oidc_rotate() {
    kill "$OIDC_PID" 2>/dev/null
    wait "$OIDC_PID" 2>/dev/null
    # Gone, and its port with it, before the next one binds that port.
    i=0
    while kill -0 "$OIDC_PID" 2>/dev/null; do
        i=$((i + 1))
        [ $i -gt 100 ] && e2e_bail "the provider did not stop"
        sleep 0.1
    done
    timeout 60 node "$OIDC_DIR/provider.mjs" keys "$OIDC_KEYS" || e2e_bail "provider keys"
    oidc_run
}

oidc_tokens() {
    NODE_EXTRA_CA_CERTS="$OIDC_CA" timeout 60 node "$OIDC_DIR/tokens.mjs" "$OIDC_ISS" \
        "$OIDC_SECRET" "$E2E_USER" "$OIDC_AUD" "$OIDC_OTHER_AUD" "$@" && return 0
    kill -0 "$OIDC_PID" 2>/dev/null || echo "# the provider is gone" >&2
    sed 's/^/# provider: /' "$T/oidc-$OIDC_RUNS.log" >&2
    return 1
}

# oidc_show NAME TOKEN: the token's header, claims and length against the
# prompt budgets (sudo's 511 bytes, OpenSSH's 1023: jwt-helperd's own
# limits, helperd_tokens.h) as TAP diagnostics.
oidc_show() {
    len=${#2}
    if [ "$len" -le 511 ]; then fits="fits sudo's 511"; else fits="over sudo's 511"; fi
    if [ "$len" -le 1023 ]; then fits="$fits, fits ssh's 1023"; else fits="$fits, over ssh's 1023"; fi
    echo "# $1: $len bytes ($fits)"
    "$E2E_HELPER" decode "$2" 2>&1 | grep -E '^(header|claims): ' | sed 's/^/#   /'
}

# oidc_etc_overlay: /etc writable inside the namespace only (an overlay
# whose upper half is in $T), so the sync files can sit at their real
# path, /etc/jwt-helper/jwks-sync. Called before e2e_setup, whose binds
# then go on top.
oidc_etc_overlay() {
    mkdir "$T/.etc-upper" "$T/.etc-work"
    mount -t overlay overlay -o "lowerdir=/etc,upperdir=$T/.etc-upper,workdir=$T/.etc-work" /etc ||
        e2e_bail "cannot overlay /etc inside the namespace"
    mkdir -p -m 755 /etc/jwt-helper/jwks-sync
}

# oidc_sync_conf NAME URL OUT: /etc/jwt-helper/jwks-sync/NAME.conf.
oidc_sync_conf() {
    printf '# the test provider\nURL=%s\nOUT=%s\n' "$2" "$3" >"/etc/jwt-helper/jwks-sync/$1.conf"
    chmod 644 "/etc/jwt-helper/jwks-sync/$1.conf"
}

# oidc_sync NAME: `jwt-helper jwks sync NAME` trusting the test's
# certificate through curl's own CURL_CA_BUNDLE; output in $T/sync.out,
# $T/sync.err; returns its exit code.
oidc_sync() {
    CURL_CA_BUNDLE="$OIDC_CA" timeout 120 "$E2E_HELPER" jwks sync "$1" >"$T/sync.out" 2>"$T/sync.err"
}

# oidc_policy JWKS: $T/oidc-pam_jwt.conf, what a host verifying the
# provider's tokens adds to the shipped policy (README: the provider's
# issuer, its key set, a dedicated audience, the user in
# preferred_username, the applications whose tokens may log in).
oidc_policy() {
    {
        printf 'jwks = %s\nissuer = %s\naudience = %s\n' "$1" "$OIDC_ISS" "$OIDC_AUD"
        printf 'user_claim = preferred_username\nclient_id = pamjwt-ed, pamjwt-rs\n'
        sed "s|^revocation = /var/lib/jwt-helper/revoked\$|revocation = $T/revoked|" \
            "$top_srcdir/conf/pam_jwt.conf"
    } >"$T/oidc-pam_jwt.conf"
    chmod 644 "$T/oidc-pam_jwt.conf"
}

# oidc_verify TOKEN: `jwt-helper verify` for sshd with that policy; the
# verdict line in $T/verify.out, the length and any error in $T/verify.err;
# returns its exit code.
oidc_verify() {
    "$E2E_HELPER" verify --config "$T/oidc-pam_jwt.conf" --user "$E2E_USER" --service sshd "$1" \
        >"$T/verify.out" 2>"$T/verify.err"
}

oidc_enter() {
    for p in curl "$@"; do
        command -v "$p" >/dev/null 2>&1 || oidc_fail "$p not installed (tests/run.sh installs it)"
    done
    oidc_install
    e2e_enter_ns "$0"
    oidc_etc_overlay
    e2e_setup
    oidc_start
    OUT="$T/provider/jwks.json"
    mkdir -m 755 "$T/provider"
}

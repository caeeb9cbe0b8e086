#!/bin/sh
# SPDX-License-Identifier: MIT
# `jwt-helper jwks sync` against a real OpenID Provider (tests/oidc/) on
# 127.0.0.1 over https with a certificate the test made and trusts (curl's
# own CURL_CA_BUNDLE): the set is installed root-owned 0644 with its stamp;
# after the provider rotates its keys a second sync makes the new key's
# tokens verify; broken, empty, oversized and hostile answers leave the old
# file and stamp as they were; doctor warns on a stamp older than a day.
# Runs in a private mount namespace (tests/e2e/e2e_lib.sh) with /etc
# overlaid, so /etc/jwt-helper/jwks-sync is the real path.
set -u
E2E_NAME=test_jwks_sync
: "${top_srcdir:=.}"
. "$top_srcdir/tests/e2e/e2e_lib.sh"
. "$top_srcdir/tests/e2e/oidc_lib.sh"

e2e_preflight
oidc_enter
oidc_policy "$OUT"
SYNC=/etc/jwt-helper/jwks-sync

# fingerprint: what must not change when a sync fails.
fingerprint() {
    for f in "$OUT" "$OUT.stamp"; do
        [ -e "$f" ] && stat -c '%U %a %Y' "$f" && sha256sum <"$f"
    done
    ls -a "$T/provider"
}

# --- first sync ---
oidc_sync_conf provider "$OIDC_ISS/jwks" "$OUT"
before=$(date +%s)
oidc_sync provider
e2e_check "$?" 0 "jwks sync provider: exit 0"
sed 's/^/#   /' "$T/sync.out" "$T/sync.err"
after=$(date +%s)
e2e_check "$(stat -c '%U:%G %a' "$OUT" 2>&1)" "root:root 644" "the key set is root's, mode 0644"
curl -sS --cacert "$OIDC_CA" "$OIDC_ISS/jwks" >"$T/served.json"
if cmp -s "$OUT" "$T/served.json"; then
    e2e_ok "the installed file is the provider's key set, byte for byte"
else
    e2e_not_ok "the installed file is the provider's key set, byte for byte"
fi
stamp=$(cat "$OUT.stamp" 2>/dev/null)
if [ -n "$stamp" ] && [ "$stamp" -ge "$before" ] && [ "$stamp" -le "$after" ] &&
    [ "$(od -An -c "$OUT.stamp" | tr -d ' \n' | tail -c 2)" = '\n' ]; then
    e2e_ok "OUT.stamp holds the time of the sync ($stamp) and a newline"
else
    e2e_not_ok "OUT.stamp holds the time of the sync"
    echo "#   stamp '$stamp', sync between $before and $after"
fi
e2e_check "$(stat -c '%U:%G %a' "$OUT.stamp" 2>&1)" "root:root 644" "the stamp is root's, mode 0644"

tok=$(oidc_tokens code-ed | sed -n 's/^code-ed //p')
[ -n "$tok" ] || e2e_bail "no token from the provider"
oidc_show "code-ed (before rotation)" "$tok"
oidc_verify "$tok"
e2e_check "$?" 0 "a provider token verifies with the synced set"
old_tok=$tok

# --- the provider rotates: tokens of the new key need a new sync ---
old_kids=$(grep -o '"kid":"[^"]*"' "$OUT" | sort | tr '\n' ' ')
oidc_rotate
tok=$(oidc_tokens code-ed | sed -n 's/^code-ed //p')
[ -n "$tok" ] || e2e_bail "no token from the provider after its restart"
oidc_show "code-ed (after rotation)" "$tok"
oidc_verify "$tok"
rc=$?
if [ "$rc" = 1 ] && grep -q 'no matching key' "$T/verify.out"; then
    e2e_ok "before the second sync, the new key's token is refused (no matching key)"
else
    e2e_not_ok "before the second sync, the new key's token is refused (no matching key)"
    echo "#   exit $rc: $(cat "$T/verify.out")"
fi
oidc_sync provider
e2e_check "$?" 0 "jwks sync after the rotation: exit 0"
new_kids=$(grep -o '"kid":"[^"]*"' "$OUT" | sort | tr '\n' ' ')
if [ -n "$new_kids" ] && [ "$new_kids" != "$old_kids" ]; then
    e2e_ok "the installed set holds the new keys ($new_kids)"
else
    e2e_not_ok "the installed set holds the new keys"
    echo "#   before: $old_kids; after: $new_kids"
fi
oidc_verify "$tok"
e2e_check "$?" 0 "a token signed with the provider's new key verifies after the sync"
oidc_verify "$old_tok"
e2e_check "$?" 1 "a token of the key the provider dropped is refused"

# --- bad answers keep the old file and stamp ---
# sync_refused PATH WANT_EXIT DESC: the sync of $OIDC_ISS/PATH fails with
# WANT_EXIT, says it kept the file, and changes nothing.
sync_refused() {
    oidc_sync_conf bad "$OIDC_ISS/$1" "$OUT"
    fp=$(fingerprint)
    oidc_sync bad
    rc=$?
    if [ "$rc" = "$2" ] && [ "$(fingerprint)" = "$fp" ] &&
        grep -q "$OUT left as it was" "$T/sync.err"; then
        e2e_ok "$3: exit $2, old set and stamp kept"
    else
        e2e_not_ok "$3: exit $2, old set and stamp kept"
        echo "#   exit $rc"
    fi
    sed 's/^/#   /' "$T/sync.err"
}
sync_refused bad/broken 4 "truncated JSON"
sync_refused bad/empty 4 "an empty answer"
sync_refused bad/huge 1 "over 1 MiB with a Content-Length (curl's --max-filesize)"
sync_refused bad/stream 1 "over 1 MiB streamed without a length (jwt-helper's own limit)"
sync_refused bad/nokeys 4 "a set with no key"
sync_refused bad/private 4 "the provider's private keys"
sync_refused bad/status 1 "an HTTP error"
sync_refused bad/redirect 1 "a redirect to http://"
sync_refused no-such-path 1 "a 404"

# The fetch runs under a uid of its own: a CA bundle only root may read is
# no use to it.
chmod 600 "$OIDC_CA"
sync_refused jwks 1 "a CA bundle only root can read (curl is not root)"
# ... nor nobody, whose other processes could trace it and change the body
chown nobody "$OIDC_CA"
sync_refused jwks 1 "a CA bundle only nobody can read (curl is not nobody either)"
chown root "$OIDC_CA"
chmod 644 "$OIDC_CA"

# --- the sync file and the name are checked before any fetch ---
# conf_refused DESC WANT_EXIT NAME [LINE...]
conf_refused() {
    desc=$1 want=$2 name=$3
    shift 3
    if [ $# -gt 0 ]; then
        printf '%s\n' "$@" >"$SYNC/$name.conf"
        chmod 644 "$SYNC/$name.conf"
    fi
    fp=$(fingerprint)
    oidc_sync "$name"
    rc=$?
    if [ "$rc" = "$want" ] && [ "$(fingerprint)" = "$fp" ]; then
        e2e_ok "$desc: exit $want, nothing changed"
    else
        e2e_not_ok "$desc: exit $want, nothing changed"
        echo "#   exit $rc"
    fi
    sed 's/^/#   /' "$T/sync.err"
}
conf_refused "URL= with http://" 4 plain "URL=http://127.0.0.1:$OIDC_PORT/jwks" "OUT=$OUT"
conf_refused "an unknown key" 4 unknown "URL=$OIDC_ISS/jwks" "OUT=$OUT" "CACERT=/tmp/x"
conf_refused "URL= twice" 4 twice "URL=$OIDC_ISS/jwks" "URL=$OIDC_ISS/jwks" "OUT=$OUT"
conf_refused "no OUT=" 4 noout "URL=$OIDC_ISS/jwks"
conf_refused "a relative OUT=" 4 relout "URL=$OIDC_ISS/jwks" "OUT=jwks.json"
conf_refused "a name with a slash" 2 "../provider"
conf_refused "a name that reads as an option" 2 "-provider"
cp "$SYNC/provider.conf" "$SYNC/writable.conf"
chmod 666 "$SYNC/writable.conf"
conf_refused "a sync file others may write" 4 writable
fp=$(fingerprint)
CURL_CA_BUNDLE="$OIDC_CA" setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
    "$E2E_HELPER" jwks sync provider >"$T/sync.out" 2>"$T/sync.err"
rc=$?
if [ "$rc" = 4 ] && [ "$(fingerprint)" = "$fp" ] && grep -q 'run as root' "$T/sync.err"; then
    e2e_ok "not root: exit 4, says why, nothing changed"
else
    e2e_not_ok "not root: exit 4, says why, nothing changed"
    echo "#   exit $rc: $(cat "$T/sync.err")"
fi
rm -f "$SYNC"/bad.conf "$SYNC"/plain.conf "$SYNC"/unknown.conf "$SYNC"/twice.conf \
    "$SYNC"/noout.conf "$SYNC"/relout.conf "$SYNC"/writable.conf

# --- jwks install: the same check and install, from a file or stdin ---
INST="$T/provider/installed.json"
# install_is DESC WANT_EXIT CMD...: exit code, and $INST unchanged on failure.
install_is() {
    desc=$1 want=$2
    shift 2
    before=$(cat "$INST" 2>/dev/null; stat -c '%U %a' "$INST" 2>/dev/null)
    "$@" >"$T/install.out" 2>"$T/install.err"
    rc=$?
    after=$(cat "$INST" 2>/dev/null; stat -c '%U %a' "$INST" 2>/dev/null)
    if [ "$rc" = "$want" ] && { [ "$want" = 0 ] || [ "$after" = "$before" ]; }; then
        e2e_ok "jwks install, $desc: exit $want"
    else
        e2e_not_ok "jwks install, $desc: exit $want"
        echo "#   exit $rc"
    fi
    sed 's/^/#   /' "$T/install.err"
}
# A file left by someone else, 0600: the install owns and opens it anew.
: >"$INST"
chown nobody "$INST"
chmod 600 "$INST"
install_is "from a file" 0 sh -c 'umask 077 && "$1" jwks install "$2" --to "$3"' sh \
    "$E2E_HELPER" "$OUT" "$INST"
e2e_check "$(stat -c '%U:%G %a' "$INST")" "root:root 644" "jwks install: root's, 0644 under umask 077"
cmp -s "$INST" "$OUT" && e2e_ok "jwks install: the very bytes" || e2e_not_ok "jwks install: the very bytes"
# The module skips an oct key, so the set would load: its secret would
# still be world-readable. Refused, with the usable key beside it.
sed 's/"keys":\[/"keys":[{"kty":"oct","kid":"s","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"},/' \
    "$OUT" >"$T/with-oct.json"
"$E2E_HELPER" jwks --jwks "$T/with-oct.json" >/dev/null 2>&1
e2e_check "$?" 0 "a set with an oct key beside usable ones loads in the verifier"
install_is "a set with an oct key's secret" 4 sh -c '"$1" jwks install - --to "$2" <"$3"' sh \
    "$E2E_HELPER" "$INST" "$T/with-oct.json"
grep -q 'private or secret member' "$T/install.err" && e2e_ok "says why: a secret member" ||
    e2e_not_ok "says why: a secret member"
install_is "the provider's private keys" 4 "$E2E_HELPER" jwks install "$OIDC_KEYS" --to "$INST"
printf '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AA"}],"keys":[]}' >"$T/dup.json"
install_is "a duplicate member (not strict JSON)" 4 "$E2E_HELPER" jwks install "$T/dup.json" --to "$INST"
cp "$OUT" "$T/theirs.json"
chown nobody "$T/theirs.json"
chmod 666 "$T/theirs.json"
install_is "a file others may write" 4 "$E2E_HELPER" jwks install "$T/theirs.json" --to "$INST"
install_is "no --to" 2 "$E2E_HELPER" jwks install "$OUT"
install_is "not root" 4 setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
    "$E2E_HELPER" jwks install "$OUT" --to "$INST"
# --to (or OUT=) naming a file that is no key set: a careless path must not
# turn sshd's stack or the password file into a key set
printf 'auth required pam_unix.so\n' >"$T/not-a-keyset"
cp "$T/not-a-keyset" "$T/not-a-keyset.before"
"$E2E_HELPER" jwks install "$OUT" --to "$T/not-a-keyset" >/dev/null 2>"$T/install.err"
e2e_check "$?:$(cmp -s "$T/not-a-keyset" "$T/not-a-keyset.before" && echo same)" 4:same \
    "jwks install --to a file that is no JWK Set: exit 4, the file left as it was"
ln -s "$INST" "$T/link-to-keyset"
"$E2E_HELPER" jwks install "$OUT" --to "$T/link-to-keyset" >/dev/null 2>"$T/install.err"
e2e_check "$?:$([ -L "$T/link-to-keyset" ] && echo link)" 4:link \
    "jwks install --to a symbolic link: exit 4, the link left as it was"

# --- doctor: the stamp, not the file's time, says when the set was last good ---
# doctor_sync_lines: doctor's findings about the sync files.
doctor_sync_lines() {
    timeout 60 "$E2E_HELPER" doctor 2>&1 | grep -F "$SYNC/" 
}
oidc_sync provider
lines=$(doctor_sync_lines)
e2e_check "$lines" "" "doctor: no finding on a set synced just now"
printf 'URL=http://127.0.0.1/jwks\nOUT=%s\n' "$OUT" >"$SYNC/plain.conf"
chmod 644 "$SYNC/plain.conf"
lines=$(doctor_sync_lines)
echo "$lines" | sed 's/^/#   /'
case $lines in
"warning: $SYNC/plain.conf:1: URL: "*"is not an https:// URL"*) e2e_ok "doctor: warns on a sync file the sync refuses, with its line" ;;
*) e2e_not_ok "doctor: warns on a sync file the sync refuses, with its line" ;;
esac
cp "$SYNC/provider.conf" "$SYNC/plain.conf"
chmod 666 "$SYNC/plain.conf"
lines=$(doctor_sync_lines)
echo "$lines" | sed 's/^/#   /'
case $lines in
"warning: $SYNC/plain.conf: unsafe file: "*) e2e_ok "doctor: warns on a sync file others may write" ;;
*) e2e_not_ok "doctor: warns on a sync file others may write" ;;
esac
rm -f "$SYNC/plain.conf"
now=$(date +%s)
printf '%s\n' $((now - 2 * 86400)) >"$OUT.stamp"
touch "$OUT"
lines=$(doctor_sync_lines)
echo "$lines" | sed 's/^/#   /'
case $lines in
"warning: $SYNC/provider.conf: the key set $OUT was last synced "*) e2e_ok "doctor: warns on a stamp two days old though the file is new" ;;
*) e2e_not_ok "doctor: warns on a stamp two days old though the file is new" ;;
esac
printf '%s\n' "$now" >"$OUT.stamp"
touch -d @$((now - 5 * 86400)) "$OUT"
lines=$(doctor_sync_lines)
e2e_check "$lines" "" "doctor: no finding on a fresh stamp beside an old file"
rm -f "$OUT.stamp"
lines=$(doctor_sync_lines)
echo "$lines" | sed 's/^/#   /'
case $lines in
"warning: $SYNC/provider.conf: "*"no stamp"*) e2e_ok "doctor: warns on a set never synced (no stamp)" ;;
*) e2e_not_ok "doctor: warns on a set never synced (no stamp)" ;;
esac
e2e_done

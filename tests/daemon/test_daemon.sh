#!/bin/sh
# SPDX-License-Identifier: MIT
# The real jwt-helperd on a temporary socket, driven through its wire
# protocol (jwt-helperd(8), PROTOCOL) with raw lines (tests/daemon/wire.py): tokens it
# issues pass `jwt-helper verify` and pam_jwt through real libpam; refresh,
# scope, audience, passwd, revoke and logout --all do what jwt-helperd(8) says; an
# unknown user and a wrong password look the same; hostile input (bad JSON,
# oversize, half lines, silence, too many connections) hurts nobody; SIGHUP
# and SIGTERM behave. Run as root, the daemon drops to nobody.
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/daemon/lib.sh"

lib_init daemon
lib_setup
for u in alice bob carol dave erin frank; do lib_user "$u" ssh,sudo; done
conf="$dir/helperd.conf"
lib_conf "$conf" "idle_timeout = 2" "max_clients_per_uid = 8" "audiences = pam,host:alpha" \
    "access_ttl = 600"

if ! lib_start "$conf"; then
    not_ok "daemon starts and answers on its socket"
    tap_end
fi
ok "daemon starts and answers on its socket"
remember "$TEST_PASSWORD"

# ---- jwks ----
resp=$(wire send "$sock" '{"op":"jwks"}')
check_true "jwks: returns the key set of jwks.json" "$py" -c '
import json, sys
r = json.loads(sys.argv[1]); f = json.load(open(sys.argv[2]))
sys.exit(0 if r.get("ok") is True and r.get("keys") == f["keys"] and set(r) == {"ok", "keys"} else 1)
' "$resp" "$keys/jwks.json"

# ---- login ----
# login USER PASSWORD [KEY=VALUE...]: one login line; the response in $resp.
login() {
    _u=$1
    _p=$2
    shift 2
    resp=$(wire send "$sock" "$(req op=login "username=$_u" "password=$_p" "$@")")
    remember "$(printf '%s' "$resp" | field access_token 2>/dev/null)"
    remember "$(printf '%s' "$resp" | field refresh_token 2>/dev/null)"
}
# refresh TOKEN [KEY=VALUE...]
refresh() {
    _t=$1
    shift
    resp=$(wire send "$sock" "$(req op=refresh "refresh_token=$_t" "$@")")
    remember "$(printf '%s' "$resp" | field access_token 2>/dev/null)"
}
okf() { printf '%s' "$resp" | field ok; }
errf() { printf '%s' "$resp" | field error; }
verify() { timeout 20 "$helper" verify --config "$pamconf" "$@" >/dev/null 2>&1; }

login alice "$TEST_PASSWORD"
check "$(okf)" true "login: alice with her password is accepted"
at_alice=$(printf '%s' "$resp" | field access_token)
rt_alice=$(printf '%s' "$resp" | field refresh_token)
check "$(printf '%s' "$resp" | field token_type)" Bearer "login: token_type Bearer"
check "$(printf '%s' "$resp" | field expires_in)" 600 "login: expires_in is access_ttl"
check "$(printf '%s' "$resp" | field scope)" "ssh sudo" "login: scope is the record's, space-separated"
check "$(printf '%s' "$at_alice" | claim iss):$(printf '%s' "$at_alice" | claim sub):$(printf '%s' "$at_alice" | claim aud):$(printf '%s' "$at_alice" | claim amr)" \
    'test-issuer:alice:pam:["pwd"]' "login: access token claims iss, sub, aud, amr"
iat=$(printf '%s' "$at_alice" | claim iat)
exp=$(printf '%s' "$at_alice" | claim exp)
check "$((exp - iat))" 600 "login: access token lives access_ttl"

verify --user alice "$at_alice"
check $? 0 "verify: jwt-helper verify accepts alice's access token"
verify --user bob "$at_alice"
check $? 1 "verify: ... and refuses it for bob"
verify --user alice "$rt_alice"
check $? 1 "verify: a refresh token is no access token"

if pam_find; then
    pam_auth jwttest alice "$at_alice"
    check $? 0 "pam_jwt (pamtester): alice's access token authenticates alice"
    pam_auth jwttest bob "$at_alice"
    check $? 1 "pam_jwt (pamtester): ... and not bob"
else
    skip "pam_jwt (pamtester): $pam_skip"
    skip "pam_jwt (pamtester): $pam_skip"
fi

# ---- refresh, scope, audience ----
refresh "$rt_alice"
check "$(okf)" true "refresh: alice's refresh token gives a new access token"
at2=$(printf '%s' "$resp" | field access_token)
if [ -n "$at2" ] && [ "$at2" != "$at_alice" ] && verify --user alice "$at2"; then
    ok "refresh: the new access token differs and verifies"
else
    not_ok "refresh: the new access token differs and verifies"
fi
check "$(printf '%s' "$resp" | field refresh_token 2>/dev/null || echo none)" none \
    "refresh: no new refresh token in the answer"
check "$(printf '%s' "$at2" | claim auth_time)" "$(printf '%s' "$at_alice" | claim auth_time)" \
    "refresh: auth_time stays the login's"

refresh "$rt_alice" scope=ssh
check "$(okf):$(printf '%s' "$resp" | field scope)" "true:ssh" "refresh: scope narrowed to ssh"
at_ssh=$(printf '%s' "$resp" | field access_token)
verify --user alice --scope sudo "$at_ssh"
check $? 1 "refresh: the narrowed token does not grant sudo"
refresh "$rt_alice" "scope=ssh admin"
check "$(okf)" false "refresh: widening past the granted scope is refused"

login alice "$TEST_PASSWORD" scope=ssh
check "$(okf):$(printf '%s' "$resp" | field scope)" "true:ssh" "login: scope ssh asked, ssh granted"
rt_ssh=$(printf '%s' "$resp" | field refresh_token)
refresh "$rt_ssh" "scope=ssh sudo"
check "$(okf)" false "refresh: a login narrowed to ssh cannot widen to sudo"
login alice "$TEST_PASSWORD" scope=admin
check "$(okf)" false "login: a scope outside the record is refused"

refresh "$rt_alice" audience=host:alpha
check "$(okf):$(printf '%s' "$resp" | field access_token | claim aud)" "true:host:alpha" \
    "refresh: audience host:alpha (in audiences) granted"
refresh "$rt_alice" audience=host:beta
check "$(okf)" false "refresh: audience host:beta (not in audiences) refused"
login alice "$TEST_PASSWORD" audience=host:alpha
check "$(okf):$(printf '%s' "$resp" | field access_token | claim aud)" "true:host:alpha" \
    "login: audience host:alpha granted"
login alice "$TEST_PASSWORD" audience=host:beta
check "$(okf)" false "login: audience host:beta refused"

refresh "$at_alice"
check "$(okf):$(errf)" "false:invalid_grant" "refresh: an access token is no refresh token"

# ---- passwd ----
login bob "$TEST_PASSWORD"
rt_bob=$(printf '%s' "$resp" | field refresh_token)
gen0=$(gen_of alice)
newpw='N3w-passw0rd!'
remember "$newpw"
resp=$(wire send "$sock" "$(req op=passwd username=alice old_password=Not-her-password new_password=Whatever-1234)")
remember Not-her-password
remember Whatever-1234
check "$(okf):$(errf)" "false:invalid_grant" "passwd: a wrong old password is refused"
resp=$(wire send "$sock" "$(req op=passwd username=alice "old_password=$TEST_PASSWORD" "new_password=$newpw")")
check "$(okf)" true "passwd: alice changes her password"
check "$(gen_of alice)" $((gen0 + 1)) "passwd: alice's generation went up by one"
refresh "$rt_alice"
check "$(okf):$(errf)" "false:invalid_grant" "passwd: alice's old refresh token is refused"
refresh "$rt_bob"
check "$(okf)" true "passwd: bob's refresh token still works"
login alice "$TEST_PASSWORD"
check "$(okf):$(errf)" "false:invalid_grant" "passwd: the old password no longer logs in"
login alice "$newpw"
check "$(okf)" true "passwd: the new password logs in"
check "$(stat -c %a "$users")" 600 "passwd: the users file stays mode 600"
if pam_find; then
    pam_auth jwtrevoke alice "$at_alice"
    check $? 1 "passwd: pam_jwt with revocation= refuses alice's earlier access token"
else
    skip "passwd: pam_jwt with revocation=: $pam_skip"
fi

# ---- revoke (root's CLI, or the same by hand) ----
login carol "$TEST_PASSWORD"
rt_carol=$(printf '%s' "$resp" | field refresh_token)
revoke_user bob "$conf"
check $? 0 "revoke: bob revoked ($(is_root && cli_has revoke && echo 'jwt-helper revoke' || echo 'by hand'))"
refresh "$rt_bob"
check "$(okf):$(errf)" "false:invalid_grant" "revoke: bob's refresh token is refused"
refresh "$rt_carol"
check "$(okf)" true "revoke: carol's refresh token still works"
login bob "$TEST_PASSWORD"
check "$(okf)" true "revoke: bob logs in again"

# ---- logout ----
login carol "$TEST_PASSWORD"
rt_carol2=$(printf '%s' "$resp" | field refresh_token)
login dave "$TEST_PASSWORD"
rt_dave=$(printf '%s' "$resp" | field refresh_token)
resp=$(wire send "$sock" "$(req op=logout "refresh_token=$rt_dave")")
check "$(okf)" true "logout: plain logout answers ok"
refresh "$rt_dave"
check "$(okf)" true "logout: plain logout leaves the token usable (only the client forgets it)"
resp=$(wire send "$sock" "$(req op=logout "refresh_token=$rt_carol" all:=true)")
check "$(okf)" true "logout all: answers ok"
refresh "$rt_carol"
check "$(okf):$(errf)" "false:invalid_grant" "logout all: that refresh token is refused"
refresh "$rt_carol2"
check "$(okf):$(errf)" "false:invalid_grant" "logout all: carol's other session is refused too"
refresh "$rt_dave"
check "$(okf)" true "logout all: dave's refresh token still works"
resp=$(wire send "$sock" "$(req op=logout "refresh_token=$rt_carol" all:=true)")
check "$(okf):$(errf)" "false:invalid_grant" "logout all: a dead refresh token cannot log out"

# ---- revocation list and pam_jwt ----
login erin "$TEST_PASSWORD"
at_erin=$(printf '%s' "$resp" | field access_token)
rt_erin=$(printf '%s' "$resp" | field refresh_token)
if pam_find; then
    pam_auth jwtrevoke erin "$at_erin"
    check $? 0 "revocation: pam_jwt with revocation= accepts erin's token"
else
    skip "revocation: $pam_skip"
fi
resp=$(wire send "$sock" "$(req op=logout "refresh_token=$rt_erin" all:=true)")
check "$(okf)" true "revocation: erin logs out everywhere"
check_true "revocation: erin is in the daemon's list" grep -q '^erin:[0-9][0-9]*$' "$revoked"
login erin "$TEST_PASSWORD"
at_erin2=$(printf '%s' "$resp" | field access_token)
check "$(okf)" true "revocation: erin logs in again at once"
if pam_find; then
    pam_auth jwtrevoke erin "$at_erin"
    st=$?
    check "$st" 1 "revocation: pam_jwt refuses erin's earlier access token at once"
    grep -q 'revoked' "$dir/pam.log"
    check $? 0 "revocation: ... and logs the reason revoked"
    pam_auth jwtrevoke erin "$at_erin2"
    check $? 0 "revocation: pam_jwt accepts erin's token from the new login"
else
    skip "revocation: $pam_skip"
    skip "revocation: $pam_skip"
    skip "revocation: $pam_skip"
fi
if [ -n "$at_erin2" ] && [ "$(printf '%s' "$at_erin2" | claim iat)" -gt "$(sed -n 's/^erin://p' "$revoked")" ]; then
    ok "revocation: the new token's iat is after the listed instant"
else
    not_ok "revocation: the new token's iat is after the listed instant"
fi

# ---- unknown user vs wrong password ----
resp_unknown=$(wire send "$sock" "$(req op=login username=nosuchuser password=Wrong-pass-1)")
resp_wrong=$(wire send "$sock" "$(req op=login username=alice password=Wrong-pass-1)")
remember Wrong-pass-1
check "$resp_unknown" "$resp_wrong" "login: unknown user and wrong password get the same line"
check "$(printf '%s' "$resp_wrong" | field error)" invalid_grant "login: ... which is invalid_grant"
resp_unknown=$(wire send "$sock" "$(req op=passwd username=nosuchuser old_password=Wrong-pass-1 new_password=Other-pass-2)")
resp_wrong=$(wire send "$sock" "$(req op=passwd username=alice old_password=Wrong-pass-1 new_password=Other-pass-2)")
remember Other-pass-2
check "$resp_unknown" "$resp_wrong" "passwd: unknown user and wrong password get the same line"

# Timing: alice's hash now has the daemon's own limits (set by passwd), as
# the dummy hash of an unknown name has. Medians of 5 tries each.
# median_ms USER: median time of 5 failed logins of USER.
median_ms() {
    for _i in 1 2 3 4 5; do
        wire send --time "$sock" "$(req op=login "username=$1" password=Wrong-pass-1)" 2>&1 >/dev/null |
            sed -n 's/^elapsed_ms //p'
    done | sort -n | sed -n 3p
}
t_unknown=$(median_ms nosuchuser)
t_wrong=$(median_ms alice)
echo "# median ms: unknown user $t_unknown, wrong password $t_wrong"
if [ -n "$t_unknown" ] && [ -n "$t_wrong" ] && [ "$t_unknown" -ge 50 ] && [ "$t_wrong" -ge 50 ] &&
    [ "$t_unknown" -lt $((3 * t_wrong)) ] && [ "$t_wrong" -lt $((3 * t_unknown)) ]; then
    ok "login timing: both >= 50 ms (argon2id runs for both) and within a factor 3"
else
    not_ok "login timing: both >= 50 ms (argon2id runs for both) and within a factor 3"
fi

# ---- hostile input: every one answered as in jwt-helperd(8), daemon alive, users file intact ----
cp "$users" "$dir/users.before"
# state: "intact" when the daemon runs and the users file is unchanged.
state() { if daemon_alive && cmp -s "$users" "$dir/users.before"; then echo intact; else echo broken; fi; }
# bad NAME EXPECTED-ERROR LINE: one malformed line; the daemon survives it
# and the users file is untouched.
bad() {
    resp=$(wire send "$sock" "$3")
    check "$(okf):$(errf):$(state)" "false:$2:intact" "bad input: $1 -> $2, daemon alive, users file unchanged"
}
intact() {
    if daemon_alive && cmp -s "$users" "$dir/users.before"; then
        ok "bad input: after $1 the daemon lives and the users file is unchanged"
    else
        not_ok "bad input: after $1 the daemon lives and the users file is unchanged"
    fi
}
bad "not JSON" invalid_request 'hello'
bad "an array" invalid_request '["op","jwks"]'
bad "unknown op" unsupported_op '{"op":"frobnicate"}'
bad "op not a string" invalid_request '{"op":5}'
bad "no op" invalid_request '{"username":"alice"}'
bad "login without password" invalid_request '{"op":"login","username":"alice"}'
bad "extra member" invalid_request '{"op":"jwks","x":1}'
bad "misspelt optional member" invalid_request '{"op":"login","username":"alice","password":"x1234567","scopes":"ssh"}'
bad "password of wrong type" invalid_request '{"op":"login","username":"alice","password":5}'
bad "all of wrong type" invalid_request "{\"op\":\"logout\",\"refresh_token\":\"$rt_dave\",\"all\":\"yes\"}"
bad "duplicate member" invalid_request '{"op":"jwks","op":"jwks"}'
bad "bad user name" invalid_request '{"op":"login","username":"Alice/../x","password":"x1234567"}'
bad "trailing bytes" invalid_request '{"op":"jwks"} x'
bad "empty line" invalid_request ''
resp=$(wire bytes "$sock" "$(printf '{"op":"login","username":"alice","password":"\377\376"}\n' | od -An -tx1 | tr -d ' \n')" | head -n 1)
check "$(okf):$(errf):$(state)" "false:invalid_request:intact" "bad input: invalid UTF-8 -> invalid_request"
resp=$(wire bytes "$sock" "$(printf '{"op":"jwks"}\000\n' | od -An -tx1 | tr -d ' \n')" | head -n 1)
check "$(okf):$(errf):$(state)" "false:invalid_request:intact" "bad input: a NUL byte -> invalid_request"
out=$(wire bytes "$sock" "$(printf '{"op":"jwks"}\n{"op":"nope"}\n' | od -An -tx1 | tr -d ' \n')")
check "$(printf '%s\n' "$out" | grep -c '"ok":true'):$(printf '%s\n' "$out" | grep -c unsupported_op)" \
    "1:1" "pipelined lines: two lines in one write get two answers, in order"

out=$(wire oversize "$sock" 65536)
resp=$(printf '%s\n' "$out" | head -n 1)
check "$(okf)" true "line of exactly 65536 bytes (newline included) is served"
out=$(wire oversize "$sock" 65537)
resp=$(printf '%s\n' "$out" | head -n 1)
check "$(okf):$(errf):$(state)" "false:invalid_request:intact" "line of 65537 bytes -> invalid_request"
check "$(printf '%s\n' "$out" | tail -n 1)" EOF "line of 65537 bytes: the connection is closed"
out=$(wire oversize "$sock" 1000000)
check "$(printf '%s\n' "$out" | head -n 1 | field error):$(printf '%s\n' "$out" | tail -n 1)" \
    "invalid_request:EOF" "a 1 MB line -> invalid_request and closed"
intact "oversize lines"

wire half "$sock" '{"op":"login","username":"alice","passw'
resp=$(wire send "$sock" '{"op":"jwks"}')
check "$(okf)" true "half a line then close: others are still served"
intact "a half line"

# A never-finished line and a silent connection are closed after
# idle_timeout (2 s), while others are served meanwhile.
wire stall "$sock" '{"op":"jwks"' >"$dir/stall1" &
p1=$!
wire stall "$sock" '' >"$dir/stall2" &
p2=$!
sleep 0.5
# timed inside one client, after it opened a silent and a half-line
# connection of its own: a daemon stalled by them would answer only once
# they are closed, after idle_timeout (2 s)
resp=$(wire send --time --extra-conns 1 --partial-conns 1 "$sock" \
    "$(req op=login username=dave "password=$TEST_PASSWORD")" 2>"$dir/stall.t")
ms=$(sed -n 's/^elapsed_ms //p' "$dir/stall.t")
remember "$(printf '%s' "$resp" | field refresh_token 2>/dev/null)"
remember "$(printf '%s' "$resp" | field access_token 2>/dev/null)"
check "$(okf)" true "stalled clients: a login is served meanwhile"
if [ -n "$ms" ] && [ "$ms" -lt 1500 ]; then ok "stalled clients: ... before idle_timeout ($ms ms)"; else
    not_ok "stalled clients: ... before idle_timeout (${ms:-no} ms)"; fi
wait "$p1" "$p2"
for f in stall1 stall2; do
    ms=$(sed -n 's/^closed_after_ms //p' "$dir/$f")
    what=$([ $f = stall1 ] && echo "a never-finished line" || echo "a silent connection")
    if [ -n "$ms" ] && [ "$ms" -ge 1500 ] && [ "$ms" -le 6000 ]; then
        ok "idle_timeout: $what is closed after about 2 s ($ms ms)"
    else
        not_ok "idle_timeout: $what is closed after about 2 s ($(cat "$dir/$f"))"
    fi
done
intact "stalled clients"

# ---- status: root peers only ----
if is_root; then
    resp=$(wire send "$sock" '{"op":"status"}')
    check_true "status: root gets version, uptime and counters" "$py" -c '
import json, sys
r = json.loads(sys.argv[1])
sys.exit(0 if r.get("ok") is True and isinstance(r.get("version"), str) and
         isinstance(r.get("uptime"), int) and r.get("counters", {}).get("requests", 0) > 0 else 1)
' "$resp"
    resp=$(setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
        timeout 30 "$py" "$wire_py" send "$sock" '{"op":"status"}')
    check "$(okf)" false "status: refused for a non-root peer (nobody)"
else
    resp=$(wire send "$sock" '{"op":"status"}')
    check "$(okf)" false "status: refused for a non-root peer ($(id -un))"
    skip "status: a root peer's answer needs root"
fi
check "$(printf '%s' "$resp" | field counters 2>/dev/null || echo none)" none \
    "status: the refusal carries no counters"

# ---- SIGHUP ----
lib_conf "$conf" "idle_timeout = 2" "max_clients_per_uid = 8" "audiences = pam,host:alpha" \
    "access_ttl = 300"
kill -HUP "$daemon_pid"
got=
for _i in $(seq 1 50); do
    login frank "$TEST_PASSWORD"
    got=$(printf '%s' "$resp" | field expires_in 2>/dev/null)
    [ "$got" = 300 ] && break
    sleep 0.1
done
check "$got" 300 "SIGHUP: a changed access_ttl takes effect"
rt_frank=$(printf '%s' "$resp" | field refresh_token)
printf 'access_ttl = banana\n' >>"$conf"
kill -HUP "$daemon_pid"
sleep 1
check_true "SIGHUP: a broken config does not kill the daemon" daemon_alive
login frank "$TEST_PASSWORD"
check "$(okf):$(printf '%s' "$resp" | field expires_in)" "true:300" \
    "SIGHUP: after a broken config the previous one still serves"
refresh "$rt_frank"
check "$(okf)" true "SIGHUP: refresh tokens from before the reloads still work"

# ---- the log ----
if [ -s "$daemon_log" ]; then
    ok "log: the daemon logs to stderr with -f ($(wc -l <"$daemon_log") lines)"
else
    not_ok "log: the daemon logs to stderr with -f"
fi
check_true "log: no password and no token in the daemon's log" log_clean

# ---- SIGTERM ----
kill -TERM "$daemon_pid"
lib_wait_exit 5
check "$exit_status" 0 "SIGTERM: the daemon exits 0 within 5 s (${exit_ms} ms)"

# ---- a second daemon: per-uid limit and login delay ----
conf2="$dir/helperd2.conf"
lib_conf "$conf2" "idle_timeout = 5" "max_clients = 16" "max_clients_per_uid = 2" "login_delay = 3"
if ! lib_start "$conf2"; then
    not_ok "second daemon (login_delay = 3, max_clients_per_uid = 2) starts"
    tap_end
fi
ok "second daemon (login_delay = 3, max_clients_per_uid = 2) starts"

resp=$(wire send --extra-conns 2 "$sock" '{"op":"jwks"}')
check "$(okf):$(errf)" "false:rate_limited" "max_clients_per_uid = 2: a third connection gets rate_limited"
resp=$(wire send --extra-conns 1 "$sock" '{"op":"jwks"}')
check "$(okf)" true "max_clients_per_uid = 2: a second connection is served"
if is_root; then
    # another uid has its own allowance: root holds two, nobody still gets two
    wire hold "$sock" 3 >/dev/null &
    h1=$!
    wire hold "$sock" 3 >/dev/null &
    h2=$!
    sleep 0.5
    resp=$(setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
        timeout 30 "$py" "$wire_py" send --extra-conns 1 "$sock" '{"op":"jwks"}')
    check "$(okf)" true "max_clients_per_uid: counted per uid (nobody served while root holds 2)"
    wait "$h1" "$h2"
fi

# Failed logins: the answer comes login_delay late, a second try meanwhile
# is rate_limited, other names are not held up. login_delay is 3 s (not 1)
# so that the tries "meanwhile" stay inside it on a loaded machine.
t_fail=$(now_ms)
wire send --time "$sock" "$(req op=login username=dave password=Wrong-pass-1)" >"$dir/fail1" 2>"$dir/fail1.t" &
p1=$!
sleep 0.4
resp=$(wire send "$sock" "$(req op=login username=dave password=Wrong-pass-1)")
check "$(okf):$(errf)" "false:rate_limited" "login_delay: a second failed try meanwhile is rate_limited"
resp=$(wire send "$sock" "$(req op=login username=dave "password=$TEST_PASSWORD")")
t1=$(now_ms)
check "$(okf):$(errf)" "false:rate_limited" "login_delay: the right password meanwhile is rate_limited too ($((t1 - t_fail)) ms after the first try)"
resp=$(wire send --time "$sock" "$(req op=login username=bob "password=$TEST_PASSWORD")" 2>"$dir/bob.t")
ms=$(sed -n 's/^elapsed_ms //p' "$dir/bob.t")
remember "$(printf '%s' "$resp" | field refresh_token 2>/dev/null)"
remember "$(printf '%s' "$resp" | field access_token 2>/dev/null)"
if [ "$(okf)" = true ] && [ -n "$ms" ] && [ "$ms" -lt 2000 ]; then
    ok "login_delay: another name logs in meanwhile, not held up ($ms ms)"
else
    not_ok "login_delay: another name logs in meanwhile, not held up ($(okf), ${ms:-no} ms)"
fi
wait "$p1"
resp=$(cat "$dir/fail1")
ms=$(sed -n 's/^elapsed_ms //p' "$dir/fail1.t")
check "$(errf)" invalid_grant "login_delay: the first failed try is invalid_grant"
if [ -n "$ms" ] && [ "$ms" -ge 3000 ]; then ok "login_delay: ... answered >= 3 s late ($ms ms)"; else
    not_ok "login_delay: ... answered >= 3 s late (${ms:-no} ms)"; fi
wire send --time "$sock" "$(req op=login username=ghost password=Wrong-pass-1)" >"$dir/fail2" 2>"$dir/fail2.t"
ms=$(sed -n 's/^elapsed_ms //p' "$dir/fail2.t")
check "$(cat "$dir/fail2")" "$(cat "$dir/fail1")" "login_delay: an unknown name gets the identical line"
if [ -n "$ms" ] && [ "$ms" -ge 3000 ]; then ok "login_delay: ... as late ($ms ms)"; else
    not_ok "login_delay: ... as late (${ms:-no} ms)"; fi
sleep 0.3
resp=$(wire send "$sock" "$(req op=login username=dave "password=$TEST_PASSWORD")")
remember "$(printf '%s' "$resp" | field refresh_token 2>/dev/null)"
remember "$(printf '%s' "$resp" | field access_token 2>/dev/null)"
check "$(okf)" true "login_delay: once the delay is over the right password works"
check_true "second daemon: still alive" daemon_alive
check_true "log: no password and no token in the second daemon's log" log_clean
kill -TERM "$daemon_pid"
lib_wait_exit 5
check "$exit_status" 0 "SIGTERM: the second daemon exits 0 within 5 s (${exit_ms} ms)"

tap_end

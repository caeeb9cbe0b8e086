#!/bin/sh
# SPDX-License-Identifier: MIT
# The daemon and root's CLI write the same users file at the same time
# (jwt-helperd(8), "User records": concurrent writers never lose an update; a
# crash at any instant leaves the old file or the new one):
#  1. the daemon's passwd for alice (raw lines, alternating passwords) races
#     root's `jwt-helper usermod bob --scopes` and `jwt-helper revoke bob`
#     (userdb-tool bumps when not root or the verbs are missing): afterwards
#     alice's gen went up once per successful passwd and bob's record shows
#     every CLI change;
# SIGKILL of every writer at random instants, with the daemon's passwd
# running beside the CLI's, is tests/daemon/test_faults.sh.
# The daemon's passwd always hashes with argon2id's INTERACTIVE limits
# (64 MiB, ~0.1-0.5 s each, two per passwd): the race is bounded to
# RACE_ROUNDS rounds and RACE_BUDGET seconds, whichever ends first, and the
# number run is printed.
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/daemon/lib.sh"

RACE_ROUNDS=${RACE_ROUNDS:-200}
RACE_BUDGET=${RACE_BUDGET:-60}

lib_init daemon-race
lib_setup
lib_user alice ssh,sudo
lib_user bob ssh,sudo
lib_user carl ssh,sudo
conf="$dir/helperd.conf"
lib_conf "$conf" "max_hashes = 1"
if ! lib_start "$conf"; then
    not_ok "daemon starts"
    tap_end
fi
ok "daemon starts"

if is_root && cli_has revoke && cli_has usermod; then
    cli=yes
    echo "# writer 2: root's jwt-helper usermod/revoke"
else
    cli=no
    echo "# writer 2: userdb-tool bump (not root, or the admin verbs are not there yet)"
fi

# scopes_of NAME: the scopes field of NAME's record.
scopes_of() { as_daemon cat "$users" | awk -F: -v u="$1" '$1 == u { print $4 }'; }
# users_whole: every line of the users file has the record grammar of jwt-helperd(8),
# the file ends in a newline, and userdb-tool parses it.
users_whole() {
    as_daemon cat "$users" >"$dir/users.snap" 2>/dev/null || return 1
    [ -s "$dir/users.snap" ] || return 1
    [ "$(tail -c 1 "$dir/users.snap" | od -An -c | tr -d ' ')" = '\n' ] || return 1
    ! grep -E -v -q '^[a-z_][a-z0-9_.-]{0,31}:\$argon2id\$v=19\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+:[0-9]+:[a-z0-9_.,-]*:[a-z,]*:[0-9]+$' "$dir/users.snap" || return 1
    [ "$(wc -l <"$dir/users.snap")" -eq 3 ] || return 1
    gen_of alice >/dev/null 2>&1 && bob_gen=$(gen_of bob 2>/dev/null)
}
# list_whole: the revocation list is empty or lines of name:unix-time.
list_whole() {
    [ -f "$revoked" ] || return 1
    [ ! -s "$revoked" ] && return 0
    [ "$(tail -c 1 "$revoked" | od -An -c | tr -d ' ')" = '\n' ] || return 1
    ! grep -E -v -q '^[a-z_][a-z0-9_.-]{0,31}:[0-9]+$' "$revoked"
}
# writer 2's steps. bump_bob: one generation bump; scopes_bob WORDS: set scopes.
if [ $cli = yes ]; then
    bump_bob() { timeout 30 "$helper" revoke bob --config "$conf" >/dev/null 2>>"$dir/cli.err"; }
    scopes_bob() { timeout 30 "$helper" usermod bob --scopes "$1" --config "$conf" >/dev/null 2>>"$dir/cli.err"; }
    # how much one usermod that swaps a scope bumps the generation, measured alone
    g0=$(gen_of carl)
    timeout 30 "$helper" usermod carl --scopes ssh,r0 --config "$conf" >/dev/null 2>&1 &&
        timeout 30 "$helper" usermod carl --scopes ssh,r1 --config "$conf" >/dev/null 2>&1
    check $? 0 "setup: usermod carl works"
    g1=$(gen_of carl)
    usermod_bump=$(((g1 - g0) / 2))
    echo "# a usermod that swaps a scope bumps gen by $usermod_bump"
else
    bump_bob() { as_daemon "$tool" "$users" bump bob 2>>"$dir/cli.err"; }
    scopes_bob() { return 1; }
    usermod_bump=0
fi

# ---- 1. the race ----
a0=$(gen_of alice)
b0=$(gen_of bob)
stop="$dir/stop"
t0=$(now_ms)
timeout $((RACE_BUDGET + 40)) "$py" "$wire_py" passwd-loop --budget "$RACE_BUDGET" "$sock" alice "$TEST_PASSWORD" 'Race-passw0rd-2' \
    "$RACE_ROUNDS" >"$dir/passwd.count" 2>"$dir/passwd.err" &
p1=$!
(
    bumps=0 mods=0 last=none i=0
    while [ ! -e "$stop" ]; do
        i=$((i + 1))
        if bump_bob; then bumps=$((bumps + 1)); fi
        if scopes_bob "ssh,r$i"; then mods=$((mods + 1)) last="ssh,r$i"; fi
    done
    echo "$bumps $mods $last $i"
) >"$dir/cli.count" &
p2=$!
wait "$p1"
touch "$stop"
wait "$p2"
t1=$(now_ms)
# num VALUE: VALUE when it is a number, else -1 (a writer that printed nothing).
num() { case $1 in '' | *[!0-9]*) echo -1 ;; *) echo "$1" ;; esac; }
passwd_ok='' passwd_tried='' bumps='' mods='' last='' cli_rounds=''
read -r passwd_ok passwd_tried <"$dir/passwd.count"
read -r bumps mods last cli_rounds <"$dir/cli.count"
passwd_ok=$(num "$passwd_ok") passwd_tried=$(num "$passwd_tried")
bumps=$(num "$bumps") mods=$(num "$mods") cli_rounds=$(num "$cli_rounds")
echo "# race: ${passwd_tried:-?} passwd tried, $passwd_ok succeeded; writer 2: $cli_rounds rounds," \
    "$bumps bumps, $mods scope changes; $((t1 - t0)) ms"
[ -s "$dir/passwd.err" ] && sed 's/^/#   passwd: /' "$dir/passwd.err" | head -n 5
grep -v 'warning: .*login_delay' "$dir/cli.err" | sed 's/^/#   writer 2: /' | head -n 5
if [ "$passwd_tried" -ge 5 ]; then
    ok "race: at least 5 passwd rounds ran ($passwd_tried)"
else
    not_ok "race: at least 5 passwd rounds ran ($passwd_tried)"
fi
check "$passwd_ok" "$passwd_tried" "race: every passwd succeeded"
check "$(gen_of alice)" $((a0 + passwd_ok)) "race: alice's gen went up once per successful passwd"
check "$bumps" "$cli_rounds" "race: every writer-2 bump succeeded"
check "$(gen_of bob)" $((b0 + bumps + usermod_bump * mods)) \
    "race: bob's gen shows every writer-2 change (no lost update)"
if [ $cli = yes ]; then
    check "$mods" "$cli_rounds" "race: every usermod succeeded"
    check "$(scopes_of bob)" "$last" "race: bob's scopes are the last usermod's"
fi
check_true "race: the users file is whole" users_whole
check_true "race: the revocation list is whole" list_whole
check_true "race: the daemon is alive" daemon_alive
# the password alice ended with logs in
pw=$([ $((passwd_ok % 2)) = 0 ] && echo "$TEST_PASSWORD" || echo 'Race-passw0rd-2')
resp=$(wire send "$sock" "$(req op=login username=alice "password=$pw")")
check "$(printf '%s' "$resp" | field ok)" true "race: alice logs in with the password she ended with"

lib_stop
check "$exit_status" 0 "SIGTERM: exits 0"
tap_end

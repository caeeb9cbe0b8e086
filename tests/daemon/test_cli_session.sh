#!/bin/sh
# SPDX-License-Identifier: MIT
# The session verbs of jwt-helper (login, token, logout, passwd) and
# jwt-askpass against the real jwt-helperd on a temporary socket (jwt-helper(1),
# FILES): what they store and with which modes, the token cache, exit codes,
# the prompts jwt-askpass understands, and the terminal left as it was.
# Run as root, the daemon drops to nobody and the client runs as nobody
# too (a client trusts root, _jwt-helper and its own uid as the daemon).
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/daemon/lib.sh"

lib_init cli-session
lib_setup
lib_user alice ssh,sudo
lib_user bob ssh,sudo
lib_user carol sudo
# This host's %h, lowercase: the audience jwt-askpass asks for under sudo.
shorthost=$(hostname | cut -d . -f 1 | tr 'A-Z' 'a-z')
conf="$dir/helperd.conf"
# audiences set here, not left to the daemon's default: a host missing
# from it must be refused, whatever that default allows.
lib_conf "$conf" "audiences = pam,host:myhost,host:web2,host:$shorthost" "access_ttl = 600"

# The client's files live under $dir/client, the client user's own.
mkdir -m 700 "$dir/client" "$dir/bin"
is_root && chown nobody:nogroup "$dir/client"
chmod 755 "$dir/bin"
ln -s "$(cd "$(dirname "$helper")" && pwd)/$(basename "$helper")" "$dir/bin/jwt-askpass"
nosock="$dir/no-such-socket"
state="$dir/client/state"
sdir="$state/jwt-helper"

# cli [ENV=VALUE...] -- ARGS...: jwt-helper as the client user with
# XDG_STATE_HOME=$state and no JWT_HELPER_SOCKET unless given; stdout in
# $dir/out, stderr in $dir/err; returns its exit code.
cli() {
    _env=
    while [ "$1" != -- ]; do _env="$_env $1"; shift; done
    shift
    # shellcheck disable=SC2086
    as_daemon env -u JWT_HELPER_SOCKET XDG_STATE_HOME="$state" $_env \
        timeout 60 "$helper" "$@" >"$dir/out" 2>"$dir/err" </dev/null
}
# cli_in INPUT ARGS...: cli with INPUT on stdin.
cli_in() {
    _in=$1
    shift
    printf '%s' "$_in" | as_daemon env -u JWT_HELPER_SOCKET XDG_STATE_HOME="$state" \
        timeout 60 "$helper" "$@" >"$dir/out" 2>"$dir/err"
}
# askpass [ENV=VALUE...]: jwt-askpass "$prompt" as the client user, in a
# session of its own (setsid: no controlling terminal to fall back on), as
# the child of $parent when that is set (e.g. "$dir/bin/sudo").
askpass() {
    # shellcheck disable=SC2086
    as_daemon env -u SSH_ASKPASS_PROMPT XDG_STATE_HOME="$state" JWT_HELPER_SOCKET="$sock" \
        "$@" timeout 60 setsid -w ${parent:-} "$dir/bin/jwt-askpass" "$prompt" \
        >"$dir/out" 2>"$dir/err" </dev/null
}
# A stand-in parent named "sudo": jwt-askpass tells sudo by its parent's
# name, and this one forks (it has a command after) rather than execs.
printf '#!/bin/sh\n"$@"\nexit $?\n' >"$dir/bin/sudo"
chmod 755 "$dir/bin/sudo"
# cache_name SCOPE AUDIENCE: the state file cli_store_cache_name picks.
cache_name() {
    "$py" -c 'import hashlib, sys
d = (sys.argv[1] + "\n" + sys.argv[2]).encode()
print("access-token-" + hashlib.blake2b(d, digest_size=16).hexdigest()[:16])' "$1" "$2"
}
verify() { timeout 20 "$helper" verify --config "$pamconf" "$@" >/dev/null 2>&1; }
out() { cat "$dir/out"; }
lines() { wc -l <"$dir/out" | tr -d ' '; }
err_has() { grep -q -F -- "$1" "$dir/err"; }
mode() { stat -c %a "$1"; }
show_err() { sed 's/^/#   stderr: /' "$dir/err"; }
# fake_token EXP: an unsigned token shape whose payload has exp = EXP.
fake_token() {
    "$py" -c '
import base64, json, sys
b = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
print(b({"alg": "EdDSA"}) + "." + b({"sub": "alice", "exp": int(sys.argv[1])}) + ".c2ln", end="")
' "$1"
}
# put FILE CONTENT: writes a file in the state dir as the client user, 0600.
put() { as_daemon sh -c 'umask 077 && printf %s "$2" >"$1"' sh "$1" "$2"; }

if ! lib_start "$conf"; then
    not_ok "daemon starts"
    tap_end
fi
ok "daemon starts"
remember "$TEST_PASSWORD"

# ---- login ----
cli_in "$TEST_PASSWORD
" login -u alice --password-stdin --socket "$sock"
rc=$?
check "$rc:$(out)" "0:" "login: --password-stdin logs alice in, nothing on stdout"
err_has "logged in as alice (scope: ssh sudo)" && ok "login: says who and which scope on stderr" ||
    { not_ok "login: says who and which scope on stderr"; show_err; }
check "$(mode "$sdir"):$(mode "$sdir/refresh-token"):$(mode "$sdir/access-token")" "700:600:600" \
    "login: state dir 0700, refresh-token and access-token 0600"
check "$(stat -c %a "$state")" 700 "login: missing parents are made 0700"
rt_alice=$(cat "$sdir/refresh-token")
remember "$rt_alice"

# ---- token ----
cli -- token --socket "$sock"
rc=$?
t1=$(out)
remember "$t1"
check "$rc:$(lines)" "0:1" "token: exit 0, one line on stdout"
verify --user alice "$t1"
check $? 0 "token: jwt-helper verify accepts it for alice"
verify --user bob "$t1"
check $? 1 "token: ... and not for bob"
check "$t1" "$(cat "$sdir/access-token")" "token: the login's access token is the default cache"
cli -- token --socket "$sock"
check "$?:$(out)" "0:$t1" "token: a second call reuses the cached token"

cli -- token --socket "$sock" --scope sudo
rc=$?
ts=$(out)
remember "$ts"
check "$rc:$(printf '%s' "$ts" | claim scope)" "0:sudo" "token --scope sudo: scope is sudo only"
verify --user alice --scope sudo "$ts"
check $? 0 "token --scope sudo: verify --scope sudo accepts it"
n_caches=$(find "$sdir" -name 'access-token-????????????????' | wc -l)
check "$n_caches:$(mode "$(find "$sdir" -name 'access-token-*' | head -n 1)")" "1:600" \
    "token --scope sudo: cached beside the default one, 0600"
cli -- token --socket "$sock" --scope sudo
check "$?:$(out)" "0:$ts" "token --scope sudo: reused from its own cache"
cli -- token --socket "$sock"
check "$(out)" "$t1" "token: the default cache is untouched by the sudo one"

# --socket before the verb (cli_main moves it) and JWT_HELPER_SOCKET.
cli -- --socket "$sock" token --scope ssh
check "$?:$(out | claim scope)" "0:ssh" "token: --socket before the verb works"
cli JWT_HELPER_SOCKET="$sock" -- token --audience host:myhost
check "$?:$(out | claim aud)" "0:host:myhost" "token: JWT_HELPER_SOCKET is honoured"
cli JWT_HELPER_SOCKET="$nosock" -- token --scope "ssh sudo"
check $? 3 "token: JWT_HELPER_SOCKET naming no daemon -> exit 3"
cli JWT_HELPER_SOCKET="$nosock" -- token --socket "$sock" --scope "sudo ssh"
check $? 0 "token: --socket wins over JWT_HELPER_SOCKET"

# A cache with a minute or less left is replaced; a damaged one too.
put "$sdir/access-token" "$(fake_token $(($(date +%s) + 30)))"
cli -- token --socket "$sock"
t2=$(out)
remember "$t2"
if [ "$t2" != "$t1" ] && verify --user alice "$t2" && [ "$(cat "$sdir/access-token")" = "$t2" ]; then
    ok "token: a cache expiring within 60 s is refreshed and replaced"
else
    not_ok "token: a cache expiring within 60 s is refreshed and replaced"
    show_err
fi
put "$sdir/access-token" "$(fake_token $(($(date +%s) + 120)))"
cli -- token --socket "$sock"
check "$(out)" "$(cat "$sdir/access-token")" "token: a cache with more than 60 s left is used as is"
put "$sdir/access-token" "not a token"
cli -- token --socket "$sock"
rc=$?
t3=$(out)
remember "$t3"
verify --user alice "$t3"
check "$rc:$?" "0:0" "token: a damaged cache is ignored and replaced"

# The daemon stopped: a valid cache still answers; nothing else does.
lib_stop
cli -- token --socket "$sock"
check "$?:$(out)" "0:$t3" "token: works from the cache with the daemon stopped"
cli -- token --socket "$sock" --audience pam
check "$?:$(out)" "3:" "token: no cache and no daemon -> exit 3, nothing on stdout"
err_has "daemon unreachable" && ok "token: says the daemon is unreachable" ||
    { not_ok "token: says the daemon is unreachable"; show_err; }
cp "$sdir/refresh-token" "$dir/rt.copy"
cli -- logout --all --socket "$sock"
check "$?:$(test -f "$sdir/refresh-token" && echo kept)" "3:kept" \
    "logout --all with the daemon unreachable: exit 3, files kept"
cli_in "$TEST_PASSWORD
" login -u bob --password-stdin --socket "$nosock"
check $? 3 "login: daemon unreachable -> exit 3"
check "$(cat "$sdir/refresh-token")" "$rt_alice" "login: ... and the stored session is untouched"
lib_start "$conf" || not_ok "daemon restarts"

# ---- logout ----
cli -- logout --socket "$sock"
check "$?:$(ls -A "$sdir")" "0:" "logout: exit 0, refresh token and every cache removed"
cli -- token --socket "$sock"
check "$?:$(out)" "1:" "token after logout: exit 1, nothing on stdout"
err_has "not logged in: run jwt-helper login" && ok "token after logout: says to log in" ||
    { not_ok "token after logout: says to log in"; show_err; }
put "$sdir/refresh-token" "$(cat "$dir/rt.copy")"
cli -- token --socket "$sock" --scope ssh
check $? 0 "logout: plain logout only forgets the local copy (a saved copy still works)"
cli -- logout --socket "$nosock"
check "$?:$(ls -A "$sdir")" "0:" "logout with the daemon unreachable: exit 0, removed locally"

# ---- logout --all ----
other="$dir/client/other"
cli_in "$TEST_PASSWORD
" login -u alice --password-stdin --socket "$sock"
cp "$sdir/refresh-token" "$dir/rt.copy"
as_daemon env XDG_STATE_HOME="$other" sh -c 'printf "%s\n" "$1" |
    timeout 60 "$2" login -u alice --password-stdin --socket "$3"' sh "$TEST_PASSWORD" "$helper" \
    "$sock" >/dev/null 2>&1
check $? 0 "logout --all: a second session of alice elsewhere"
cli -- logout --all --socket "$sock"
check "$?:$(ls -A "$sdir")" "0:" "logout --all: exit 0, files removed"
put "$sdir/refresh-token" "$(cat "$dir/rt.copy")"
cli -- token --socket "$sock" --scope ssh
check "$?:$(out)" "1:" "logout --all: the saved copy of the refresh token is dead"
err_has "session ended (" && ok "logout --all: token says the session ended" ||
    { not_ok "logout --all: token says the session ended"; show_err; }
check "$(ls -A "$sdir")" "" "logout --all: the dead refresh token was removed"
as_daemon env XDG_STATE_HOME="$other" timeout 60 "$helper" token --socket "$sock" --scope ssh \
    >"$dir/out" 2>"$dir/err"
check "$?:$(ls -A "$other/jwt-helper" | grep -c refresh)" "1:0" \
    "logout --all: the other session is dead too and forgotten"

# ---- wrong password ----
cli_in "not-the-password
" login -u alice --password-stdin --socket "$sock"
check "$?:$(ls -A "$sdir")" "1:" "login: a wrong password -> exit 1, nothing stored"
cli_in "" login -u alice --password-stdin --socket "$sock"
check $? 1 "login: an empty stdin is refused"
cli_in "$TEST_PASSWORD
" login -u Alice --password-stdin --socket "$sock"
check $? 2 "login: an invalid user name is a usage error"
cli -- login --password-stdin --socket "$sock" extra
check $? 2 "login: a stray argument is a usage error"

# ---- passwd ----
cli_in "$TEST_PASSWORD
" login -u alice --password-stdin --socket "$sock"
cp "$sdir/refresh-token" "$dir/rt.copy"
newpw='N3w-pass word!'
remember "$newpw"
cli_in "wrong-current
$newpw
" passwd -u alice --password-stdin --socket "$sock"
check "$?:$(test -f "$sdir/refresh-token" && echo kept)" "1:kept" \
    "passwd: a wrong current password -> exit 1, session kept"
cli_in "$TEST_PASSWORD
$newpw
" passwd -u alice --password-stdin --socket "$sock"
check "$?:$(ls -A "$sdir")" "0:" "passwd: two lines on stdin change it; the local session is removed"
err_has "password changed; run jwt-helper login" && ok "passwd: says to log in again" ||
    { not_ok "passwd: says to log in again"; show_err; }
put "$sdir/refresh-token" "$(cat "$dir/rt.copy")"
cli -- token --socket "$sock"
check "$?:$(ls -A "$sdir")" "1:" "passwd: the old refresh token is dead (and removed)"
cli_in "$TEST_PASSWORD
" login -u alice --password-stdin --socket "$sock"
check $? 1 "passwd: the old password no longer logs in"
cli_in "$newpw
" login -u alice --password-stdin --socket "$sock"
check $? 0 "passwd: the new password logs in"
cli_in "$newpw" login -u alice --password-stdin --socket "$sock"
check $? 0 "login: a last line without a newline counts"
as_daemon env XDG_STATE_HOME="$state" sh -c 'printf "%s\nleft for the next reader\n" "$1" | {
    timeout 60 "$2" login -u alice --password-stdin --socket "$3" 2>/dev/null && cat; }' \
    sh "$newpw" "$helper" "$sock" >"$dir/out"
check "$?:$(out)" "0:left for the next reader" \
    "login: --password-stdin reads one line and not a byte more"
printf 'a\000b\n' | as_daemon env XDG_STATE_HOME="$state" timeout 60 "$helper" login -u alice \
    --password-stdin --socket "$sock" >/dev/null 2>"$dir/err"
check "$?:$(grep -c NUL "$dir/err")" "1:1" "login: a password with a NUL byte is refused"
cli_in "$("$py" -c 'print("x" * 1025)')
" login -u alice --password-stdin --socket "$sock"
check "$?:$(grep -c 'longer than 1024' "$dir/err")" "1:1" "login: a password over 1024 bytes is refused"
cli_in "$("$py" -c 'print("x" * 1024)')
" login -u alice --password-stdin --socket "$sock"
check "$?:$(grep -c 'longer than' "$dir/err")" "1:0" \
    "login: a 1024-byte password is read (and refused by the daemon as wrong)"

# ---- jwt-askpass ----
parent="$dir/bin/sudo"
prompt="Password or token: "
askpass
rc=$?
ta=$(out)
remember "$ta"
check "$rc:$(lines):$(printf '%s' "$ta" | claim scope)" "0:1:sudo" \
    "jwt-askpass under sudo -> one line, a token with scope sudo alone"
check "$(printf '%s' "$ta" | claim aud)" "host:$shorthost" \
    "jwt-askpass under sudo -> aud host:<this host's short name>"
check "$([ "${#ta}" -le 511 ] && echo fits)" fits "jwt-askpass: the sudo token is at most 511 bytes"
hostconf="$dir/pam_jwt-host.conf"
sed 's/^audience = .*/audience = host:%h/' "$pamconf" >"$hostconf"
chmod 644 "$hostconf"
timeout 20 "$helper" verify --config "$hostconf" --user alice --scope sudo "$ta" >/dev/null 2>&1
check $? 0 "jwt-askpass: the sudo token verifies with audience = host:%h"
parent=
prompt="[sudo] password for alice: "
askpass
check "$?:$(out)" "1:" "jwt-askpass: sudo's prompt text without sudo as parent gets no token"
prompt="alice@web2's password: "
askpass
rc=$?
ta=$(out)
remember "$ta"
check "$rc:$(lines):$(printf '%s' "$ta" | claim aud)" "0:1:host:web2" \
    "jwt-askpass: ssh's password prompt -> aud host:web2"
check "$(printf '%s' "$ta" | claim scope)" "ssh" \
    "jwt-askpass: ssh's prompt -> scope ssh only (no sudo for an ssh server)"
prompt="alice@WEB2's password: "
askpass
check "$?:$(out)" "0:$ta" "jwt-askpass: alice@WEB2 -> host:web2 (lowercased), the cached token"
prompt="(alice@web2) Password: "
askpass
check "$?:$(out | claim aud):$(out | claim scope)" "0:host:web2:ssh" \
    "jwt-askpass: keyboard-interactive (alice@web2) Password: -> aud host:web2, scope ssh only"
prompt="(alice@MyHost) Token: "
askpass
check "$?:$(out | claim aud):$(out | claim scope)" "0:host:myhost:ssh" \
    "jwt-askpass: keyboard-interactive (alice@MyHost) Token: -> aud host:myhost"
prompt="Password for 'https://alice@git.example.org': "
askpass
check "$?:$(out)" "1:" "jwt-askpass: git's prompt without a terminal -> exit 1, nothing on stdout"
err_has "no terminal" && ok "jwt-askpass: ... and says why on stderr" ||
    { not_ok "jwt-askpass: ... and says why on stderr"; show_err; }
prompt="Username for 'https://git.example.org': "
askpass
check "$?:$(out)" "1:" "jwt-askpass: git's username prompt gets no token"
prompt="alice@web_2's password: "
askpass
check "$?:$(out)" "1:" "jwt-askpass: a host name the daemon's host: rule refuses ('_') gets no token"
err_has "audiences" &&
    not_ok "jwt-askpass: ... and is not blamed on audiences=" ||
    ok "jwt-askpass: ... and is not blamed on audiences="
prompt="alice@otherhost's password: "
askpass
check "$?:$(out)" "1:" "jwt-askpass: a host not in audiences -> exit 1, nothing on stdout"
err_has 'audience "host:otherhost" is not in jwt-helperd'"'"'s audiences' &&
    ok "jwt-askpass: ... says which audience the daemon refused" ||
    { not_ok "jwt-askpass: ... says which audience the daemon refused"; show_err; }
prompt="alice@web2's password: "
askpass SSH_ASKPASS_PROMPT=confirm
check "$?:$(out)" "1:" "jwt-askpass: a confirmation prompt gets no token"
as_daemon env XDG_STATE_HOME="$state" JWT_HELPER_SOCKET="$sock" timeout 60 setsid -w \
    "$dir/bin/jwt-askpass" >"$dir/out" 2>"$dir/err" </dev/null
check "$?:$(out)" "1:" "jwt-askpass: no argument is no usage error (exit 1, no token)"

# A cached token is reused only for exactly its scope and audience.
ssh_cache="$sdir/$(cache_name ssh host:web2)"
cli -- token --socket "$sock" --scope sudo --audience host:web2
wrong=$(out)
remember "$wrong"
put "$ssh_cache" "$wrong"
prompt="alice@web2's password: "
askpass
check "$?:$(out | claim scope):$(cat "$ssh_cache" | claim scope)" "0:ssh:ssh" \
    "jwt-askpass: a cached token with scope sudo is not reused for ssh (and is replaced)"
cli -- token --socket "$sock" --scope ssh --audience host:myhost
wrong=$(out)
put "$ssh_cache" "$wrong"
askpass
check "$?:$(out | claim aud)" "0:host:web2" \
    "jwt-askpass: a cached token for another audience is not reused"
put "$ssh_cache" "$wrong"
cli -- token --socket "$sock" --scope ssh --audience host:web2
check "$?:$(out | claim aud)" "0:host:web2" \
    "token --scope --audience: a cached token for another audience is not reused"

# carol holds scope sudo only: an ssh prompt gets her nothing at all.
cstate="$dir/client/carol"
as_daemon env XDG_STATE_HOME="$cstate" sh -c 'printf "%s\n" "$1" |
    timeout 60 "$2" login -u carol --password-stdin --socket "$3"' sh "$TEST_PASSWORD" "$helper" \
    "$sock" >/dev/null 2>&1
check $? 0 "carol (scope sudo only) logs in"
prompt="carol@web2's password: "
askpass XDG_STATE_HOME="$cstate"
check "$?:$(out)" "1:" "jwt-askpass: a user without scope ssh gets nothing for an ssh prompt"
err_has 'does not grant scope "ssh" to carol' && err_has "jwt-helper usermod carol --scopes" &&
    ok "jwt-askpass: ... and stderr says what was refused and what to change" ||
    { not_ok "jwt-askpass: ... and stderr says what was refused and what to change"; show_err; }

# The daemon restarted without host:web2 among its audiences.
lib_stop
lib_conf "$conf" "audiences = pam"
lib_start "$conf" || not_ok "daemon restarts"
cli -- logout --socket "$sock"
cli_in "$newpw
" login -u alice --password-stdin --socket "$sock"
prompt="alice@web2's password: "
askpass
check "$?:$(out)" "1:" "jwt-askpass: audiences without host:web2 -> no token (no default audience)"
parent="$dir/bin/sudo"
prompt="Token: "
askpass
check "$?:$(out)" "1:" "jwt-askpass under sudo: audiences without host:<%h> -> no token"
parent=

# ---- the state directory must be the caller's alone ----
chmod 770 "$sdir"
cli -- token --socket "$sock" --scope ssh
check "$?:$(out)" "4:" "state dir group-writable: refused with exit 4"
err_has "chmod 700" && ok "state dir group-writable: says how to fix it" ||
    { not_ok "state dir group-writable: says how to fix it"; show_err; }
chmod 700 "$sdir"
as_daemon sh -c 'mv "$1/refresh-token" "$1/rt" && ln -s rt "$1/refresh-token"' sh "$sdir"
# A scope no earlier call cached: the refresh token itself must be read.
cli -- token --socket "$sock" --scope "sudo ssh"
check "$?:$(out)" "4:" "a symlinked refresh-token is refused"
as_daemon sh -c 'rm "$1/refresh-token" && mv "$1/rt" "$1/refresh-token"' sh "$sdir"
# Between runs: the state directory swapped for a symlink to a directory of
# the same user, or for one owned by someone else, is refused, and nothing
# is written there.
as_daemon sh -c 'mkdir -m 700 "$1.elsewhere" && mv "$1" "$1.real" && ln -s "$1.elsewhere" "$1"' \
    sh "$sdir"
cli -- token --socket "$sock" --scope ssh
check "$?:$(out):$(ls -A "$sdir.elsewhere")" "4::" \
    "state dir swapped for a symlink: refused with exit 4, nothing written through it"
as_daemon sh -c 'rm "$1" && mv "$1.real" "$1"' sh "$sdir"
if is_root; then
    mkdir -m 700 "$dir/client/rootowned"
    cp -p "$sdir/refresh-token" "$dir/client/rootowned/" && chown root:root "$dir/client/rootowned"
    as_daemon sh -c 'mv "$1" "$1.real"' sh "$sdir"
    mv "$dir/client/rootowned" "$sdir"
    cli -- token --socket "$sock" --scope ssh
    check "$?:$(out):$(ls -A "$sdir")" "4::refresh-token" \
        "state dir swapped for one owned by root: refused with exit 4, nothing written there"
    rm -r "$sdir"
    as_daemon sh -c 'mv "$1.real" "$1"' sh "$sdir"
else
    skip "state dir owned by another user: needs root"
fi

# During a run: the path is pointed elsewhere while the daemon answers (a
# proxy on the socket swaps $state for a symlink before it hands the
# answer on). The cache must land in the directory that was checked.
cat >"$dir/swapproxy.py" <<'EOF2'
import os, socket, sys
listen, daemon, state, elsewhere = sys.argv[1:5]
srv = socket.socket(socket.AF_UNIX)
srv.bind(listen)
srv.listen(1)
print("ready", flush=True)
c, _ = srv.accept()
line = c.makefile("rb").readline()
d = socket.socket(socket.AF_UNIX)
d.connect(daemon)
d.sendall(line)
answer = d.makefile("rb").readline()
os.rename(state, state + ".moved")
os.symlink(elsewhere, state)
c.sendall(answer)
c.close()
EOF2
as_daemon sh -c 'mkdir -m 700 "$1" "$1/jwt-helper"' sh "$dir/client/elsewhere"
proxy="$dir/client/proxy.sock"
sudo_cache=$(cache_name sudo "")
rm -f "$sdir/$sudo_cache" # a request nothing cached: the proxy must be asked
as_daemon timeout 60 "$py" "$dir/swapproxy.py" "$proxy" "$sock" "$state" "$dir/client/elsewhere" \
    >"$dir/proxy.out" 2>&1 &
proxy_pid=$!
tries=0
while [ ! -S "$proxy" ] && [ "$tries" -lt 100 ]; do
    sleep 0.1
    tries=$((tries + 1))
done
cli -- token --socket "$proxy" --scope sudo
rc=$?
wait "$proxy_pid"
check "$rc:$(ls -A "$dir/client/elsewhere/jwt-helper"):$(test -f "$state.moved/jwt-helper/$sudo_cache" &&
    echo cached)" "0::cached" \
    "state dir path swapped during a run: the cache is written in the checked directory only"
as_daemon sh -c 'rm "$1" && mv "$1.moved" "$1"' sh "$state"

home="$dir/client/home"
as_daemon mkdir -m 755 "$home"
as_daemon env -u XDG_STATE_HOME HOME="$home" sh -c 'printf "%s\n" "$1" |
    timeout 60 "$2" login -u alice --password-stdin --socket "$3"' sh "$newpw" "$helper" "$sock" \
    >/dev/null 2>&1
check "$?:$(mode "$home/.local/state/jwt-helper/refresh-token")" "0:600" \
    "without XDG_STATE_HOME the session is in ~/.local/state/jwt-helper"

# A daemon that ignores `audience` (an older one; here a proxy drops the
# field) answers with its default audience: broader than asked, so no token.
cat >"$dir/dropaud.py" <<'EOF2'
import json, socket, sys
listen, daemon = sys.argv[1:3]
srv = socket.socket(socket.AF_UNIX)
srv.bind(listen)
srv.listen(1)
c, _ = srv.accept()
req = json.loads(c.makefile("rb").readline())
req.pop("audience", None)
d = socket.socket(socket.AF_UNIX)
d.connect(daemon)
d.sendall(json.dumps(req).encode() + b"\n")
c.sendall(d.makefile("rb").readline())
c.close()
EOF2
proxy="$dir/client/dropaud.sock"
as_daemon timeout 60 "$py" "$dir/dropaud.py" "$proxy" "$sock" >"$dir/proxy.out" 2>&1 &
proxy_pid=$!
tries=0
while [ ! -S "$proxy" ] && [ "$tries" -lt 100 ]; do
    sleep 0.1
    tries=$((tries + 1))
done
cli -- token --socket "$proxy" --scope ssh --audience host:web2
rc=$?
wait "$proxy_pid"
check "$rc:$(out):$(test -e "$sdir/$(cache_name ssh host:web2)" && echo cached)" "1::" \
    "a daemon answering with another audience than asked: no token, nothing cached"

# ---- root's usermod ends the sessions it takes something from ----
# (jwt-helperd(8), "Revocation list": the revocation list kills live access tokens where pam_jwt
# checks it; the generation bump kills the refresh token.)
cli -- token --socket "$sock" --scope ssh --audience pam
t_before=$(out)
remember "$t_before"
timeout 60 "$helper" --config "$conf" usermod carol --scopes sudo,ssh >/dev/null 2>"$dir/err"
check "$?:$(grep -c '^carol:' "$revoked")" "0:0" "usermod adding a scope: carol is not listed"
timeout 60 "$helper" --config "$conf" usermod alice --scopes ssh >/dev/null 2>"$dir/err"
check "$?:$(grep -c '^alice:' "$revoked")" "0:1" "usermod taking sudo away: alice is listed"
if pam_find; then
    pam_auth jwtrevoke alice "$t_before"
    check $? 1 "usermod: pam_jwt with revocation= refuses her earlier access token"
else
    skip "usermod and pam_jwt: $pam_skip"
fi
# A request no earlier call cached: the daemon must be asked.
cli -- token --socket "$sock" --scope ssh --audience host:web2
check "$?:$(out)" "1:" "usermod: her refresh token is dead"
err_has "session ended" && ok "usermod: token says the session ended" ||
    { not_ok "usermod: token says the session ended"; show_err; }

# ---- the terminal: echo off, and restored after Enter and after ^C ----
# pty.py drives jwt-helper on a pseudo-terminal; it prints what the
# terminal showed and the echo state `stty` reports afterwards.
cat >"$dir/ptydrive.py" <<'EOF'
import os, pty, select, sys, time
def run(cmd, answers):
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    seen, deadline = b"", time.time() + 30
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            seen += data
        if answers and answers[0][0].encode() in seen:
            time.sleep(0.2)
            os.write(fd, answers.pop(0)[1].encode())
    os.waitpid(pid, 0)
    return seen.decode(errors="replace")
unesc = lambda s: s.encode().decode("unicode_escape")
answers = [(sys.argv[i], unesc(sys.argv[i + 1])) for i in range(1, len(sys.argv) - 1, 2)]
print(run(["sh", "-c", sys.argv[-1]], answers))
EOF
pty_run() {
    timeout 60 "$py" "$dir/ptydrive.py" "$@" >"$dir/pty.out" 2>&1
}
# tty.sh ARGS...: jwt-helper ARGS as the client user on the terminal, then
# its exit code and the terminal's flags.
printf '%s\n' 'trap : INT' "XDG_STATE_HOME='$state' '$helper' \"\$@\"" 'echo rc=$?' 'stty -a' \
    >"$dir/tty.sh"
chmod 755 "$dir/tty.sh"
tty_cmd="sh $dir/tty.sh"
is_root && tty_cmd="exec setpriv --reuid=nobody --regid=nogroup --clear-groups -- sh $dir/tty.sh"
# ask.sh: jwt-askpass on the terminal with a git prompt holding an escape
# sequence; what it prints goes to $dir/client/ask.out.
printf '%s\n' "XDG_STATE_HOME='$state' JWT_HELPER_SOCKET='$sock' '$dir/bin/jwt-askpass' \
    \"\$(printf 'Password for \\047https://git.example.org\\047:\\033[2J ')\" >'$dir/client/ask.out'" \
    'echo rc=$?' >"$dir/ask.sh"
chmod 755 "$dir/ask.sh"
ask_cmd="sh $dir/ask.sh"
is_root && ask_cmd="exec setpriv --reuid=nobody --regid=nogroup --clear-groups -- sh $dir/ask.sh"
if ! "$py" -c 'import pty' 2>/dev/null; then
    skip "terminal: python3 pty not available"
    skip "terminal: python3 pty not available"
    skip "terminal: python3 pty not available"
    skip "terminal: python3 pty not available"
else
    pty_run "https://git.example.org" "typed-answer\\n" "$ask_cmd"
    if grep -q 'rc=0' "$dir/pty.out" && [ "$(cat "$dir/client/ask.out")" = typed-answer ] &&
        ! grep -q typed-answer "$dir/pty.out" && grep -q -F '\x1b[2J' "$dir/pty.out" &&
        ! grep -q "$(printf '\033')" "$dir/pty.out"; then
        ok "terminal: jwt-askpass reads a git prompt's answer unechoed, the prompt escaped"
    else
        not_ok "terminal: jwt-askpass reads a git prompt's answer unechoed, the prompt escaped"
        sed 's/^/#   /' "$dir/pty.out"
    fi
    pty_run "Password for alice: " "$newpw\\n" "$tty_cmd login -u alice --socket $sock"
    if grep -q 'rc=0' "$dir/pty.out" && ! grep -q -F "$newpw" "$dir/pty.out" &&
        grep -q ' echo ' "$dir/pty.out"; then
        ok "terminal: login reads the password unechoed, echo on afterwards"
    else
        not_ok "terminal: login reads the password unechoed, echo on afterwards"
        sed 's/^/#   /' "$dir/pty.out"
    fi
    pty_run "Password for alice: " "typed-then-\\x03" "$tty_cmd login -u alice --socket $sock"
    if grep -q 'rc=130' "$dir/pty.out" && grep -q ' echo ' "$dir/pty.out" &&
        ! grep -q 'typed-then' "$dir/pty.out"; then
        ok "terminal: ^C at the prompt ends it and echo is back on"
    else
        not_ok "terminal: ^C at the prompt ends it and echo is back on"
        sed 's/^/#   /' "$dir/pty.out"
    fi
    pty_run "Current password: " "$newpw\\n" "New password: " "one-Password\\n" \
        "Retype new password: " "other-Password\\n" "$tty_cmd passwd -u alice --socket $sock"
    if grep -q 'rc=1' "$dir/pty.out" && grep -q 'do not match' "$dir/pty.out"; then
        ok "terminal: passwd refuses two different new passwords"
    else
        not_ok "terminal: passwd refuses two different new passwords"
        sed 's/^/#   /' "$dir/pty.out"
    fi
fi

check_true "the daemon's log holds no password or token" log_clean
lib_stop
tap_end

#!/bin/sh
# SPDX-License-Identifier: MIT
# Races real writers of the users file and kills them mid-write: no update is
# lost and the file is always whole (jwt-helperd(8), "User records").
#
# A writer killed with SIGKILL may leave its temporary file
# (".users.tmp-<16 hex>") behind; readers never look at it, and the next
# writer removes it under the lock (atomic_file_clean_stale): no live writer
# can own one then. The last check below shows that.
set -u

: "${top_builddir:=.}"
tool="$top_builddir/tests/tools/userdb-tool"
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
check() { if [ "$1" = "$2" ]; then ok "$3"; else not_ok "$3"; echo "#   got $1, want $2"; fi; }

if [ ! -x "$tool" ]; then
    echo "1..0 # SKIP $tool not built (make check builds it)"
    exit 0
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/userdb-race-XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
users="$dir/users"

# Counts files in $dir other than the users file and its lock.
others() { ls -A "$dir" | grep -v -x -e users -e users.lock | wc -l | tr -d ' '; }

# Two writer processes, each looping: every bump is its own locked update.
race() {
    "$tool" "$users" bump "$1" 200 & p1=$!
    "$tool" "$users" bump "$2" 200 & p2=$!
    wait "$p1"; s1=$?
    wait "$p2"; s2=$?
    check "$s1:$s2" 0:0 "race $1/$2: both writers succeeded"
}

"$tool" "$users" add alice ssh >/dev/null && "$tool" "$users" add bob ssh,sudo >/dev/null
check "$("$tool" "$users" show alice)" 0 "setup: alice at gen 0"

# (1a) two writers, different users, 200 bumps each
race alice bob
check "$("$tool" "$users" show alice)" 200 "race: alice bumped 200 times"
check "$("$tool" "$users" show bob)" 200 "race: bob bumped 200 times"

# (1b) two writers, the same user, 200 bumps each: nothing lost
race alice alice
check "$("$tool" "$users" show alice)" 600 "race: alice bumped 400 more times by two writers"
check "$("$tool" "$users" show bob)" 200 "race: bob untouched"
check "$(others)" 0 "race: no temporary files left"

# (2) kill -9 a looping writer at random moments, 100 times
last=$("$tool" "$users" show alice)
whole=0
monotonic=0
for i in $(seq 1 100); do
    "$tool" "$users" bump alice 1000000 2>/dev/null &
    pid=$!
    ms=$(od -An -N1 -tu1 /dev/urandom | tr -d ' ')
    sleep "$(printf '0.%03d' $((ms % 40)))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    # the users file itself is whole: it parses with no malformed line
    if gen=$("$tool" "$users" show alice 2>/dev/null) &&
        "$tool" "$users" show bob >/dev/null 2>&1; then
        whole=$((whole + 1))
        [ "$gen" -ge "$last" ] && monotonic=$((monotonic + 1))
        last=$gen
    else
        echo "# users file not whole after kill $i"
    fi
done
check "$whole" 100 "kill -9: users file whole after each of 100 kills"
check "$monotonic" 100 "kill -9: gen never went back"
check "$(stat -c %a "$users")" 600 "kill -9: users file still mode 600"
echo "# $(others) temporary file(s) left by killed writers; gen of alice $last"
before=$("$tool" "$users" show alice)
"$tool" "$users" bump alice
check "$("$tool" "$users" show alice)" $((before + 1)) "after kills: a normal bump counts"
check "$(others)" 0 "after kills: the next writer removed stale temporary files"
check "$("$tool" "$users" show bob)" 200 "after kills: bob untouched"

# failing twin: a torn file is noticed by the same check
head -c 50 "$users" >"$dir/torn" && chmod 600 "$dir/torn"
if "$tool" "$dir/torn" show alice >/dev/null 2>&1; then
    not_ok "twin: a torn file is detected"
else
    ok "twin: a torn file is detected"
fi
rm -f "$dir/torn"

echo "1..$n"
exit "$failed"

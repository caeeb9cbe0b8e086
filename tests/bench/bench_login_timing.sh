#!/bin/sh
# SPDX-License-Identifier: MIT
# Does a failed login tell an unknown user from a known one or a locked
# one by its timing? Starts the real jwt-helperd (login_delay = 0, so the
# delay hides nothing: what is left is the daemon's own work), makes N
# users and N locked users with `jwt-helper useradd` (the real argon2id
# parameters), and runs tests/bench/login_timing.py: medians, quartiles
# and two-sample tests. A measurement, not a test: run it on a quiet
# machine (`make bench-timing`; N defaults to 100).
# Usage: bench_login_timing.sh [N]
set -u
: "${top_builddir:=.}"
: "${top_srcdir:=.}"
N=${1:-100}
. "$top_srcdir/tests/daemon/lib.sh"
lib_init login-timing
lib_setup
conf="$dir/helperd.conf"
lib_conf "$conf"
echo "making $N users and $N locked users (argon2id each)..." >&2
i=0
while [ $i -lt "$N" ]; do
    printf 'right-password-%d\n' $i |
        "$helper" useradd "known$i" --scopes ssh --password-stdin --config "$conf" >/dev/null 2>&1 &&
        printf 'right-password-%d\n' $i |
        "$helper" useradd "locked$i" --scopes ssh --password-stdin --config "$conf" >/dev/null 2>&1 &&
        "$helper" usermod "locked$i" --lock --config "$conf" >/dev/null 2>&1 || {
        echo "useradd failed" >&2
        exit 1
    }
    i=$((i + 1))
done
is_root && chown nobody "$users"
lib_start "$conf" || exit 1
/usr/bin/python3 "$top_srcdir/tests/bench/login_timing.py" "$sock" "$N" known locked "$N"

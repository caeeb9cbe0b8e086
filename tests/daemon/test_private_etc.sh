#!/bin/sh
# SPDX-License-Identifier: MIT
# The tests' private accounts survive the host replacing /etc/passwd
# mid-run (issue 13 item 6): an `apt-get install` that adds a system user
# renames a new /etc/passwd into place, and the kernel then drops every
# bind mount on the old file in other mount namespaces. Here a stand-in
# "host" /etc (a copy, bind-mounted in this test's own namespace, so the
# real one is never touched) has its passwd replaced by rename while a
# nested namespace holds a test account:
# * with private_etc (what the e2e and lockout tests use) the account is
#   still there afterwards;
# * with a bind mount of the single file (what they did before) it is
#   gone, which shows the hazard is real on this kernel and that the first
#   check can fail.
# Needs root (mount namespaces).
set -u
: "${top_srcdir:=.}"
. "$top_srcdir/tests/daemon/lib.sh"

if ! is_root || ! command -v unshare >/dev/null; then
    echo "1..0 # SKIP needs root and unshare for private mount namespaces"
    exit 0
fi
if [ -z "${JWT_PRIVATE_ETC_NS:-}" ]; then
    JWT_PRIVATE_ETC_NS=1 exec unshare -m --propagation private -- sh "$0" "$@"
fi
lib_init private-etc
# The stand-in host /etc of this namespace (unmounted again by lib_cleanup).
cp -a /etc "$dir/host" && mount --bind "$dir/host" /etc && PRIVATE_ETC="$dir/host" || {
    echo "1..1"
    echo "not ok 1 - a stand-in host /etc can be mounted"
    exit 1
}
ACCOUNT="pjetc:x:61999:61999::/nonexistent:/usr/sbin/nologin"

# holder HOW: in a nested namespace, gives itself the account (HOW:
# private_etc, or file: a bind mount of a copy of passwd), says ready,
# waits until the host's passwd was replaced, then prints what its
# /etc/passwd says of the account ("present" or "gone").
holder() {
    rm -f "$dir/ready" "$dir/replaced"
    unshare -m --propagation private -- sh -c '
        . "$1/tests/daemon/private_etc.sh"
        if [ "$2" = private_etc ]; then
            private_etc "$3/copy-$$" || exit 1
            echo "$4" >>/etc/passwd
        else
            cp -p /etc/passwd "$3/passwd-$$" && echo "$4" >>"$3/passwd-$$" &&
                mount --bind "$3/passwd-$$" /etc/passwd || exit 1
        fi
        grep -q "^pjetc:" /etc/passwd || exit 1
        : >"$3/ready"
        i=0
        while [ ! -e "$3/replaced" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        if grep -q "^pjetc:" /etc/passwd; then echo present; else echo gone; fi
    ' sh "$top_srcdir" "$1" "$dir" "$ACCOUNT" >"$dir/holder.out" 2>&1 &
    holder_pid=$!
    i=0
    while [ ! -e "$dir/ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    # What adduser does: a new file renamed over the old one.
    cp -p /etc/passwd /etc/passwd.new && mv /etc/passwd.new /etc/passwd
    : >"$dir/replaced"
    wait "$holder_pid"
    cat "$dir/holder.out"
}

check "$(holder private_etc)" present \
    "private_etc: the test account survives the host replacing /etc/passwd"
check "$(holder file)" gone \
    "a bind mount of the file alone is dropped by that (the hazard private_etc avoids)"
tap_end

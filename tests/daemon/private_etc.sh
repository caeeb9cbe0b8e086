# SPDX-License-Identifier: MIT
# Sourced (POSIX sh) by tests/daemon/lib.sh and tests/e2e/e2e_lib.sh.
#
# private_etc COPY: inside a private mount namespace, copies the whole of
# /etc to the directory COPY and bind-mounts that directory over /etc.
# The tests then edit their accounts (passwd, group, shadow) in /etc as in
# their own copy. Binding single files instead does not hold: the kernel
# drops a bind mount whose mount point is removed in another namespace, so
# an `apt-get install` on the host that adds a system user (and replaces
# /etc/passwd by rename) silently brought the host's file back mid-run,
# and the tests then failed twenty ways at once. A mount on the directory
# itself is not touched by renames inside the host's /etc.
# Sets PRIVATE_ETC to COPY (its remover unmounts /etc first). Returns 1
# (with the reason on stderr) when that cannot be done.
private_etc() {
    if ! cp -a /etc "$1"; then
        echo "private_etc: cannot copy /etc to $1" >&2
        return 1
    fi
    if ! mount --bind "$1" /etc; then
        echo "private_etc: cannot bind $1 over /etc (not root, or no private mount namespace?)" >&2
        return 1
    fi
    # Mounts inside the host's /etc (a container's /etc/hosts) are not
    # carried over: their contents were copied above.
    if [ "$(stat -c %d:%i /etc)" != "$(stat -c %d:%i "$1")" ]; then
        echo "private_etc: /etc is not $1 after the bind mount" >&2
        return 1
    fi
    PRIVATE_ETC=$1
    return 0
}

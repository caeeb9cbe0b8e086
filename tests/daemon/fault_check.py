#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Judges a users file or revocation list after a writer was killed (jwt-helperd(8),
"User records": a crash at any instant leaves the old file or the new one).

  fault_check.py users OLD NOW CHANGE NAME [ARG]
      NOW must be whole (every line a record of §4's grammar, ending in a
      newline, no name twice) and be OLD byte for byte, or OLD with exactly
      this CHANGE to NAME's record, every other line as it was:
        add SCOPES      a record for NAME appended, with these scopes
        scopes SCOPES   NAME's scopes are SCOPES (gen the same or one up)
        bump            NAME's gen one up, nothing else changed
        passwd          NAME's hash changed and gen one up, scopes as before
  fault_check.py revoked OLD NOW NAME SINCE
      NOW must be whole (lines name:unix-time) and be OLD, or OLD with NAME's
      line set to an instant at or after SINCE, every other line as it was.

  fault_check.py both OLD_USERS USERS OLD_REVOKED REVOKED CHANGE NAME ARG SINCE
      both judgements at once, one line each.

Prints "old" or "new" and exits 0; else prints why and exits 1. A file
that fits the change is "new" even when it equals OLD byte for byte (a
second revoke within the same second lists the same instant).

  fault_check.py kills ROUNDS SPAN_MS USERS REVOKED CHANGE NAME ARG -- CMD...
      ROUNDS times: CMD (stdin /dev/null or, with FAULT_STDIN set, that
      file; "{i}" in NAME, ARG and CMD replaced by the round's number) is
      started and killed with SIGKILL after a random 1/3..4/3 SPAN_MS (the
      write comes last, after any hashing; one round in eight at once); then both files are judged as above, and a
      round whose CMD exited 0 before the kill must have left USERS new
      (and REVOKED new for a bump). Prints one "#" line per bad round and
      "rounds R bad B lost L new N acked A"; exits 0 when B and L are 0.
"""

import os
import random
import re
import signal
import subprocess
import sys
import time

RECORD = re.compile(r"^([a-z_][a-z0-9_.-]{0,31}):(\$argon2id\$v=19\$m=[0-9]+,t=[0-9]+,p=[0-9]+"
                    r"\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+):([0-9]+):([a-z0-9_.,-]*):([a-z,]*):([0-9]+)$")
LISTED = re.compile(r"^([a-z_][a-z0-9_.-]{0,31}):([0-9]+)$")


def lines_of(path, grammar):
    """The file's lines by name, in order; raises ValueError when not whole."""
    with open(path, "rb") as f:
        data = f.read()
    if data and not data.endswith(b"\n"):
        raise ValueError("does not end in a newline (torn)")
    out = []
    seen = set()
    for i, raw in enumerate(data.decode("ascii").splitlines(), 1):
        m = grammar.match(raw)
        if m is None:
            raise ValueError("line %d is malformed: %.60r" % (i, raw))
        if m.group(1) in seen:
            raise ValueError("line %d repeats %s" % (i, m.group(1)))
        seen.add(m.group(1))
        out.append((m.group(1), m))
    return out


# FAULT_IGNORE: a name some other writer changes meanwhile (the daemon's
# passwd running beside the kills): its lines are not compared.
IGNORE = os.environ.get("FAULT_IGNORE", "")


def others_same(old, now, name):
    return [(n, m.group(0)) for n, m in old if n not in (name, IGNORE)] == \
        [(n, m.group(0)) for n, m in now if n not in (name, IGNORE)]


def users_new(old, now, change, name, arg):
    if not others_same(old, now, name):
        return "another record changed"
    before = dict(old).get(name)
    after = dict(now).get(name)
    if after is None:
        return "%s's record is gone" % name
    gen0 = int(before.group(3)) if before else None
    gen1 = int(after.group(3))
    if change == "add":
        if before is not None or now[-1][0] != name or after.group(4) != arg:
            return "not OLD plus a record for %s with scopes %s" % (name, arg)
        return None
    if before is None:
        return "%s appeared" % name
    if change == "scopes":
        ok = after.group(4) == arg and gen1 in (gen0, gen0 + 1) and after.group(2) == before.group(2)
    elif change == "bump":
        ok = gen1 == gen0 + 1 and after.group(2, 4, 5) == before.group(2, 4, 5)
    elif change == "passwd":
        ok = gen1 == gen0 + 1 and after.group(2) != before.group(2) and \
            after.group(4, 5) == before.group(4, 5)
    else:
        raise SystemExit("fault_check.py: unknown change %s" % change)
    return None if ok else "%s's record is neither old nor %s: %.50r" % (name, change, after.group(0))


def revoked_new(old, now, name, since):
    if sorted((n, m.group(0)) for n, m in old if n not in (name, IGNORE)) != \
            sorted((n, m.group(0)) for n, m in now if n not in (name, IGNORE)):
        return "another line changed"
    after = dict(now).get(name)
    if after is None or int(after.group(2)) < since:
        return "%s is not listed at or after %d" % (name, since)
    return None


def judge(kind, old_path, now_path, args):
    """Returns ("old" | "new", True) or (why, False)."""
    with open(old_path, "rb") as f:
        old_bytes = f.read()
    with open(now_path, "rb") as f:
        now_bytes = f.read()
    grammar = RECORD if kind == "users" else LISTED
    try:
        old = lines_of(old_path, grammar)
        now = lines_of(now_path, grammar)
    except ValueError as e:
        return "not whole: %s" % e, False
    if kind == "users":
        why = users_new(old, now, args[0], args[1], args[2] if len(args) > 2 else None)
    else:
        why = revoked_new(old, now, args[0], int(args[1]))
    if why is None:
        return "new", True
    if now_bytes == old_bytes or (IGNORE and [m.group(0) for n, m in old if n != IGNORE] ==
                                  [m.group(0) for n, m in now if n != IGNORE]):
        return "old", True
    return "neither old nor new: %s" % why, False


def copy(path, to):
    with open(path, "rb") as f, open(to, "wb") as g:
        g.write(f.read())


def kills(argv):
    rounds, span = int(argv[0]), int(argv[1])
    users, revoked, change, name, arg = argv[2:7]
    if argv[7] != "--":
        raise SystemExit(__doc__)
    cmd = argv[8:]
    work = os.path.dirname(users) + ".kills"
    os.makedirs(work, exist_ok=True)
    snaps = {k: os.path.join(work, k) for k in ("users", "revoked")}
    stdin = os.environ.get("FAULT_STDIN", os.devnull)
    rnd = random.SystemRandom()
    bad = lost = new = acked = 0
    for i in range(1, rounds + 1):
        sub = lambda t: t.replace("{i}", str(i))
        r = rnd.randrange(65536)
        delay = 0 if r % 8 == 0 else (span // 3 + r % (span + 1)) / 1000.0
        copy(users, snaps["users"])
        copy(revoked, snaps["revoked"])
        # time(2) reads a coarse clock that may lag a tick behind ours
        since = int(time.time()) - 1
        with open(stdin, "rb") as f:
            p = subprocess.Popen([sub(c) for c in cmd], stdin=f, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        time.sleep(delay)
        try:
            p.send_signal(signal.SIGKILL)
        except ProcessLookupError:
            pass
        status = p.wait()
        u, u_ok = judge("users", snaps["users"], users, [change, sub(name), sub(arg)])
        l, l_ok = judge("revoked", snaps["revoked"], revoked, [sub(name), str(since)])
        if not (u_ok and l_ok):
            bad += 1
            print("# %s round %d: users: %s; list: %s" % (change, i, u, l))
        new += u == "new"
        if status not in (0, -signal.SIGKILL):
            print("# %s round %d: the writer failed by itself (%d)" % (change, i, status))
        if status == 0:
            acked += 1
            if u != "new" or (change == "bump" and l != "new"):
                lost += 1
                print("# %s round %d: acknowledged, yet users %s, list %s" % (change, i, u, l))
    print("rounds %d bad %d lost %d new %d acked %d" % (rounds, bad, lost, new, acked))
    return 0 if bad == 0 and lost == 0 else 1


def main(argv):
    if len(argv) >= 2 and argv[1] == "kills":
        return kills(argv[2:])
    if len(argv) == 10 and argv[1] == "both":
        u, u_ok = judge("users", argv[2], argv[3], argv[6:9])
        l, l_ok = judge("revoked", argv[4], argv[5], [argv[7], argv[9]])
        print("%s\n%s" % (u, l))
        return 0 if u_ok and l_ok else 1
    if len(argv) < 5:
        raise SystemExit(__doc__)
    what, ok = judge(argv[1], argv[2], argv[3], argv[4:])
    print(what)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

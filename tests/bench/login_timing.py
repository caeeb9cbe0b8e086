#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Times jwt-helperd's answers to failed logins of three kinds, interleaved
at random, and says whether their distributions can be told apart.

  login_timing.py SOCK ROUNDS KNOWN_PREFIX LOCKED_PREFIX N

Each round sends one login for: an unknown name (fresh each time), a known
user with a wrong password (KNOWN_PREFIX + a number below N, each used
once), and a locked user (LOCKED_PREFIX + number, each used once), in a
random order, one connection each, and times the exchange from connect to
answer line. Every name is used once, so no login delay builds up. Prints
the medians and quartiles of each kind, and for each pair the Mann-Whitney
U test's two-sided p-value (normal approximation with ties corrected) and
the Kolmogorov-Smirnov statistic. Also checks the three answers are the
same bytes. Standard library only.
"""

import json
import math
import os
import random
import socket
import sys
import time


def exchange(path, line):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(120)
    t0 = time.perf_counter()
    s.connect(path)
    s.sendall(line.encode() + b"\n")
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
    t1 = time.perf_counter()
    s.close()
    return (t1 - t0) * 1000.0, buf


def login(name):
    return json.dumps({"op": "login", "username": name, "password": "not-the-password-" + os.urandom(4).hex()})


def quantile(xs, q):
    ys = sorted(xs)
    pos = q * (len(ys) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    return ys[lo] + (ys[hi] - ys[lo]) * (pos - lo)


def mann_whitney(a, b):
    allv = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    ranks = [0.0] * len(allv)
    ties = 0.0
    i = 0
    while i < len(allv):
        j = i
        while j + 1 < len(allv) and allv[j + 1][0] == allv[i][0]:
            j += 1
        r = (i + j) / 2.0 + 1
        for k in range(i, j + 1):
            ranks[k] = r
        t = j - i + 1
        ties += t ** 3 - t
        i = j + 1
    n1, n2 = len(a), len(b)
    r1 = sum(r for r, (_, g) in zip(ranks, allv) if g == 0)
    u = r1 - n1 * (n1 + 1) / 2.0
    n = n1 + n2
    sigma = math.sqrt(n1 * n2 / 12.0 * ((n + 1) - ties / (n * (n - 1))))
    z = (u - n1 * n2 / 2.0) / sigma if sigma > 0 else 0.0
    p = math.erfc(abs(z) / math.sqrt(2))
    return u, p


def ks(a, b):
    xs = sorted(set(a) | set(b))
    sa, sb = sorted(a), sorted(b)
    d = 0.0
    ia = ib = 0
    for x in xs:
        while ia < len(sa) and sa[ia] <= x:
            ia += 1
        while ib < len(sb) and sb[ib] <= x:
            ib += 1
        d = max(d, abs(ia / len(sa) - ib / len(sb)))
    return d


def main(argv):
    if len(argv) != 6:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    path, rounds, known, locked, n = argv[1], int(argv[2]), argv[3], argv[4], int(argv[5])
    rounds = min(rounds, n)
    times = {"unknown": [], "wrong password": [], "locked": []}
    answers = {}
    for i in range(rounds):
        kinds = [("unknown", "nobody-" + os.urandom(6).hex()),
                 ("wrong password", "%s%d" % (known, i)),
                 ("locked", "%s%d" % (locked, i))]
        random.shuffle(kinds)
        for kind, name in kinds:
            ms, answer = exchange(path, login(name))
            times[kind].append(ms)
            answers.setdefault(kind, set()).add(answer)
    print("kind            n     p25_ms   median_ms   p75_ms")
    for kind, xs in times.items():
        print("%-15s %-5d %8.1f %11.1f %8.1f" % (kind, len(xs), quantile(xs, 0.25),
                                               quantile(xs, 0.5), quantile(xs, 0.75)))
    kinds = list(times)
    for i in range(len(kinds)):
        for j in range(i + 1, len(kinds)):
            a, b = times[kinds[i]], times[kinds[j]]
            _, p = mann_whitney(a, b)
            print("%s vs %s: Mann-Whitney p=%.3f, KS D=%.3f" % (kinds[i], kinds[j], p, ks(a, b)))
    distinct = set()
    for s in answers.values():
        distinct |= s
    print("distinct answer lines over all kinds: %d" % len(distinct))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

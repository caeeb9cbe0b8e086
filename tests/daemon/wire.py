#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A raw client of jwt-helperd's wire protocol (jwt-helperd(8), PROTOCOL), for the daemon tests.

It sends exactly the bytes it is told to, including what a well-behaved
client never sends (half lines, oversize lines, silence), and prints what
comes back, so the shell tests can compare response lines byte for byte.
Every wait is bounded by --timeout (default 10 s).

  wire.py [--timeout S] send SOCK LINE...      send each LINE + "\\n", print each response line
        [--time]                               ...and "elapsed_ms N" on stderr per exchange
        [--extra-conns N]                      ...after opening N silent connections first
        [--partial-conns N]                    ...and N that sent half a line
        [--expect-close]                       ...then print "EOF" or "OPEN" (peer closed?)
  wire.py [--timeout S] bytes SOCK HEX         send these bytes (hex), print every response line
                                               until EOF or a quiet second, then "EOF"/"OPEN"
  wire.py [--timeout S] oversize SOCK N        send {"op":"jwks"} padded with spaces to N bytes
                                               with its newline; print the response, "EOF"/"OPEN"
  wire.py half SOCK TEXT                       send TEXT without a newline and close at once
  wire.py [--timeout S] stall SOCK TEXT        send TEXT without a newline, then wait: print
                                               "closed_after_ms N" when the daemon closes, else "open"
  wire.py hold SOCK SECONDS                    connect, say nothing, stay SECONDS (prints
                                               "connected" once connected)
  wire.py [--timeout S] passwd-loop [--budget S] [--until FILE] SOCK USER PW1 PW2 N
                                               N passwd requests (fewer when the budget of S
                                               seconds runs out or FILE appears) switching USER between PW1 and
                                               PW2 (old password = the current one); prints
                                               "SUCCEEDED TRIED"
  wire.py json KEY=STRING | KEY:=JSON ...      print one JSON object (a request line)
  wire.py get FIELD                            read one JSON object on stdin, print FIELD (strings
                                               raw, else JSON); exit 1 when absent
  wire.py claims FIELD                         read a JWT on stdin, print FIELD of its payload
  wire.py activate SOCK CMD...                 bind and listen on SOCK, pass it as fd 3 with
                                               LISTEN_FDS=1 and LISTEN_PID=<own pid>, exec CMD
  wire.py hostile KIND SOCK SECONDS [N]        one kind of hostile client for SECONDS, then one
                                               line "KIND key=value ..." of what it saw:
          silent N                             keep N silent connections open (reopened when the
                                               daemon closes one)
          drip N                               N connections each dripping half a login line,
                                               one byte a second
          oversize                             65537-byte lines, one per connection, in a loop
          junk                                 lines of random binary bytes, in a loop
          badlogin USER                        logins with wrong passwords for USER and for
                                               random unknown names, in a loop
          delayed N                            N connections at once, each a failed login for a
                                               new unknown name, waiting for its delayed answer
  wire.py refresh-loop SOCK TOKEN SECONDS      refreshes TOKEN over and over (a new connection
                                               each) for SECONDS; prints "good N failed F p50_ms
                                               A p99_ms B max_ms C" and every failure on stderr

Exit: 0 done, 1 a failure (reason on stderr), 2 usage, 3 could not connect,
4 timed out waiting for a response line.
"""

import base64
import json
import os
import random
import select
import socket
import sys
import time

TIMEOUT = 10.0


class Timeout(Exception):
    pass


def die(msg, code=1):
    sys.stderr.write("wire.py: %s\n" % msg)
    sys.exit(code)


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    try:
        s.connect(path)
    except OSError as e:
        die("connect %s: %s" % (path, e), 3)
    return s


def send_all(s, data):
    """Sends data; returns False when the peer closed or reset the connection."""
    try:
        s.sendall(data)
        return True
    except (BrokenPipeError, ConnectionResetError):
        return False


class Reader:
    """Reads whole lines from a socket with one deadline."""

    def __init__(self, s):
        self.s = s
        self.buf = b""
        self.eof = False

    def line(self, deadline):
        while b"\n" not in self.buf:
            if self.eof:
                return None
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout()
            r, _, _ = select.select([self.s], [], [], left)
            if not r:
                raise Timeout()
            try:
                chunk = self.s.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.eof = True
            self.buf += chunk
        i = self.buf.index(b"\n") + 1
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def closed_within(self, seconds):
        """True when the peer closes within seconds (bytes read meanwhile are kept)."""
        deadline = time.monotonic() + seconds
        while not self.eof:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            r, _, _ = select.select([self.s], [], [], left)
            if not r:
                return False
            try:
                chunk = self.s.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.eof = True
            self.buf += chunk
        return True


def out(data):
    try:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    except BrokenPipeError:
        # the reader (e.g. "| head -n 1") has all it wanted
        os._exit(0)


def cmd_send(args):
    time_it = expect_close = False
    extra = partial = 0
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt == "--time":
            time_it = True
        elif opt == "--expect-close":
            expect_close = True
        elif opt == "--extra-conns" and args:
            extra = int(args.pop(0))
        elif opt == "--partial-conns" and args:
            partial = int(args.pop(0))
        else:
            die("send: bad option %s" % opt, 2)
    if len(args) < 2:
        die("send: SOCK LINE...", 2)
    path, lines = args[0], args[1:]
    held = [connect(path) for _ in range(extra + partial)]
    for h in held[extra:]:
        send_all(h, b'{"op":"login","username":"x","pass')
    if held:
        time.sleep(0.3)  # let the daemon accept them before the one that talks
    s = connect(path)
    rd = Reader(s)
    for text in lines:
        start = time.monotonic()
        # A daemon that refuses the connection (a limit) may answer and close
        # before our line is in: read what it said all the same.
        send_all(s, text.encode("utf-8", "surrogateescape") + b"\n")
        try:
            resp = rd.line(start + TIMEOUT)
        except Timeout:
            die("send: no response within %gs" % TIMEOUT, 4)
        if resp is None:
            die("send: connection closed before a response line")
        out(resp)
        if time_it:
            sys.stderr.write("elapsed_ms %d\n" % int((time.monotonic() - start) * 1000))
    if expect_close:
        out(b"EOF\n" if rd.closed_within(min(TIMEOUT, 3.0)) else b"OPEN\n")
    for h in held:
        h.close()
    s.close()


def print_until_quiet(rd, quiet):
    """Prints response lines until EOF or no line for `quiet` seconds."""
    while True:
        try:
            resp = rd.line(time.monotonic() + quiet)
        except Timeout:
            out(b"OPEN\n")
            return
        if resp is None:
            if rd.buf:
                out(b"PARTIAL " + rd.buf + b"\n")
            out(b"EOF\n")
            return
        out(resp)


def cmd_bytes(args):
    if len(args) != 2:
        die("bytes: SOCK HEX", 2)
    s = connect(args[0])
    send_all(s, bytes.fromhex(args[1]))
    print_until_quiet(Reader(s), min(TIMEOUT, 1.0))
    s.close()


def cmd_oversize(args):
    if len(args) != 2:
        die("oversize: SOCK N", 2)
    path, n = args[0], int(args[1])
    head = b'{"op":"jwks"}'
    if n < len(head) + 1:
        die("oversize: N too small", 2)
    data = head + b" " * (n - len(head) - 1) + b"\n"
    s = connect(path)
    rd = Reader(s)
    # Sent in pieces, as a slow client would: the daemon may answer and close
    # before the last piece, which is then refused by the kernel: fine.
    for i in range(0, len(data), 8192):
        if not send_all(s, data[i:i + 8192]):
            break
    print_until_quiet(rd, min(TIMEOUT, 3.0))
    s.close()


def cmd_half(args):
    if len(args) != 2:
        die("half: SOCK TEXT", 2)
    s = connect(args[0])
    send_all(s, args[1].encode())
    s.close()


def cmd_stall(args):
    if len(args) != 2:
        die("stall: SOCK TEXT", 2)
    s = connect(args[0])
    start = time.monotonic()
    send_all(s, args[1].encode())
    rd = Reader(s)
    if rd.closed_within(TIMEOUT):
        if rd.buf:
            out(rd.buf if rd.buf.endswith(b"\n") else rd.buf + b"\n")
        out(b"closed_after_ms %d\n" % int((time.monotonic() - start) * 1000))
    else:
        out(b"open\n")
    s.close()


def cmd_hold(args):
    if len(args) != 2:
        die("hold: SOCK SECONDS", 2)
    s = connect(args[0])
    out(b"connected\n")
    rd = Reader(s)
    rd.closed_within(float(args[1]))
    s.close()


def exchange(path, line):
    s = connect(path)
    rd = Reader(s)
    send_all(s, line.encode() + b"\n")
    try:
        resp = rd.line(time.monotonic() + TIMEOUT)
    finally:
        s.close()
    return resp


def cmd_passwd_loop(args):
    budget = until = None
    while len(args) >= 2 and args[0] in ("--budget", "--until"):
        if args[0] == "--budget":
            budget = time.monotonic() + float(args[1])
        else:
            until = args[1]
        args = args[2:]
    if len(args) != 5:
        die("passwd-loop: [--budget S] [--until FILE] SOCK USER PW1 PW2 N", 2)
    path, user, pw, other, n = args[0], args[1], args[2], args[3], int(args[4])
    ok = tried = 0
    for _ in range(n):
        if budget is not None and time.monotonic() >= budget:
            break
        if until is not None and os.path.exists(until):
            break
        tried += 1
        line = json.dumps({"op": "passwd", "username": user, "old_password": pw,
                           "new_password": other}, separators=(",", ":"))
        try:
            resp = exchange(path, line)
        except Timeout:
            sys.stderr.write("passwd-loop: timeout\n")
            continue
        if resp is not None and json.loads(resp).get("ok") is True:
            ok += 1
            pw, other = other, pw
        else:
            sys.stderr.write("passwd-loop: refused: %r\n" % (resp,))
    print(ok, tried)


def cmd_json(args):
    obj = {}
    for a in args:
        k, sep, v = a.partition("=")
        if not sep or not k:
            die("json: KEY=STRING or KEY:=JSON", 2)
        if k.endswith(":"):
            obj[k[:-1]] = json.loads(v)
        else:
            obj[k] = v
    print(json.dumps(obj, separators=(",", ":")))


def cmd_get(args):
    if len(args) != 1:
        die("get: FIELD", 2)
    text = sys.stdin.readline()
    try:
        obj = json.loads(text)
    except ValueError:
        sys.exit(1)
    if not isinstance(obj, dict) or args[0] not in obj:
        sys.exit(1)
    v = obj[args[0]]
    print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))


def cmd_claims(args):
    if len(args) != 1:
        die("claims: FIELD", 2)
    parts = sys.stdin.readline().strip().split(".")
    if len(parts) != 3:
        sys.exit(1)
    p = parts[1] + "=" * (-len(parts[1]) % 4)
    obj = json.loads(base64.urlsafe_b64decode(p))
    if args[0] not in obj:
        sys.exit(1)
    v = obj[args[0]]
    print(v if isinstance(v, str) else json.dumps(v, separators=(",", ":")))


def cmd_activate(args):
    if len(args) < 2:
        die("activate: SOCK CMD...", 2)
    path, cmd = args[0], args[1:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    os.chmod(path, 0o666)
    s.listen(16)
    fd = s.fileno()
    if fd != 3:
        os.dup2(fd, 3)  # dup2 leaves the new descriptor inheritable
        s.close()
    else:
        os.set_inheritable(3, True)
    env = dict(os.environ)
    env["LISTEN_FDS"] = "1"
    env["LISTEN_PID"] = str(os.getpid())  # exec keeps the pid
    os.execve(cmd[0], cmd, env)


def try_connect(path):
    """A connection, or None when the daemon refuses it (accept backlog full)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    try:
        s.connect(path)
    except OSError:
        s.close()
        return None
    return s


def closed_by_peer(s):
    """True when the peer closed s (bytes it sent, e.g. a refusal line, are dropped)."""
    r, _, _ = select.select([s], [], [], 0)
    if not r:
        return False
    try:
        return s.recv(65536, socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def hostile_hold(path, n, end, each_second):
    """Keeps n connections open until end, reopening closed ones; each_second
    is called with the list once a second. Returns how many were reopened."""
    conns = [try_connect(path) for _ in range(n)]
    reopened = 0
    next_tick = time.monotonic()
    while time.monotonic() < end:
        for i, s in enumerate(conns):
            if s is None or closed_by_peer(s):
                if s is not None:
                    s.close()
                    reopened += 1
                conns[i] = try_connect(path)
        if time.monotonic() >= next_tick:
            each_second(conns)
            next_tick += 1.0
        time.sleep(0.05)
    for s in conns:
        if s is not None:
            s.close()
    return reopened


def one_exchange(path, data, quiet, wait_close=True):
    """Sends data on a new connection; returns (first response line or b"",
    closed by the daemon within quiet seconds; False unless wait_close)."""
    s = try_connect(path)
    if s is None:
        return b"", True
    rd = Reader(s)
    for i in range(0, len(data), 8192):
        if not send_all(s, data[i:i + 8192]):
            break
    try:
        resp = rd.line(time.monotonic() + quiet) or b""
    except Timeout:
        resp = b""
    closed = wait_close and rd.closed_within(quiet)
    s.close()
    return resp, closed


def error_of(resp):
    try:
        obj = json.loads(resp)
    except ValueError:
        return "none" if not resp else "garbled"
    if obj.get("ok") is True:
        return "ok"
    if obj.get("error_description") == "too many clients":
        return "refused"  # the connection limit, not an answer to the line
    return str(obj.get("error"))


def tally(counts, key):
    counts[key] = counts.get(key, 0) + 1


def cmd_hostile(args):
    if len(args) < 3:
        die("hostile: KIND SOCK SECONDS [N|USER]", 2)
    kind, path, seconds = args[0], args[1], float(args[2])
    end = time.monotonic() + seconds
    counts = {}
    if kind == "silent":
        counts["reopened"] = hostile_hold(path, int(args[3]), end, lambda conns: None)
    elif kind == "drip":
        half = b'{"op":"login","username":"alice","password":"'
        sent = {}

        def drip(conns):
            for s in conns:
                if s is None:
                    continue
                k = sent.get(id(s), 0)
                if k < len(half) and send_all(s, half[k:k + 1]):
                    sent[id(s)] = k + 1
        counts["reopened"] = hostile_hold(path, int(args[3]), end, drip)
    elif kind in ("oversize", "junk", "badlogin"):
        rnd = random.Random(os.getpid())
        user = args[3] if len(args) > 3 else "alice"
        while time.monotonic() < end:
            if kind == "oversize":
                data = b'{"op":"jwks"}' + b" " * (65537 - 14) + b"\n"
            elif kind == "junk":
                data = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(1, 600)))
                data = data.replace(b"\n", b"\x00") + b"\n"
            else:
                # mostly the known name (the delay answers at once), now and
                # then an unknown one (a dummy hash on a worker)
                name = user if rnd.random() < 0.9 else "nobody%06d" % rnd.randrange(10 ** 6)
                data = json.dumps({"op": "login", "username": name,
                                   "password": "wrong-%d" % rnd.randrange(10 ** 9)}).encode() + b"\n"
            resp, closed = one_exchange(path, data, 0.1 if kind == "badlogin" else 2.0,
                                        kind == "oversize")
            tally(counts, error_of(resp))
            if closed:
                tally(counts, "closed")
    elif kind == "delayed":
        # N connections at once, each a failed login for a new unknown name
        # (a hash on a worker, then the login delay), waiting for its answer:
        # every slot it holds is busy, none silent.
        import threading
        lock = threading.Lock()

        def loop(i):
            rnd = random.Random(os.getpid() * 1000 + i)
            while time.monotonic() < end:
                data = json.dumps({"op": "login", "username": "nobody%06d" % rnd.randrange(10 ** 6),
                                   "password": "wrong"}).encode() + b"\n"
                resp, _ = one_exchange(path, data, 10.0, False)
                with lock:
                    tally(counts, error_of(resp))
        threads = [threading.Thread(target=loop, args=(i,)) for i in range(int(args[3]))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    else:
        die("hostile: unknown kind %s" % kind, 2)
    out((kind + " " + " ".join("%s=%d" % kv for kv in sorted(counts.items())) + "\n").encode())


def cmd_refresh_loop(args):
    if len(args) != 3:
        die("refresh-loop: SOCK TOKEN SECONDS", 2)
    path, token, seconds = args[0], args[1], float(args[2])
    end = time.monotonic() + seconds
    line = json.dumps({"op": "refresh", "refresh_token": token}, separators=(",", ":"))
    times = []
    failed = 0
    while time.monotonic() < end:
        start = time.monotonic()
        resp = None
        s = try_connect(path)
        if s is not None:
            send_all(s, line.encode() + b"\n")
            try:
                resp = Reader(s).line(start + TIMEOUT)
            except Timeout:
                pass
            s.close()
        if resp is not None and error_of(resp) == "ok":
            times.append((time.monotonic() - start) * 1000)
        else:
            failed += 1
            sys.stderr.write("refresh-loop: failed: %r\n" % (resp,))
        time.sleep(0.01)
    times.sort()

    def pct(p):
        return times[min(len(times) - 1, int(len(times) * p))] if times else -1
    out(b"good %d failed %d p50_ms %.1f p99_ms %.1f max_ms %.1f\n"
        % (len(times), failed, pct(0.5), pct(0.99), times[-1] if times else -1))


def main(argv):
    global TIMEOUT
    args = argv[1:]
    if len(args) >= 2 and args[0] == "--timeout":
        TIMEOUT = float(args[1])
        args = args[2:]
    if not args:
        die(__doc__, 2)
    verbs = {
        "send": cmd_send, "bytes": cmd_bytes, "oversize": cmd_oversize, "half": cmd_half,
        "stall": cmd_stall, "hold": cmd_hold, "passwd-loop": cmd_passwd_loop, "json": cmd_json,
        "get": cmd_get, "claims": cmd_claims, "activate": cmd_activate,
        "hostile": cmd_hostile, "refresh-loop": cmd_refresh_loop,
    }
    if args[0] not in verbs:
        die("unknown verb %s" % args[0], 2)
    verbs[args[0]](args[1:])


if __name__ == "__main__":
    main(sys.argv)

# SPDX-License-Identifier: MIT
"""Small helpers for the e2e tests (never installed); the shell cannot do these.

usage: e2e_tool.py port                         print a free TCP port on 127.0.0.1
       e2e_tool.py sink SOCKET OUTFILE          a syslog receiver: bind SOCKET (datagrams),
                                                append each message as one line to OUTFILE
       e2e_tool.py hs256 KEYFILE PAYLOAD_JSON   a refresh-typed token (HS256, typ rt+jwt) signed
                                                with the 32-byte secret in KEYFILE (base64url)
       e2e_tool.py jwks-merge OUT IN...         one JWK Set holding the keys of every IN
       e2e_tool.py claim NAME <TOKEN            print one claim of the token (unverified)
"""
import base64
import hashlib
import hmac
import json
import os
import socket
import sys


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def free_port():
    # The port is free now; sshd binds it a moment later. A clash shows as a
    # failed start with its own message, never as a hang.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])


def sink(path, out):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    # Every process logs here, including sudo's askpass child as the user.
    os.chmod(path, 0o666)
    with open(out, "ab", buffering=0) as f:
        while True:
            data = s.recv(65536)
            f.write(data.rstrip(b"\0\n").replace(b"\n", b" ") + b"\n")


def hs256(keyfile, payload):
    with open(keyfile, "rb") as f:
        text = f.read().strip()
    key = base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))
    header = json.dumps({"alg": "HS256", "typ": "rt+jwt"}, separators=(",", ":"))
    signing_input = b64url(header.encode()) + "." + b64url(payload.encode())
    sig = hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()
    print(signing_input + "." + b64url(sig))


def jwks_merge(out, inputs):
    keys = []
    for path in inputs:
        with open(path, encoding="utf-8") as f:
            keys.extend(json.load(f)["keys"])
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"keys": keys}, f)
        f.write("\n")


def claim(name):
    """Prints claim NAME of the token on stdin (no verification), or nothing."""
    token = sys.stdin.read().strip()
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    value = claims.get(name)
    if value is not None:
        print(value if isinstance(value, str) else json.dumps(value))


def main(argv):
    if len(argv) == 2 and argv[1] == "port":
        free_port()
    elif len(argv) == 4 and argv[1] == "sink":
        sink(argv[2], argv[3])
    elif len(argv) == 4 and argv[1] == "hs256":
        hs256(argv[2], argv[3])
    elif len(argv) == 3 and argv[1] == "claim":
        claim(argv[2])
    elif len(argv) >= 4 and argv[1] == "jwks-merge":
        jwks_merge(argv[2], argv[3:])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

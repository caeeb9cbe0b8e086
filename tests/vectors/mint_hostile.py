# SPDX-License-Identifier: MIT
"""Mints the hostile-token catalogue of test_hostile.sh into a directory.

Headers, payloads and signatures are built by hand (only `cryptography` is
used, for the raw signatures), so any malformed or malicious token can be
produced. Every token is minted relative to the current time.

Usage: mint_hostile.py OUTDIR

Writes OUTDIR/jwks.json (the verifier's key set), OUTDIR/pam_jwt.conf, and
per case N: OUTDIR/cases/N.token (the exact bytes), N.want (the one line
`jwt-helper verify` must print) and one line of OUTDIR/cases/index:
"N<TAB>exit<TAB>mode<TAB>args<TAB>name", where mode is "arg" or "stdin" and
args are extra verify arguments joined by commas ("-" for none).
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

ISSUER = "https://issuer.hostile.test"
AUDIENCE = "pam-hostile"
USER = "alice"
NOW = int(time.time())
MAX_TOKEN_LEN = 8192
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(value, size):
    return b64(value.to_bytes(size, "big"))


def json_bytes(obj):
    if isinstance(obj, (bytes, bytearray)):
        return bytes(obj)
    return json.dumps(obj, separators=(",", ":")).encode()


class Keys:
    """The verifier's key set: one key per family plus a refused RSA-1024."""

    def __init__(self):
        self.ed = ed25519.Ed25519PrivateKey.generate()
        self.p256 = ec.generate_private_key(ec.SECP256R1())
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.rsa1024 = rsa.generate_private_key(public_exponent=65537, key_size=1024)
        self.stranger = ed25519.Ed25519PrivateKey.generate()

    def jwks(self):
        ed_x = self.ed.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        p = self.p256.public_key().public_numbers()
        keys = [
            {"kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": b64(ed_x)},
            {"kty": "EC", "crv": "P-256", "kid": "p256", "x": uint(p.x, 32), "y": uint(p.y, 32)},
            rsa_jwk(self.rsa, "rsa"),
            rsa_jwk(self.rsa1024, "rsa1024"),
        ]
        return {"keys": keys}


def rsa_jwk(key, kid):
    n = key.public_key().public_numbers()
    return {"kty": "RSA", "kid": kid, "n": uint(n.n, (n.n.bit_length() + 7) // 8),
            "e": uint(n.e, 3)}


def sign(alg, key, msg):
    """Signs msg the JOSE way (raw r||s for ECDSA)."""
    if alg == "EdDSA":
        return key.sign(msg)
    if alg == "ES256":
        r, s = utils.decode_dss_signature(key.sign(msg, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    if alg == "RS256":
        return key.sign(msg, padding.PKCS1v15(), hashes.SHA256())
    if alg == "PS256":
        return key.sign(msg, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
    raise ValueError(alg)


def claims(**over):
    """A valid access-token claims set, with overrides (None removes)."""
    c = {"iss": ISSUER, "sub": USER, "aud": AUDIENCE, "iat": NOW - 10, "exp": NOW + 300,
         "jti": b64(os.urandom(16)), "scope": "ssh"}
    for name, value in over.items():
        if value is None:
            c.pop(name, None)
        else:
            c[name] = value
    return c


class Catalogue:
    def __init__(self, outdir, keys):
        self.dir = os.path.join(outdir, "cases")
        os.makedirs(self.dir, exist_ok=True)
        self.keys = keys
        self.index = []

    def signed(self, header, payload, key=None, alg=None):
        """header/payload: dicts or raw bytes; key defaults from the header's alg."""
        h = json_bytes(header)
        p = json_bytes(payload)
        if alg is None:
            alg = header["alg"]
        if key is None:
            key = {"EdDSA": self.keys.ed, "ES256": self.keys.p256,
                   "RS256": self.keys.rsa, "PS256": self.keys.rsa}[alg]
        si = b64(h) + "." + b64(p)
        return si + "." + b64(sign(alg, key, si.encode()))

    def ed(self, payload=None, **header):
        hdr = {"alg": "EdDSA", "typ": "at+jwt", "kid": "ed"}
        hdr.update(header)
        return self.signed(hdr, claims() if payload is None else payload)

    def add(self, name, token, want, args=(), mode="arg"):
        n = len(self.index) + 1
        raw = token.encode() if isinstance(token, str) else token
        with open(os.path.join(self.dir, "%d.token" % n), "wb") as f:
            f.write(raw)
        with open(os.path.join(self.dir, "%d.want" % n), "w") as f:
            f.write(want + "\n")
        code = 0 if want.startswith("accepted: ") else 1
        self.index.append("%d\t%d\t%s\t%s\t%s" % (n, code, mode, ",".join(args) or "-", name))

    def reject(self, name, token, reason, args=(), mode="arg"):
        self.add(name, token, "rejected: " + reason, args, mode)

    def accept(self, name, token, c, args=(), mode="arg"):
        self.add(name, token, "accepted: sub=%s exp=%d scope=%s" % (c["sub"], c["exp"], c["scope"]),
                 args, mode)

    def write_index(self):
        with open(os.path.join(self.dir, "index"), "w") as f:
            f.write("\n".join(self.index) + "\n")


def hs256(secret, header, payload):
    si = b64(json_bytes(header)) + "." + b64(json_bytes(payload))
    return si + "." + b64(hmac.new(secret, si.encode(), hashlib.sha256).digest())


def with_segment(token, index, value):
    parts = token.split(".")
    parts[index] = value
    return ".".join(parts)


def sig_with(cat, pred):
    """An EdDSA token whose signature satisfies pred (re-minted with a new jti)."""
    for _ in range(1000):
        tok = cat.ed()
        if pred(tok.split(".")[2]):
            return tok
    raise RuntimeError("no signature found")


def add_controls(cat):
    """Tokens that must pass: proof the harness can say "accepted"."""
    for alg, kid in (("EdDSA", "ed"), ("ES256", "p256"), ("RS256", "rsa"), ("PS256", "rsa")):
        c = claims()
        cat.accept("control: valid %s token" % alg,
                   cat.signed({"alg": alg, "typ": "at+jwt", "kid": kid}, c), c)
    c = claims()
    cat.accept("control: no typ counts as JWT", cat.signed({"alg": "EdDSA", "kid": "ed"}, c), c)
    c = claims()
    cat.accept("control: typ application/AT+JWT", cat.ed(c, typ="application/AT+JWT"), c)
    c = claims(iat=NOW - 400, exp=NOW - 30)
    cat.accept("control: exp 30 s ago is within the leeway", cat.ed(c), c)
    c = claims(aud=["other", AUDIENCE])
    cat.accept("control: aud array holding ours", cat.ed(c), c)
    c = claims(scope="ssh sudo")
    cat.accept("control: scope \"ssh sudo\" grants sudo", cat.ed(c), c, ("--scope", "sudo"))
    c = claims()
    cat.accept("control: --user matching sub", cat.ed(c), c, ("--user", USER))
    c = claims()
    cat.accept("control: stdin token with one trailing newline", cat.ed(c) + "\n", c, mode="stdin")
    c = claims()
    tok = cat.ed(c)
    cat.accept("control: stdin token without newline", tok, c, mode="stdin")


def add_alg_attacks(cat):
    c = claims()
    for name in ("none", "None", "NONE"):
        cat.reject("alg %s, empty signature" % name,
                   b64(json_bytes({"alg": name, "typ": "at+jwt"})) + "." + b64(json_bytes(c)) + ".",
                   "alg not allowed")
    cat.reject("alg none with a real signature copied in",
               with_segment(cat.ed(c), 0, b64(json_bytes({"alg": "none", "kid": "ed"}))),
               "alg not allowed")
    pem = cat.keys.rsa.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    cat.reject("HS256 keyed with the public key's PEM text",
               hs256(pem, {"alg": "HS256", "typ": "at+jwt", "kid": "rsa"}, c), "alg not allowed")
    jwk_text = json_bytes(rsa_jwk(cat.keys.rsa, "rsa"))
    cat.reject("HS256 keyed with the JWK JSON text",
               hs256(jwk_text, {"alg": "HS256", "typ": "at+jwt", "kid": "rsa"}, c), "alg not allowed")
    cat.reject("alg eddsa (wrong case)", cat.signed({"alg": "eddsa", "kid": "ed"}, c, alg="EdDSA"),
               "alg not allowed")
    cat.reject("alg ES512", cat.signed({"alg": "ES512", "kid": "p256"}, c, alg="ES256"),
               "alg not allowed")
    cat.reject("alg missing", cat.signed({"typ": "at+jwt", "kid": "ed"}, c, alg="EdDSA"),
               "alg missing")


def add_signature_attacks(cat):
    c = claims()
    es = cat.signed({"alg": "ES256", "typ": "at+jwt", "kid": "p256"}, c)
    cat.reject("ES256 r = s = 0 (CVE-2022-21449)", with_segment(es, 2, b64(bytes(64))),
               "bad signature")
    cat.reject("ES256 s = n (out of range)",
               with_segment(es, 2, b64(bytes(31) + b"\x01" + P256_ORDER.to_bytes(32, "big"))),
               "bad signature")
    r, s = [int.from_bytes(x, "big") for x in (lambda b: (b[:32], b[32:]))(
        base64.urlsafe_b64decode(es.split(".")[2] + "=="))]
    cat.reject("ES256 DER-encoded signature", with_segment(es, 2, b64(utils.encode_dss_signature(r, s))),
               "bad signature length")
    ed = cat.ed(c)
    sig = base64.urlsafe_b64decode(ed.split(".")[2] + "==")
    cat.reject("EdDSA signature of 63 bytes", with_segment(ed, 2, b64(sig[:63])), "bad signature length")
    cat.reject("EdDSA signature of 65 bytes", with_segment(ed, 2, b64(sig + b"\0")), "bad signature length")
    rs = cat.signed({"alg": "RS256", "typ": "at+jwt", "kid": "rsa"}, c)
    rsig = base64.urlsafe_b64decode(rs.split(".")[2] + "==")
    cat.reject("RS256 signature one byte short", with_segment(rs, 2, b64(rsig[1:])),
               "bad signature length")
    cat.reject("payload changed after signing",
               with_segment(ed, 1, b64(json_bytes(claims(sub="root")))), "bad signature")
    cat.reject("signed by a key outside the set, kid of ours",
               cat.signed({"alg": "EdDSA", "typ": "at+jwt", "kid": "ed"}, c, key=cat.keys.stranger),
               "bad signature")
    cat.reject("kid of the refused RSA-1024 key",
               cat.signed({"alg": "RS256", "typ": "at+jwt", "kid": "rsa1024"}, c, key=cat.keys.rsa1024),
               "key not usable")
    cat.reject("kid of an EC key for alg EdDSA", cat.ed(c, kid="p256"), "key does not fit alg")
    cat.reject("kid of an RSA key for alg ES256",
               cat.signed({"alg": "ES256", "typ": "at+jwt", "kid": "rsa"}, c), "key does not fit alg")
    cat.reject("unknown kid", cat.ed(c, kid="nobody"), "no matching key")


def add_shape_attacks(cat):
    tok = cat.ed()
    h, p, s = tok.split(".")
    cat.reject("two segments", h + "." + p, "not three segments")
    cat.reject("four segments", tok + "." + s, "not three segments")
    cat.reject("five segments", tok + "." + p + "." + s, "not three segments")
    cat.reject("trailing dot", tok + ".", "not three segments")
    cat.reject("empty header segment", "." + p + "." + s, "not three segments")
    cat.reject("empty payload segment", h + ".." + s, "not three segments")
    cat.reject("just two dots", "..", "not three segments")
    cat.reject("padded signature ('==' appended)", tok + "==", "bad base64url")
    cat.reject("padded header ('=' appended)", h + "=." + p + "." + s, "bad base64url")
    plus = sig_with(cat, lambda x: "-" in x)
    cat.reject("'+' instead of '-' in the signature",
               with_segment(plus, 2, plus.split(".")[2].replace("-", "+")), "bad base64url")
    slash = sig_with(cat, lambda x: "_" in x)
    cat.reject("'/' instead of '_' in the signature",
               with_segment(slash, 2, slash.split(".")[2].replace("_", "/")), "bad base64url")
    # the signature covers the payload segment as sent, so the payload is
    # decoded (and its base64url judged) only after the signature verified
    spaced = h + "." + p[:10] + " " + p[10:]
    cat.reject("space inside the payload, signed as it is", spaced + "." + b64(
        sign("EdDSA", cat.keys.ed, spaced.encode())), "bad base64url")
    cat.reject("space inserted into the payload after signing", spaced + "." + s, "bad signature")
    padded = h + "." + p + "="
    cat.reject("padded payload, signed as it is", padded + "." + b64(
        sign("EdDSA", cat.keys.ed, padded.encode())), "bad base64url")
    cat.reject("tab inside the header", h[:5] + "\t" + h[5:] + "." + p + "." + s, "bad base64url")
    cat.reject("newline inside the signature", h + "." + p + "." + s[:20] + "\n" + s[20:],
               "bad base64url")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    # 64 bytes -> 86 characters: the last one carries 4 unused bits that must be 0
    last = alphabet[alphabet.index(s[-1]) | 1]
    cat.reject("non-canonical trailing bits in the signature", h + "." + p + "." + s[:-1] + last,
               "bad base64url")
    cat.reject("empty token", "", "empty token")


def add_header_attacks(cat):
    c = claims()
    dup = b'{"alg":"EdDSA","typ":"at+jwt","kid":"ed","kid":"p256"}'
    cat.reject("duplicate kid in the header", cat.signed(dup, c, alg="EdDSA"), "malformed JSON")
    cat.reject("header not JSON", cat.signed(b"alg=EdDSA", c, alg="EdDSA"), "malformed JSON")
    cat.reject("header a JSON array", cat.signed(b'["EdDSA"]', c, alg="EdDSA"), "bad header")
    cat.reject("kid a number", cat.signed({"alg": "EdDSA", "kid": 5}, c), "bad header")
    cat.reject("crit [\"exp\"]", cat.ed(c, crit=["exp"]), "crit not supported")
    cat.reject("b64 false", cat.ed(c, b64=False), "b64 not supported")
    ed_jwk = cat.keys.jwks()["keys"][0]
    cat.reject("embedded jwk", cat.ed(c, jwk=ed_jwk), "header carries a key")
    cat.reject("jku", cat.ed(c, jku="https://attacker.example/jwks.json"), "header carries a key")
    cat.reject("x5u", cat.ed(c, x5u="https://attacker.example/cert.pem"), "header carries a key")
    cat.reject("x5c", cat.ed(c, x5c=[b64(b"not a certificate")]), "header carries a key")
    cat.reject("typ rt+jwt (a refresh token)", cat.ed(c, typ="rt+jwt"), "typ not accepted")
    cat.reject("typ foo", cat.ed(c, typ="foo"), "typ not accepted")


def add_payload_attacks(cat):
    dup = b'{"iss":"%s","sub":"root","sub":"%s","aud":"%s","exp":%d,"iat":%d,"scope":"ssh"}' % (
        ISSUER.encode(), USER.encode(), AUDIENCE.encode(), NOW + 300, NOW)
    cat.reject("duplicate sub in the payload", cat.signed({"alg": "EdDSA", "kid": "ed"}, dup),
               "malformed JSON")
    bad_utf8 = json_bytes(claims(scope="ssh")).replace(b'"ssh"', b'"ss\xff"')
    cat.reject("invalid UTF-8 in the payload", cat.signed({"alg": "EdDSA", "kid": "ed"}, bad_utf8),
               "malformed JSON")
    cat.reject("payload a JSON array", cat.ed(["alice"]), "payload is not a JSON object")
    cat.reject("expired an hour ago", cat.ed(claims(iat=NOW - 3700, exp=NOW - 3600)), "expired")
    cat.reject("nbf 10 minutes ahead", cat.ed(claims(nbf=NOW + 600)), "not yet valid")
    cat.reject("iat 10 minutes ahead", cat.ed(claims(iat=NOW + 600, exp=NOW + 900)),
               "issued in the future")
    cat.reject("exp - iat of two hours", cat.ed(claims(iat=NOW, exp=NOW + 7200)),
               "lifetime exceeds max_lifetime")
    cat.reject("no exp", cat.ed(claims(exp=None)), "exp missing")
    cat.reject("exp a string", cat.ed(claims(exp=str(NOW + 300))), "claim of wrong type")
    raw = json_bytes(claims(exp=NOW + 300))
    for text in (b"1.5", b"1e400", b"9223372036854775808"):
        cat.reject("exp written %s" % text.decode(),
                   cat.signed({"alg": "EdDSA", "kid": "ed"},
                              raw.replace(b'"exp":%d' % (NOW + 300), b'"exp":' + text)),
                   "claim of wrong type")
    cat.reject("sub a number", cat.ed(claims(sub=5)), "claim of wrong type")
    cat.reject("aud another audience", cat.ed(claims(aud="other")), "wrong audience")
    cat.reject("aud array without ours", cat.ed(claims(aud=["other", "pam"])), "wrong audience")
    cat.reject("iss another issuer", cat.ed(claims(iss="https://evil.test")), "wrong issuer")
    cat.reject("sub another user", cat.ed(claims()), "wrong user", ("--user", "bob"))
    cat.reject("scope sudoers is not sudo", cat.ed(claims(scope="sudoers")), "scope not granted",
               ("--scope", "sudo"))
    cat.reject("nonce: an ID token", cat.ed(claims(nonce="n-0S6_WzA2Mj")),
               "ID token, not an access token")
    cat.reject("at_hash: an ID token", cat.ed(claims(at_hash="77QmUPtjPfzWtF2AnpK9RQ")),
               "ID token, not an access token")


def padded_token(cat, total):
    """A valid EdDSA token of exactly total bytes: a filler claim sized to fit,
    and blanks in the header JSON for the lengths base64url cannot reach."""
    for blanks in range(0, 3):
        header = b'{"alg":"EdDSA",%s"typ":"at+jwt","kid":"ed"}' % (b" " * blanks)
        for fill in range(max(0, total * 3 // 4 - 400), total):
            c = claims(x="y" * fill)
            tok = cat.signed(header, c, alg="EdDSA")
            if len(tok) == total:
                return tok, c
            if len(tok) > total:
                break
    raise RuntimeError("cannot size a token to %d bytes" % total)


def add_length_cases(cat):
    tok, c = padded_token(cat, MAX_TOKEN_LEN)
    cat.accept("control: token of exactly max_token_len bytes", tok, c)
    cat.accept("control: max_token_len bytes and a newline on stdin", tok + "\n", c, mode="stdin")
    tok, c = padded_token(cat, MAX_TOKEN_LEN + 1)
    cat.reject("token one byte over max_token_len", tok,
               "token length %d exceeds max_token_len %d" % (MAX_TOKEN_LEN + 1, MAX_TOKEN_LEN))
    cat.reject("stdin token with two trailing newlines", cat.ed() + "\n\n", "bad base64url",
               mode="stdin")


def main():
    outdir = sys.argv[1]
    keys = Keys()
    with open(os.path.join(outdir, "jwks.json"), "w") as f:
        json.dump(keys.jwks(), f)
    with open(os.path.join(outdir, "pam_jwt.conf"), "w") as f:
        f.write("# written by mint_hostile.py\n")
        f.write("jwks = %s\n" % os.path.join(outdir, "jwks.json"))
        f.write("issuer = %s\naudience = %s\n" % (ISSUER, AUDIENCE))
    cat = Catalogue(outdir, keys)
    add_controls(cat)
    add_alg_attacks(cat)
    add_signature_attacks(cat)
    add_shape_attacks(cat)
    add_header_attacks(cat)
    add_payload_attacks(cat)
    add_length_cases(cat)
    cat.write_index()


if __name__ == "__main__":
    main()

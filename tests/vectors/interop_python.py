# SPDX-License-Identifier: MIT
"""The Python side of test_interop_python.sh: PyJWT and jwcrypto sign tokens
for our verifier, and verify tokens our signer made.

  interop_python.py mint OUTDIR
      keys for every access-token alg, OUTDIR/jwks.json, OUTDIR/pam_jwt.conf
      and a case catalogue in OUTDIR/cases (format of cases.sh).
  interop_python.py judge JWKS TOKEN ISSUER AUDIENCE
      PyJWT and jwcrypto verify TOKEN (ours) with the key of JWKS its kid
      names, and a twin with another payload and one for another audience;
      prints one line per check: "STATUS<TAB>description<TAB>detail",
      STATUS 0 when the library did what it must.
  interop_python.py sign SIGNING_JWK CLAIMS_JSON OUTPREFIX
      writes OUTPREFIX.ours, a token signed by jwcrypto with our private
      JWK (alg and kid from it), and OUTPREFIX.stranger, signed under our
      kid by a fresh key of the same type and size.

Python starts slowly here, so each call does a whole batch of work.
"""
import base64
import json
import os
import sys
import time

import jwt as pyjwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwcrypto import jwk as jjwk
from jwcrypto import jwt as jjwt

ISSUER = "https://issuer.interop.test"
AUDIENCE = "pam-interop"
ALGS = ("EdDSA", "ES256", "ES384", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512")


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_key(alg):
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if alg == "ES384":
        return ec.generate_private_key(ec.SECP384R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def claims(sub, **over):
    now = int(time.time())
    c = {"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "iat": now, "exp": now + 300,
         "jti": b64(os.urandom(16)), "scope": "ssh"}
    c.update(over)
    return c


def pyjwt_sign(key, alg, kid, c):
    tok = pyjwt.encode(c, key, algorithm=alg, headers={"kid": kid, "typ": "at+jwt"})
    return tok.decode() if isinstance(tok, bytes) else tok


def jwcrypto_sign(key, alg, kid, c):
    t = jjwt.JWT(header={"alg": alg, "kid": kid, "typ": "at+jwt"}, claims=c)
    t.make_signed_token(key)
    return t.serialize()


def flip_middle(segment):
    mid = len(segment) // 2
    return segment[:mid] + ("B" if segment[mid] == "A" else "A") + segment[mid + 1:]


class Cases:
    def __init__(self, outdir):
        self.dir = os.path.join(outdir, "cases")
        os.makedirs(self.dir, exist_ok=True)
        self.index = []

    def add(self, name, token, want):
        n = len(self.index) + 1
        with open(os.path.join(self.dir, "%d.token" % n), "w") as f:
            f.write(token)
        with open(os.path.join(self.dir, "%d.want" % n), "w") as f:
            f.write(want + "\n")
        code = 0 if want.startswith("accepted: ") else 1
        self.index.append("%d\t%d\targ\t-\t%s" % (n, code, name))

    def accept(self, name, token, c):
        self.add(name, token, "accepted: sub=%s exp=%d scope=%s" % (c["sub"], c["exp"], c["scope"]))

    def write(self):
        with open(os.path.join(self.dir, "index"), "w") as f:
            f.write("\n".join(self.index) + "\n")


def mint_alg(cases, alg, key):
    kid = "interop-" + alg.lower()
    jkey = jjwk.JWK.from_pyca(key)
    c = claims("py-" + alg.lower())
    tok = pyjwt_sign(key, alg, kid, c)
    cases.accept("PyJWT %s token" % alg, tok, c)
    h, _, s = tok.split(".")
    forged = b64(json.dumps(claims("root"), separators=(",", ":")).encode())
    cases.add("PyJWT %s token, payload changed" % alg, h + "." + forged + "." + s,
              "rejected: bad signature")
    cases.add("PyJWT %s token for another audience" % alg,
              pyjwt_sign(key, alg, kid, claims("py", aud="pam-elsewhere")), "rejected: wrong audience")
    c = claims("jwcrypto-" + alg.lower())
    tok = jwcrypto_sign(jkey, alg, kid, c)
    cases.accept("jwcrypto %s token" % alg, tok, c)
    h, p, s = tok.split(".")
    cases.add("jwcrypto %s token, signature character changed" % alg,
              h + "." + p + "." + flip_middle(s), "rejected: bad signature")
    pub = json.loads(jkey.export_public())
    pub.update({"kid": kid, "alg": alg, "use": "sig"})
    return pub


def mint(outdir):
    cases = Cases(outdir)
    keys = [mint_alg(cases, alg, new_key(alg)) for alg in ALGS]
    with open(os.path.join(outdir, "jwks.json"), "w") as f:
        json.dump({"keys": keys}, f)
    with open(os.path.join(outdir, "pam_jwt.conf"), "w") as f:
        f.write("jwks = %s\nissuer = %s\naudience = %s\n"
                % (os.path.join(outdir, "jwks.json"), ISSUER, AUDIENCE))
    cases.write()


def key_for(jwks_path, token):
    kid = pyjwt.get_unverified_header(token).get("kid")
    with open(jwks_path) as f:
        for k in json.load(f)["keys"]:
            if k.get("kid") == kid:
                return k
    raise LookupError("no key with kid %r" % kid)


def pyjwt_verify(jwks_path, token, issuer, audience):
    k = pyjwt.PyJWK(key_for(jwks_path, token))
    alg = pyjwt.get_unverified_header(token)["alg"]
    c = pyjwt.decode(token, k.key, algorithms=[alg], issuer=issuer, audience=audience,
                     options={"require": ["exp", "iat", "sub"]})
    return c["sub"]


def jwcrypto_verify(jwks_path, token, issuer, audience):
    k = jjwk.JWK(**key_for(jwks_path, token))
    t = jjwt.JWT(jwt=token, key=k, check_claims={"iss": issuer, "aud": audience, "exp": None})
    return json.loads(t.claims)["sub"]


def rsa_bits(jwk):
    """The modulus size of an RSA JWK, so a stranger's signature has our length."""
    n = base64.urlsafe_b64decode(jwk["n"] + "=" * (-len(jwk["n"]) % 4))
    return len(n.lstrip(b"\0")) * 8


def sign(jwk_path, claims_json, stranger):
    with open(jwk_path) as f:
        priv = json.load(f)
    key = jjwk.JWK(**priv)
    if stranger:
        fresh = {"OKP": lambda: jjwk.JWK.generate(kty="OKP", crv="Ed25519"),
                 "EC": lambda: jjwk.JWK.generate(kty="EC", crv=priv.get("crv")),
                 "RSA": lambda: jjwk.JWK.generate(kty="RSA", size=rsa_bits(priv))}
        key = fresh[priv["kty"]]()
    return jwcrypto_sign(key, priv["alg"], priv["kid"], json.loads(claims_json))


def judge(jwks_path, token, issuer, audience):
    h, p, sig = token.split(".")
    c = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    c["sub"] = "root"
    tampered = h + "." + b64(json.dumps(c, separators=(",", ":")).encode()) + "." + sig
    checks = (
        ("PyJWT accepts our token (key from our jwks.json)", pyjwt_verify, token, audience, True),
        ("jwcrypto accepts our token", jwcrypto_verify, token, audience, True),
        ("PyJWT rejects our token with another payload", pyjwt_verify, tampered, audience, False),
        ("jwcrypto rejects our token with another payload", jwcrypto_verify, tampered, audience,
         False),
        ("PyJWT rejects our token for another audience", pyjwt_verify, token, "pam-elsewhere",
         False),
    )
    for name, fn, tok, aud, want in checks:
        try:
            detail = "accepted, sub " + fn(jwks_path, tok, issuer, aud)
            ok = want
        except Exception as e:  # any refusal of the library is a rejection
            detail = "rejected: %s: %s" % (type(e).__name__, e)
            ok = not want
        print("%d\t%s\t%s" % (0 if ok else 1, name, detail.replace("\n", " ")))


def sign_both(jwk_path, claims_json, prefix):
    for which in ("ours", "stranger"):
        with open(prefix + "." + which, "w") as f:
            f.write(sign(jwk_path, claims_json, which == "stranger"))


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "mint" and len(argv) == 3:
        mint(argv[2])
        return 0
    if cmd == "judge" and len(argv) == 6:
        judge(*argv[2:6])
        return 0
    if cmd == "sign" and len(argv) == 5:
        sign_both(*argv[2:5])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

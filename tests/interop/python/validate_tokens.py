"""Validate Tessera access tokens locally with PyJWT through the JWKS, as an API would.

Exactly the pattern integrators use (`jwt.PyJWKClient(jwks_url)` then
`jwt.decode(token, key, algorithms=["RS256"], audience=..., issuer=...)`), plus the RFC 9068
header check `typ: at+jwt`. It also forges tokens that must be refused: a tampered payload, a
tampered signature, HS256 signed with the public key as the HMAC secret, `alg: none`, an
unknown `kid`, the wrong audience or issuer, and an ID token offered as an access token.

Env: TESSERA_ISSUER, TESSERA_AUDIENCE (the product's API audience),
     TESSERA_USER_ACCESS_TOKEN, TESSERA_SERVICE_ACCESS_TOKEN (client_credentials),
     TESSERA_ID_TOKEN and TESSERA_WEB_CLIENT_ID (its audience).
Prints one JSON object on stdout; exit code 1 when something unexpected happened.
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import traceback
import urllib.request

import cryptography
import jwt
from cryptography.hazmat.primitives import serialization


class NotAnAccessToken(Exception):
    """The JWS verified, but its header does not say `typ: at+jwt` (RFC 9068)."""


def env(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"environment variable {name} is not set")
    return value


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(segment):
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def jws(header, claims, signature=b""):
    head = b64url(json.dumps(header, separators=(",", ":")).encode())
    body = b64url(json.dumps(claims, separators=(",", ":")).encode())
    return f"{head}.{body}.{b64url(signature)}"


class Validator:
    def __init__(self, issuer):
        self.issuer = issuer
        with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration", timeout=10) as r:
            self.discovery = json.load(r)
        self.jwks_uri = self.discovery["jwks_uri"]
        self.jwks_client = jwt.PyJWKClient(self.jwks_uri)

    def validate(self, token, audience, issuer=None):
        """Signature, alg, exp/iat, iss and aud through PyJWT, then the access-token typ."""
        signing_key = self.jwks_client.get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            signing_key.key,
            algorithms=["RS256"],
            audience=audience,
            issuer=issuer or self.issuer,
            options={"require": ["exp", "iat", "iss", "sub", "aud"]},
        )
        header = jwt.get_unverified_header(token)
        if str(header.get("typ", "")).lower() not in ("at+jwt", "application/at+jwt"):
            raise NotAnAccessToken(f"typ is {header.get('typ')!r}, not at+jwt")
        for claim in ("jti", "client_id"):  # RFC 9068 section 2.2
            if claim not in claims:
                raise jwt.MissingRequiredClaimError(claim)
        return header, claims


def refused(fn):
    """Runs fn, which must raise; returns what it raised (or refused: false)."""
    try:
        fn()
    except Exception as err:  # noqa: BLE001 - we report every refusal by its class
        return {"refused": True, "error": type(err).__name__, "message": str(err)}
    return {"refused": False}


def main():
    issuer = env("TESSERA_ISSUER")
    audience = env("TESSERA_AUDIENCE")
    user_token = env("TESSERA_USER_ACCESS_TOKEN")
    service_token = env("TESSERA_SERVICE_ACCESS_TOKEN")
    id_token = env("TESSERA_ID_TOKEN")
    web_client_id = env("TESSERA_WEB_CLIENT_ID")

    v = Validator(issuer)
    with urllib.request.urlopen(v.jwks_uri, timeout=10) as r:
        jwks = json.load(r)

    valid = {}
    for name, token in (("user", user_token), ("service", service_token)):
        header, claims = v.validate(token, audience)
        valid[name] = {"header": header, "claims": claims}

    head_b64, body_b64, sig_b64 = user_token.split(".")
    header = b64url_json(head_b64)
    claims = b64url_json(body_b64)

    # The same claims with another subject, keeping the genuine signature.
    tampered_claims = dict(claims, sub="someone-else")
    tampered_payload = f"{head_b64}.{b64url(json.dumps(tampered_claims).encode())}.{sig_b64}"
    # The genuine header and payload with one signature byte changed.
    sig = bytearray(base64.urlsafe_b64decode(sig_b64 + "=" * (-len(sig_b64) % 4)))
    sig[len(sig) // 2] ^= 0x01
    tampered_signature = f"{head_b64}.{body_b64}.{b64url(bytes(sig))}"

    # The classic key-confusion forgery: HS256 with the RSA public key (PEM) as HMAC secret.
    public_pem = v.jwks_client.get_signing_key(header["kid"]).key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    hs_header = {"alg": "HS256", "typ": "at+jwt", "kid": header["kid"]}
    hs_unsigned = jws(hs_header, claims).rsplit(".", 1)[0]
    hs256 = f"{hs_unsigned}.{b64url(hmac.new(public_pem, hs_unsigned.encode(), hashlib.sha256).digest())}"
    alg_none = jws({"alg": "none", "typ": "at+jwt", "kid": header["kid"]}, claims)
    unknown_kid = jws(dict(header, kid="not-a-tessera-key"), claims, b"x" * 256)

    refusals = {
        "tampered_payload": refused(lambda: v.validate(tampered_payload, audience)),
        "tampered_signature": refused(lambda: v.validate(tampered_signature, audience)),
        "hs256_with_public_key": refused(lambda: v.validate(hs256, audience)),
        # Even a careless decode that lists HS256 must not accept the public key as a secret.
        "hs256_when_allowed": refused(
            lambda: jwt.decode(hs256, public_pem, algorithms=["HS256", "RS256"], audience=audience)
        ),
        "alg_none": refused(lambda: v.validate(alg_none, audience)),
        "unknown_kid": refused(lambda: v.validate(unknown_kid, audience)),
        "wrong_audience": refused(lambda: v.validate(user_token, "https://other.example/api")),
        "wrong_issuer": refused(lambda: v.validate(user_token, audience, issuer="https://evil.example")),
        # Signature, issuer and audience are right for an ID token; only typ tells them apart.
        "id_token_as_access_token": refused(lambda: v.validate(id_token, web_client_id)),
    }

    return {
        "ok": True,
        "pyjwt_version": jwt.__version__,
        "cryptography_version": cryptography.__version__,
        "jwks_uri": v.jwks_uri,
        "jwks_private_members": sorted(
            {m for k in jwks["keys"] for m in ("d", "p", "q", "dp", "dq", "qi") if m in k}
        ),
        "valid": valid,
        "refusals": refusals,
    }


if __name__ == "__main__":
    try:
        out = main()
    except Exception as err:  # noqa: BLE001
        out = {"ok": False, "error": f"{type(err).__name__}: {err}", "trace": traceback.format_exc()}
    print(json.dumps(out, default=str))
    sys.exit(0 if out.get("ok") else 1)

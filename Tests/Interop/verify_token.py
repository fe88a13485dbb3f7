#!/usr/bin/env python3
"""Interoperability checks for idca certification tokens with an independent JOSE library (joserfc).

Called by Tests/IDCATokensTests/PythonInteropTests.swift; usable by hand too, as the recipe a
site integrator would follow to verify a token offline.

    verify_token.py verify JWKS_FILE TOKEN_FILE ISSUER SITE_ID NOW
        Verifies TOKEN with the keys in JWKS (chosen by kid), checks typ, iss, exp, nbf and aud
        (60 s leeway) at time NOW, and prints {"header": ..., "claims": ...} as JSON. Exit 1 with
        the reason on stderr when the token is refused.

    verify_token.py forge-hs256 JWKS_FILE ISSUER NOW
        Prints, one per line, tokens that claim to come from the first key in JWKS but are
        "signed" with HS256 using the public key as the HMAC secret (raw bytes, the x string, the
        JWK JSON, the PEM text), plus an alg "none" token: the algorithm-confusion forgeries a
        strict verifier must refuse.

    verify_token.py sign PRIVATE_KEY_PEM_FILE KID ISSUER NOW [SITE_ID]
        Signs a token with joserfc using the given private key and the idca header, and prints
        it: the idca verifier must accept a token produced by another implementation.

Exit status 3 means joserfc is not installed (the Swift test then skips with that message).
"""

import base64
import hashlib
import hmac
import json
import sys
import warnings

try:
    from joserfc import jws, jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet, OctKey, OKPKey
except ImportError:  # pragma: no cover - depends on the machine
    print("joserfc is not installed (pip install joserfc)", file=sys.stderr)
    sys.exit(3)

# RFC 9864 (2025) deprecates the polymorphic "EdDSA" in favour of "Ed25519", and joserfc warns
# about it; the idca token format is fixed to "EdDSA" (what every JOSE library still accepts), so
# the warning is noise here.
warnings.filterwarnings("ignore", message=".*EdDSA is deprecated.*")

TYPE = "idca-cert+jwt"
LEEWAY = 60


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify(jwks_path: str, token_path: str, issuer: str, site_id: str, now: int) -> int:
    with open(jwks_path, encoding="utf-8") as handle:
        key_set = KeySet.import_key_set(json.load(handle))
    with open(token_path, encoding="utf-8") as handle:
        token_text = handle.read().strip()
    try:
        # Pin the algorithm: never let the token's own header choose it.
        token = jwt.decode(token_text, key_set, algorithms=["EdDSA"])
        if token.header.get("typ") != TYPE:
            raise ValueError(f"typ is {token.header.get('typ')!r}, expected {TYPE!r}")
        if set(token.header) != {"alg", "typ", "kid"}:
            raise ValueError(f"unexpected header members {sorted(token.header)}")
        options = {
            "iss": {"essential": True, "value": issuer},
            "jti": {"essential": True},
            "iat": {"essential": True},
            "nbf": {"essential": True},
            "exp": {"essential": True},
            "sub_type": {"essential": True, "values": ["individual", "organization"]},
            "acr": {"essential": True},
        }
        if "aud" in token.claims:
            options["aud"] = {"essential": True, "value": site_id}
        registry = jwt.JWTClaimsRegistry(now=now, leeway=LEEWAY, **options)
        registry.validate(token.claims)
    except (JoseError, ValueError) as error:
        print(f"refused: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(json.dumps({"header": token.header, "claims": token.claims}, sort_keys=True))
    return 0


def standard_claims(issuer: str, now: int) -> dict:
    return {
        "iss": issuer,
        "jti": b64url(hashlib.sha256(str(now).encode()).digest()[:16]),
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "sub_type": "individual",
        "acr": "registry",
    }


def forge_hs256(jwks_path: str, issuer: str, now: int) -> int:
    with open(jwks_path, encoding="utf-8") as handle:
        jwk = json.load(handle)["keys"][0]
    kid = jwk["kid"]
    raw = b64url_decode(jwk["x"])
    pem = OKPKey.import_key(jwk).as_pem(private=False)
    payload = json.dumps(standard_claims(issuer, now), separators=(",", ":")).encode()
    header = {"alg": "HS256", "typ": TYPE, "kid": kid}
    secrets = [raw, jwk["x"].encode(), json.dumps(jwk).encode(), pem]

    tokens = []
    # The first forgery goes through joserfc itself, the way an attacker would use a library.
    tokens.append(jws.serialize_compact(header, payload, OctKey.import_key(raw), algorithms=["HS256"]))
    for secret in secrets:
        signing_input = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + b64url(payload)
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        tokens.append(signing_input + "." + b64url(mac))
    none_header = b64url(json.dumps({"alg": "none", "typ": TYPE, "kid": kid}).encode())
    tokens.append(none_header + "." + b64url(payload) + ".")
    print("\n".join(tokens))
    return 0


def sign(private_key_path: str, kid: str, issuer: str, now: int, site_id: str | None) -> int:
    with open(private_key_path, encoding="utf-8") as handle:
        key = OKPKey.import_key(handle.read())
    claims = standard_claims(issuer, now)
    if site_id:
        claims["aud"] = site_id
    header = {"alg": "EdDSA", "typ": TYPE, "kid": kid}
    print(jws.serialize_compact(header, json.dumps(claims).encode(), key, algorithms=["EdDSA"]))
    return 0


def main(argv: list[str]) -> int:
    if len(argv) >= 7 and argv[1] == "verify":
        return verify(argv[2], argv[3], argv[4], argv[5], int(argv[6]))
    if len(argv) == 5 and argv[1] == "forge-hs256":
        return forge_hs256(argv[2], argv[3], int(argv[4]))
    if len(argv) in (6, 7) and argv[1] == "sign":
        return sign(argv[2], argv[3], argv[4], int(argv[5]), argv[6] if len(argv) == 7 else None)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

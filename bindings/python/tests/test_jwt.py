from __future__ import annotations

import base64
import json
import time
from typing import Any, Dict, Tuple

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

import b2c
from conftest import KEY_FIXTURES


def _b64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def verify_es256(token: str, public_pem: str) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """Verify with `cryptography` only: raw r||s -> DER, ECDSA P-256 SHA-256."""
    head, body, sig = token.split(".")
    raw = _b64(sig)
    assert len(raw) == 64
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    pub = serialization.load_pem_public_key(public_pem.encode())
    assert isinstance(pub, ec.EllipticCurvePublicKey) and pub.curve.name == "secp256r1"
    pub.verify(der, f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
    return json.loads(_b64(head)), json.loads(_b64(body))


def test_mint_verifies_with_cryptography(key: b2c.Key) -> None:
    now = int(time.time())
    token = b2c.mint_jwt(key, admin_id=42, device_ip="203.0.113.10", key_id="crm-key-1",
                         issuer="my-crm", ttl=120)
    header, claims = verify_es256(token, key.public_pem())
    assert header["alg"] == "ES256"
    assert "kid" not in header
    assert claims["admin_id"] == 42 and isinstance(claims["admin_id"], int)
    assert claims["device_ip"] == "203.0.113.10"
    assert claims["key_id"] == "crm-key-1"
    assert claims["iss"] == "my-crm"
    assert abs(claims["iat"] - now) <= 2
    assert claims["exp"] == claims["iat"] + 120


def test_defaults_and_kid_header() -> None:
    pem = (KEY_FIXTURES / "p256_pkcs8.pem").read_text()
    token = b2c.mint_jwt(pem, admin_id=7, device_ip="127.0.0.1", key_id="k7", kid_header=True)
    header, claims = verify_es256(token, (KEY_FIXTURES / "p256_public.pem").read_text())
    assert header["kid"] == "k7"
    assert claims["iss"] == "b2c"
    assert claims["exp"] - claims["iat"] == 300


def test_tampered_token_fails_verification(key: b2c.Key) -> None:
    token = b2c.mint_jwt(key, admin_id=1, device_ip="127.0.0.1", key_id="k")
    head, body, sig = token.split(".")
    claims = json.loads(_b64(body))
    claims["admin_id"] = 2
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidSignature):
        verify_es256(f"{head}.{forged}.{sig}", key.public_pem())


def test_pyjwt_agrees(key: b2c.Key) -> None:
    import jwt  # PyJWT

    token = b2c.mint_jwt(key, admin_id=5, device_ip="10.0.0.1", key_id="x", issuer="crm")
    claims = jwt.decode(token, key.public_pem(), algorithms=["ES256"], issuer="crm")
    assert claims["admin_id"] == 5


def test_bad_claims_are_invalid_argument(key: b2c.Key) -> None:
    with pytest.raises(b2c.InvalidArgumentError):
        b2c.mint_jwt(key, admin_id=1, device_ip="", key_id="k")
    with pytest.raises(b2c.InvalidArgumentError):
        b2c.mint_jwt(key, admin_id=1, device_ip="127.0.0.1", key_id="k", ttl=-1)


def test_client_mint_jwt(client: b2c.Client, key: b2c.Key, config: Dict[str, Any]) -> None:
    header, claims = verify_es256(client.mint_jwt(), key.public_pem())
    assert claims["admin_id"] == config["admin_id"]
    assert claims["key_id"] == config["key_id"]
    assert claims["device_ip"] == config["device_ip"]

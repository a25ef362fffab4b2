from __future__ import annotations

from pathlib import Path

import pytest

import b2c
from conftest import KEY_FIXTURES

BAD_KEYS = [
    ("p384_pkcs8.pem", b2c.Status.KEY_UNSUPPORTED_CURVE),
    ("p384_sec1.pem", b2c.Status.KEY_UNSUPPORTED_CURVE),
    ("secp256k1_pkcs8.pem", b2c.Status.KEY_UNSUPPORTED_CURVE),
    ("rsa_pkcs8.pem", b2c.Status.KEY_UNSUPPORTED_TYPE),
    ("rsa_pkcs1.pem", b2c.Status.KEY_UNSUPPORTED_TYPE),
    ("ed25519_pkcs8.pem", b2c.Status.KEY_UNSUPPORTED_TYPE),
    ("p256_encrypted_pkcs8.pem", b2c.Status.KEY_ENCRYPTED),
    ("p256_encrypted_sec1.pem", b2c.Status.KEY_ENCRYPTED),
    ("garbage_pkcs8.pem", b2c.Status.KEY_INVALID),
    ("not_pem.txt", b2c.Status.KEY_INVALID),
    ("p256_public.pem", b2c.Status.KEY_INVALID),
]


def test_generate_round_trips_through_pem() -> None:
    with b2c.Key.generate() as a, b2c.Key.generate() as b:
        assert a.public_pem() != b.public_pem()
        pem = a.private_pem()
        assert pem.startswith("-----BEGIN PRIVATE KEY-----\n")
        assert a.public_pem().startswith("-----BEGIN PUBLIC KEY-----\n")
        with b2c.Key.from_pem(pem) as again:
            assert again.public_pem() == a.public_pem()
        with b2c.Key.from_pem(pem.encode()) as from_bytes:
            assert from_bytes.public_pem() == a.public_pem()


@pytest.mark.parametrize("name", ["p256_pkcs8.pem", "p256_sec1.pem", "p256_sec1_with_params.pem"])
def test_good_fixtures_load_from_pem_and_file(name: str) -> None:
    path = KEY_FIXTURES / name
    k1 = b2c.Key.from_pem(path.read_text())
    k2 = b2c.Key.from_file(path)
    k3 = b2c.Key.from_file(str(path))
    assert k1.public_pem() == k2.public_pem() == k3.public_pem()
    with b2c.Key.from_pem(k1.private_pem()) as again:
        assert again.public_pem() == k1.public_pem()
    if name != "p256_sec1_with_params.pem":  # openssl derived p256_public.pem from this key
        assert k1.public_pem() == (KEY_FIXTURES / "p256_public.pem").read_text()


@pytest.mark.parametrize("name,code", BAD_KEYS)
def test_every_bad_key_form_has_its_own_code(name: str, code: b2c.Status) -> None:
    for load in (lambda: b2c.Key.from_pem((KEY_FIXTURES / name).read_bytes()),
                 lambda: b2c.Key.from_file(KEY_FIXTURES / name)):
        with pytest.raises(b2c.KeyFormatError) as ei:
            load()
        assert ei.value.code == code, ei.value
        assert isinstance(ei.value.code, b2c.Status)
        assert ei.value.message
        assert ei.value.http_status == 0
        assert isinstance(ei.value, b2c.Error)
        assert isinstance(ei.value, ValueError)


def test_empty_and_truncated_pem() -> None:
    with pytest.raises(b2c.KeyFormatError) as ei:
        b2c.Key.from_pem("")
    assert ei.value.code == b2c.Status.KEY_INVALID
    truncated = (KEY_FIXTURES / "p256_pkcs8.pem").read_text().replace("-----END PRIVATE KEY-----", "")
    with pytest.raises(b2c.KeyFormatError):
        b2c.Key.from_pem(truncated)


def test_crlf_pem_loads() -> None:
    pem = (KEY_FIXTURES / "p256_pkcs8.pem").read_text().replace("\n", "\r\n")
    with b2c.Key.from_pem(pem) as k:
        assert k.public_pem() == (KEY_FIXTURES / "p256_public.pem").read_text()


def test_missing_file_is_io_error(tmp_path: Path) -> None:
    with pytest.raises(b2c.IoError) as ei:
        b2c.Key.from_file(tmp_path / "nope.pem")
    assert ei.value.code == b2c.Status.IO


def test_closed_key_raises_and_repr_hides_material() -> None:
    k = b2c.Key.generate()
    assert "redacted" in repr(k)
    k.close()
    k.close()  # idempotent
    assert k.closed
    with pytest.raises(b2c.ClosedError) as ei:
        k.public_pem()
    assert ei.value.code == b2c.Status.NULL_POINTER
    assert isinstance(ei.value, b2c.InvalidArgumentError)


def test_wrong_argument_types() -> None:
    with pytest.raises(TypeError):
        b2c.Key.from_pem(12)  # type: ignore[arg-type]

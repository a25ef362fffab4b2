from __future__ import annotations

import hashlib
import hmac
import os
import random

import pytest

import b2c


def expected(key: bytes, payload: bytes) -> str:
    return "sha256=" + hmac.new(key, payload, hashlib.sha256).hexdigest()


def test_random_inputs_match_hmac() -> None:
    rng = random.Random(1234)
    for _ in range(300):
        key = rng.randbytes(rng.randrange(0, 200))
        payload = rng.randbytes(rng.randrange(0, 5000))
        assert b2c.sign_payload(key, payload) == expected(key, payload)


@pytest.mark.parametrize(
    "key,payload",
    [
        (b"", b""),
        (b"\0", b"\0"),
        (b"k\0ey", b"a\0b\0\0c"),
        (b"\0" * 64, b"\0" * 1000),
        (b"x" * 200, b"body"),  # key longer than the SHA-256 block
    ],
)
def test_nul_bytes_and_edges(key: bytes, payload: bytes) -> None:
    assert b2c.sign_payload(key, payload) == expected(key, payload)


def test_one_mebibyte() -> None:
    payload = os.urandom(1 << 20)
    payload = payload[:1000] + b"\0\0\0" + payload[1003:]
    key = os.urandom(32)
    assert b2c.sign_payload(key, payload) == expected(key, payload)


def test_str_inputs_are_utf8() -> None:
    assert b2c.sign_payload("ключ", '{"a":"é"}') == expected("ключ".encode(), '{"a":"é"}'.encode())
    assert b2c.sign_payload(bytearray(b"k"), memoryview(b"p")) == expected(b"k", b"p")


def test_rejects_other_types() -> None:
    with pytest.raises(TypeError):
        b2c.sign_payload(1, b"x")  # type: ignore[arg-type]

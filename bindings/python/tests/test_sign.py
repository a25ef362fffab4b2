from __future__ import annotations

import ctypes
import hashlib
import hmac
import os
import random

import pytest

import b2c
from b2c import _native


def expected(key: bytes, payload: bytes) -> str:
    return "sha256=" + hmac.new(key, payload, hashlib.sha256).hexdigest()


def test_random_inputs_match_hmac() -> None:
    rng = random.Random(1234)
    for _ in range(300):
        key = rng.randbytes(rng.randrange(1, 200))  # an empty key is refused (test below)
        payload = rng.randbytes(rng.randrange(0, 5000))
        assert b2c.sign_payload(key, payload) == expected(key, payload)


@pytest.mark.parametrize(
    "key,payload",
    [
        (b"k", b""),  # an empty payload is fine
        (b"\0", b"\0"),  # a one-byte key, even NUL, is not empty
        (b"k\0ey", b"a\0b\0\0c"),
        (b"\0" * 64, b"\0" * 1000),
        (b"x" * 200, b"body"),  # key longer than the SHA-256 block
    ],
)
def test_nul_bytes_and_edges(key: bytes, payload: bytes) -> None:
    assert b2c.sign_payload(key, payload) == expected(key, payload)


@pytest.mark.parametrize("key", [b"", "", bytearray(), memoryview(b"")])
@pytest.mark.parametrize("payload", [b"", b"body"])
def test_empty_key_is_invalid_argument(key: object, payload: bytes) -> None:
    # libb2c refuses an empty key (a signature under it authenticates nothing); it used to
    # sign with it.
    with pytest.raises(b2c.InvalidArgumentError) as ei:
        b2c.sign_payload(key, payload)  # type: ignore[arg-type]
    assert ei.value.code == b2c.Status.INVALID_ARGUMENT


@pytest.mark.parametrize("key", [None, b""])
def test_empty_key_at_the_c_abi_writes_nothing(key: object) -> None:
    # NULL or not, length 0 is INVALID_ARGUMENT and the output buffer is left untouched.
    buf = ctypes.create_string_buffer(b"\xaa" * 72, 72)
    st = _native.lib().b2c_sign_payload(key, 0, b"body", 4, buf, 72)
    assert st == b2c.Status.INVALID_ARGUMENT
    assert buf.raw == b"\xaa" * 72
    # the same call with a key writes the signature
    assert _native.lib().b2c_sign_payload(b"k", 1, b"body", 4, buf, 72) == b2c.Status.OK
    assert buf.value.decode() == expected(b"k", b"body")


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

"""CRM Open API request signing and CRM webhook verification.

THE BYTES SIGNED MUST BE THE BYTES SENT: sign the exact body you put on the wire (pass
bytes), never a re-encoding of it.
"""

from __future__ import annotations

from typing import Union

from ._calls import as_bytes, call_string, call_verify, cstr

Body = Union[bytes, bytearray, memoryview, str]


class CrmOpenApi:
    """CRM Open API signatures (stateless; all static methods)."""

    @staticmethod
    def sign_request(api_key: str, method: str, body: Body) -> str:
        """The ``signature`` header value: ``sha256=<hex HMAC-SHA256(api_key, body)>`` for
        POST/PATCH/PUT with a non-empty body, "" otherwise (then send no signature header).
        Always send ``key: <api_key>`` as well.

        ``method`` must be GET, POST, PUT, PATCH or DELETE (any case, nothing around it);
        another method, or an empty or header-unsafe ``api_key``, raises
        InvalidArgumentError, so a typo never yields an unsigned request."""
        b = as_bytes(body, "body")
        return call_string("b2c_crm_sign_request", cstr(api_key, "api_key"), cstr(method, "method"), b, len(b))

    @staticmethod
    def verify_signature(api_key: str, body: Body, signature: str) -> bool:
        """Check a request's ``signature`` header against its body (constant time). An empty
        or header-unsafe ``api_key`` raises InvalidArgumentError."""
        b = as_bytes(body, "body")
        return call_verify("b2c_crm_verify_signature", cstr(api_key, "api_key"), b, len(b), cstr(signature, "signature"))

    @staticmethod
    def verify_webhook(secret: Union[str, bytes], body: Body, signature: str) -> bool:
        """Check a webhook's ``X-Crm-Signature`` (hex HMAC-SHA256 of the raw body keyed with
        the webhook secret, with or without ``sha256=``), in constant time. An empty secret
        raises InvalidArgumentError (anyone can compute an HMAC under an empty key)."""
        s = as_bytes(secret, "secret")
        b = as_bytes(body, "body")
        return call_verify("b2c_webhook_verify", s, len(s), b, len(b), cstr(signature, "signature"))

"""Statistics of a handle (``b2c_client_stats`` / ``b2c_b2binpay_stats``) as Python objects."""

from __future__ import annotations

import ctypes
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, Mapping

from . import _native
from ._calls import take_string
from ._errors import make_error

if TYPE_CHECKING:
    from ._handle import Handle

__all__ = ["Latency", "Stats"]


@dataclass(frozen=True)
class Latency:
    """Latency of one endpoint: number of exchanges and percentiles in microseconds.
    (A dataclass, not a NamedTuple: a field named ``count`` would hide tuple.count.)"""

    count: int
    p50_us: int
    p90_us: int
    p99_us: int
    max_us: int


def _int(value: Any) -> int:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def _counts(value: Any) -> Dict[str, int]:
    return {str(k): _int(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _latency(value: Any) -> Dict[str, Latency]:
    if not isinstance(value, dict):
        return {}
    out: Dict[str, Latency] = {}
    for endpoint, v in value.items():
        if isinstance(v, dict):
            out[str(endpoint)] = Latency(
                count=_int(v.get("count")),
                p50_us=_int(v.get("p50_us")),
                p90_us=_int(v.get("p90_us")),
                p99_us=_int(v.get("p99_us")),
                max_us=_int(v.get("max_us")),
            )
    return out


@dataclass(frozen=True)
class Stats:
    """A handle's statistics since its creation (``Client.stats()``, ``B2binpay.stats()``).

    Every counter of the library's JSON is a field (0 when an older library lacks it);
    ``retries_by_cause`` maps a cause (dns_not_found, dns_temporary, connect, reset,
    read_timeout, deadline, status_5xx, throttled, malformed, tls, proxy) to its count,
    ``latency`` an endpoint (B2COPY: authexternalcrm, refreshtoken, processext; B2BINPAY:
    token, token_refresh) to its Latency. ``raw_json`` is the library's text as it came,
    keys this binding does not know included (keys may be added, none is removed).

    Token stores: ``store_loads`` (records read), ``store_adopted`` (stored pairs taken
    instead of a token exchange), ``store_saves`` (pairs written), ``store_errors`` (store
    failures b2c logged and went on without the store).
    """

    requests: int = 0
    retries: int = 0
    retries_by_cause: Mapping[str, int] = field(default_factory=dict)
    auth_exchanges: int = 0
    refreshes: int = 0
    reauths: int = 0
    unauthorized: int = 0
    suspicious: int = 0
    connections_opened: int = 0
    tls_handshakes: int = 0
    tls_resumed: int = 0
    dns_lookups: int = 0
    deadline_exceeded: int = 0
    store_loads: int = 0
    store_adopted: int = 0
    store_saves: int = 0
    store_errors: int = 0
    latency: Mapping[str, Latency] = field(default_factory=dict)
    raw_json: str = field(default="{}", repr=False)

    @classmethod
    def from_json(cls, text: str) -> "Stats":
        """Parse the JSON of ``b2c_client_stats`` / ``b2c_b2binpay_stats``; unknown keys are
        ignored (they stay in ``raw_json``)."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("statistics JSON is not an object")

        def n(key: str) -> int:
            return _int(data.get(key))

        return cls(
            requests=n("requests"),
            retries=n("retries"),
            retries_by_cause=_counts(data.get("retries_by_cause")),
            auth_exchanges=n("auth_exchanges"),
            refreshes=n("refreshes"),
            reauths=n("reauths"),
            unauthorized=n("unauthorized"),
            suspicious=n("suspicious"),
            connections_opened=n("connections_opened"),
            tls_handshakes=n("tls_handshakes"),
            tls_resumed=n("tls_resumed"),
            dns_lookups=n("dns_lookups"),
            deadline_exceeded=n("deadline_exceeded"),
            store_loads=n("store_loads"),
            store_adopted=n("store_adopted"),
            store_saves=n("store_saves"),
            store_errors=n("store_errors"),
            latency=_latency(data.get("latency")),
            raw_json=text,
        )


def handle_stats(handle: "Handle", fn_name: str) -> Stats:
    """Call ``fn_name(handle, &out_json, &err)`` and parse the answer."""
    fn = getattr(_native.lib(), fn_name)
    out, err = ctypes.c_void_p(), ctypes.c_void_p()
    ptr = handle.acquire()
    try:
        st = fn(ptr, ctypes.byref(out), ctypes.byref(err))
    finally:
        handle.release()
    if st:
        raise make_error(st, err)
    return Stats.from_json(take_string(out))

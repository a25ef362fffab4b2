"""``b2c.RedisTokenStore``: a TokenStore in Redis, through redis-py.

redis-py is an optional dependency (``pip install b2c[redis]``): this module never imports
it at import time. ``RedisTokenStore(client)`` takes a client you made (``redis.Redis``,
``redis.Redis.from_url(...)``, a cluster client...: anything with ``get``, ``set`` with
``nx``/``px``, and ``register_script`` or ``eval``); ``RedisTokenStore.from_url(url)``
imports redis-py when called.

Layout: the value at ``<prefix><key>``; the lock at ``<prefix><key>:lock``, taken with
``SET lockkey <random owner token> NX PX lease_ms`` (retried with short sleeps until
``timeout_ms``) and released by a Lua script only while it still holds this owner's token.
The values are secrets (the tokens): the Redis must be private to the CRM (AUTH, TLS, a
private network, as the deployment requires).
"""

from __future__ import annotations

import random
import secrets
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

from ._store import TokenStore

__all__ = ["RedisTokenStore", "UNLOCK_SCRIPT"]

#: Deletes the lock only if it still holds the caller's owner token (KEYS[1] the lock key,
#: ARGV[1] the token): a lock that expired and was taken by another owner stays theirs.
UNLOCK_SCRIPT = (
    "if redis.call('get',KEYS[1])==ARGV[1] then return redis.call('del',KEYS[1]) else return 0 end"
)

#: from_url's default connect and read timeouts (seconds).
FAST_TIMEOUT_S = 1.0
_FIRST_SLEEP_S = 0.002
_MAX_SLEEP_S = 0.05


class RedisTokenStore(TokenStore):
    """Token pairs in Redis, shared by every process (and host) that uses this Redis with
    the same ``prefix``.

    ``redis_client``: a redis-py client (``redis.Redis(...)``); use one without
    ``decode_responses`` (values are bytes; a str answer is encoded back as UTF-8).
    ``prefix``: put before every key (default ``"b2c:"``).

    Safe to share between threads and between clients: each lock taken gets a fresh random
    owner token, remembered per key and thread until ``unlock``.
    """

    def __init__(self, redis_client: Any, prefix: str = "b2c:") -> None:
        if redis_client is None:
            raise TypeError("RedisTokenStore needs a redis-py client (redis.Redis(...))")
        if not isinstance(prefix, str):
            raise TypeError(f"prefix must be str, not {type(prefix).__name__}")
        self._redis = redis_client
        self._prefix = prefix
        self._held: Dict[str, List[Tuple[int, str]]] = {}
        self._held_lock = threading.Lock()
        register = getattr(redis_client, "register_script", None)
        self._unlock_script: Any = register(UNLOCK_SCRIPT) if callable(register) else None

    @classmethod
    def from_url(cls, url: str, prefix: str = "b2c:", **kwargs: Any) -> "RedisTokenStore":
        """``redis.Redis.from_url(url, **kwargs)`` wrapped in a store (``rediss://`` for TLS,
        ``redis://:password@host:6379/0`` for AUTH). Needs redis-py: ``pip install b2c[redis]``.

        Unless ``kwargs`` say otherwise the client fails fast, since the time a store call
        takes counts against the b2c call's deadline: ``socket_connect_timeout`` and
        ``socket_timeout`` 1 s, one immediate retry (redis-py's default retries for seconds)."""
        try:
            import redis  # the optional extra: imported only here
            from redis.backoff import NoBackoff
            from redis.retry import Retry
        except ImportError as e:
            raise ImportError(
                "b2c.RedisTokenStore.from_url needs redis-py: pip install 'b2c[redis]' (or pip install redis)"
            ) from e
        kwargs.setdefault("socket_connect_timeout", FAST_TIMEOUT_S)
        kwargs.setdefault("socket_timeout", FAST_TIMEOUT_S)
        kwargs.setdefault("retry", Retry(NoBackoff(), 1))
        return cls(redis.Redis.from_url(url, **kwargs), prefix=prefix)

    @property
    def prefix(self) -> str:
        return self._prefix

    @property
    def redis(self) -> Any:
        """The redis-py client this store uses."""
        return self._redis

    def value_key(self, key: str) -> str:
        """The Redis key holding ``key``'s value."""
        return self._prefix + key

    def lock_key(self, key: str) -> str:
        """The Redis key of ``key``'s lock."""
        return self._prefix + key + ":lock"

    # ---- TokenStore ----------------------------------------------------------------------

    def load(self, key: str) -> Optional[bytes]:
        value = self._redis.get(self.value_key(key))
        if value is None:
            return None
        if isinstance(value, str):
            return value.encode("utf-8")
        return bytes(value)

    def save(self, key: str, value: bytes) -> None:
        self._redis.set(self.value_key(key), value)

    def lock(self, key: str, timeout_ms: int, lease_ms: int) -> bool:
        lock_key = self.lock_key(key)
        token = secrets.token_hex(16)
        lease = max(1, int(lease_ms))
        deadline = time.monotonic() + max(0, int(timeout_ms)) / 1000.0
        sleep = _FIRST_SLEEP_S
        while True:
            if self._redis.set(lock_key, token, nx=True, px=lease):
                with self._held_lock:
                    self._held.setdefault(key, []).append((threading.get_ident(), token))
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(remaining, sleep * random.uniform(0.5, 1.5)))
            sleep = min(sleep * 2, _MAX_SLEEP_S)

    def unlock(self, key: str) -> None:
        token = self._take_token(key)
        if token is None:
            return  # nothing this owner holds on that key
        lock_key = self.lock_key(key)
        if self._unlock_script is not None:
            self._unlock_script(keys=[lock_key], args=[token])
        else:
            self._redis.eval(UNLOCK_SCRIPT, 1, lock_key, token)

    def _take_token(self, key: str) -> Optional[str]:
        """The owner token of this thread's lock on ``key`` (else the oldest this store
        holds on it), forgotten."""
        me = threading.get_ident()
        with self._held_lock:
            held = self._held.get(key)
            if not held:
                return None
            index = next((i for i, (thread, _) in enumerate(held) if thread == me), 0)
            _, token = held.pop(index)
            if not held:
                del self._held[key]
            return token

    def __repr__(self) -> str:
        return f"<b2c.RedisTokenStore prefix={self._prefix!r}>"

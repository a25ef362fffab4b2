<?php

declare(strict_types=1);

namespace B2c;

/**
 * A token store shared by several processes (or hosts): where libb2c keeps each
 * credential's token pair so that every process using the store makes one token exchange,
 * not one each. Attach it with Client::setTokenStore() / B2binpay::setTokenStore().
 * RedisTokenStore is one; the file store needs no PHP code (the `token_store` configuration
 * key, see the README).
 *
 * Keys look like `b2copy-<40 hex>` / `b2binpay-<40 hex>` (derived from the base URL and the
 * account, never from a secret). Values are opaque bytes (JSON text today: treat them as
 * binary) and SECRETS: they hold the tokens, so keep them where only the CRM can read them.
 *
 * Any throwable from a method is a store failure: the binding catches it (nothing may cross
 * the C frames), libb2c logs a `store` event at warning and goes on without the store for
 * that step. The methods are called inside the library call that needs a token (the same
 * thread, before it returns); they must not call the handle that uses the store, nor exit().
 */
interface TokenStore
{
    /** The value saved under $key, or null when there is none. */
    public function load(string $key): ?string;

    /** Save $value under $key, replacing any previous value atomically (a reader sees the old or the new value). */
    public function save(string $key, string $value): void;

    /**
     * Take the lock on $key shared by every process using the store, waiting at most
     * $timeoutMs; true when acquired, false when another holder kept it for the whole wait.
     * libb2c releases it (unlock()) within $leaseMs: use $leaseMs as the lock's expiry, so
     * that a holder that died cannot block the others.
     */
    public function lock(string $key, int $timeoutMs, int $leaseMs): bool;

    /** Release the lock on $key that this store took (a lock someone else holds stays). */
    public function unlock(string $key): void;
}

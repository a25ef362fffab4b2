package com.b2c;

/**
 * A token store the host provides (Redis, the CRM's database, ...), shared by every process
 * (and every handle) that uses the same credential: attach it with
 * {@link Client#setTokenStore} or {@link B2binpay#setTokenStore}. The library keeps one record
 * per credential under {@code key} ({@code b2copy-<40 hex>} or {@code b2binpay-<40 hex>},
 * derived from the base URL and the account, never from a secret); a handle without tokens
 * adopts a good stored pair, and every renewal happens under {@link #lock} after re-reading
 * the record, the new pair saved before {@link #unlock}.
 *
 * <p><b>The values are secrets</b> (they hold the tokens): keep them where only the CRM can
 * read them, and never log them.
 *
 * <p>The methods are called on the thread that made the library call, possibly from several
 * threads at once: an implementation must be thread-safe. They must not call the handle that
 * is using the store. Throwing anything (checked or not) is a store failure: the library logs
 * it (event {@code store}, WARNING), counts it in {@link Stats#storeErrors()} and goes on
 * without the store for that step; the exception never reaches the library or the caller.
 */
public interface TokenStore {
    /**
     * The bytes saved under {@code key}, or null when nothing is saved there. The library
     * takes at most 65536 bytes (its records are far smaller): a longer value is ignored as
     * unreadable, and replaced at the next renewal.
     */
    byte[] load(String key) throws Exception;

    /**
     * Stores {@code value} under {@code key}, replacing any previous value atomically (a reader
     * sees the old or the new value). The bytes are JSON text today, but treat them as opaque.
     */
    void save(String key, byte[] value) throws Exception;

    /**
     * Takes the lock on {@code key} shared by every process using the store, waiting at most
     * {@code timeoutMs} milliseconds. The library releases it with {@link #unlock} within
     * {@code leaseMs}: use that as the lock's expiry (e.g. Redis {@code SET key owner NX PX
     * leaseMs}) so that a holder that died does not block the others. Both are unsigned 32-bit
     * values.
     *
     * @return true when acquired, false when another owner held it for the whole timeout
     */
    boolean lock(String key, long timeoutMs, long leaseMs) throws Exception;

    /** Releases the lock this process took on {@code key} (only its owner may release it). */
    void unlock(String key) throws Exception;
}

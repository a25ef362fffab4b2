package com.b2c;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * The bridge from {@code b2c_token_store} to {@link TokenStore}.
 *
 * <p>Lifetime: the four JNA callbacks are static (one set for the process, never collected),
 * so the function pointers the library holds can never dangle, whatever outlives what. Each
 * attached store is a {@link Slot} with an id, passed to the library as {@code userdata}; the
 * callbacks look the slot up by that id. Releasing a slot (its handle's native object was
 * freed, or {@link B2c#clearShared()} dropped it) only removes it from the table: a late call
 * for it answers {@code B2C_STORE_ERROR}, it never touches freed memory.
 */
final class TokenStores {
    private TokenStores() {}

    static final int OK = 0;
    static final int NOT_FOUND = 1;
    static final int BUFFER_TOO_SMALL = 2;
    static final int LOCK_TIMEOUT = 3;
    static final int ERROR = -1;

    /** One attached store: its id (the {@code userdata}), the store, and the struct handed to
     * the library (kept, although the library copies it). */
    static final class Slot {
        final long id;
        final TokenStore store;
        final B2cLibrary.TokenStoreStruct struct;

        Slot(long id, TokenStore store) {
            this.id = id;
            this.store = store;
            this.struct = new B2cLibrary.TokenStoreStruct(new Pointer(id), LOAD, SAVE, LOCK, UNLOCK);
        }
    }

    private static final AtomicLong NEXT = new AtomicLong(1);
    private static final Map<Long, Slot> SLOTS = new ConcurrentHashMap<>();

    static Slot register(TokenStore store) {
        Slot s = new Slot(NEXT.getAndIncrement(), store);
        SLOTS.put(s.id, s);
        return s;
    }

    static void release(Slot s) {
        SLOTS.remove(s.id, s);
    }

    /** How many slots are registered (tests). */
    static int registered() {
        return SLOTS.size();
    }

    private static TokenStore store(Pointer userdata) {
        Slot s = SLOTS.get(Pointer.nativeValue(userdata));
        return s == null ? null : s.store;
    }

    private static String key(Pointer key) {
        return key == null ? "" : key.getString(0, StandardCharsets.UTF_8.name());
    }

    private static void writeSizeT(Pointer p, long v) {
        if (Native.SIZE_T_SIZE == 8) {
            p.setLong(0, v);
        } else {
            p.setInt(0, (int) v);
        }
    }

    /**
     * A store method threw: one FINE record on the "b2c" logger with the exception attached
     * (the library itself logs the failure as a WARNING {@code store} event). The message
     * names the method, the key and the exception's class, not its message (which could hold
     * anything the store put there). Never throws.
     */
    private static void thrown(String method, String key, Throwable t) {
        try {
            if (!LogRouting.LOGGER.isLoggable(Level.FINE)) {
                return;
            }
            LogRecord r = LogRouting.record(Level.FINE, "store", "store_callback",
                "TokenStore." + method + "(" + key + ") threw " + t.getClass().getName(), LogRouting.LOGGER_NAME);
            r.setThrown(t);
            LogRouting.LOGGER.log(r);
        } catch (Throwable ignored) {
            // nothing may reach the library
        }
    }

    static final B2cLibrary.StoreLoadCallback LOAD = new Load();
    static final B2cLibrary.StoreSaveCallback SAVE = new Save();
    static final B2cLibrary.StoreLockCallback LOCK = new Lock();
    static final B2cLibrary.StoreUnlockCallback UNLOCK = new Unlock();

    private static final class Load implements B2cLibrary.StoreLoadCallback {
        @Override
        public int invoke(Pointer userdata, Pointer key, Pointer buf, B2cLibrary.SizeT bufLen, Pointer outLen) {
            String k = null;
            try {
                TokenStore st = store(userdata);
                if (st == null || outLen == null) {
                    return ERROR;
                }
                k = key(key);
                byte[] v = st.load(k);
                if (v == null) {
                    return NOT_FOUND;
                }
                writeSizeT(outLen, v.length);
                long cap = bufLen == null ? 0 : bufLen.longValue(); // < 0: a size_t above 2^63
                if (cap >= 0 && v.length > cap) {
                    return BUFFER_TOO_SMALL;
                }
                if (v.length > 0) {
                    buf.write(0, v, 0, v.length);
                }
                return OK;
            } catch (Throwable t) {
                thrown("load", k, t);
                return ERROR;
            }
        }
    }

    private static final class Save implements B2cLibrary.StoreSaveCallback {
        @Override
        public int invoke(Pointer userdata, Pointer key, Pointer value, B2cLibrary.SizeT valueLen) {
            String k = null;
            try {
                TokenStore st = store(userdata);
                if (st == null) {
                    return ERROR;
                }
                k = key(key);
                long n = valueLen == null ? 0 : valueLen.longValue();
                if (n < 0 || n > Integer.MAX_VALUE - 8 || (n > 0 && value == null)) {
                    return ERROR;
                }
                byte[] v = n == 0 ? new byte[0] : value.getByteArray(0, (int) n);
                st.save(k, v);
                return OK;
            } catch (Throwable t) {
                thrown("save", k, t);
                return ERROR;
            }
        }
    }

    private static final class Lock implements B2cLibrary.StoreLockCallback {
        @Override
        public int invoke(Pointer userdata, Pointer key, int timeoutMs, int leaseMs) {
            String k = null;
            try {
                TokenStore st = store(userdata);
                if (st == null) {
                    return ERROR;
                }
                k = key(key);
                return st.lock(k, Integer.toUnsignedLong(timeoutMs), Integer.toUnsignedLong(leaseMs)) ? OK : LOCK_TIMEOUT;
            } catch (Throwable t) {
                thrown("lock", k, t);
                return ERROR;
            }
        }
    }

    private static final class Unlock implements B2cLibrary.StoreUnlockCallback {
        @Override
        public void invoke(Pointer userdata, Pointer key) {
            String k = null;
            try {
                TokenStore st = store(userdata);
                if (st == null) {
                    return;
                }
                k = key(key);
                st.unlock(k);
            } catch (Throwable t) {
                thrown("unlock", k, t);
            }
        }
    }
}

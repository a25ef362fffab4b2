package com.b2c;

import com.sun.jna.Pointer;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The binding's side of the library's registry of shared handles ({@code b2c_client_shared},
 * {@code b2c_b2binpay_shared}, {@code b2c_shared_clear}): one {@link HandleState} per shared
 * native object, keyed by the handle kind and a SHA-256 of the configuration in canonical form
 * (keys sorted, so any key order names the same object, as in the library; the configuration
 * itself, which holds the private key or the password, is not kept). The count of live handles
 * per object tells {@link #clear()} which ones the library may have dropped.
 *
 * <p>An entry's log callback object is never released (the library may hold it for as long as
 * the shared object lives, and that can outlive every handle); its stores are released when
 * {@link B2c#clearShared()} runs with no handle of the object left.
 */
final class SharedHandles {
    private SharedHandles() {}

    private static final Object LOCK = new Object();

    /** Guarded by LOCK. */
    private static final Map<String, Entry> ENTRIES = new HashMap<>();

    private static final class Entry {
        final HandleState state = new HandleState();
        /** Live handles (guarded by LOCK). */
        int handles;

        void released() {
            synchronized (LOCK) {
                handles--;
            }
        }
    }

    /** A native handle just created, the state it uses and what to run after its free. */
    static final class Opened {
        final Pointer ptr;
        final HandleState state;
        final Runnable afterFree;

        Opened(Pointer ptr, HandleState state, Runnable afterFree) {
            this.ptr = ptr;
            this.state = state;
            this.afterFree = afterFree;
        }
    }

    /** Creates the native handle (throws the library's error). */
    interface Creator {
        Pointer create(String json);
    }

    /** A handle of its own (not shared): a state of its own, its stores released after its free. */
    static Opened own(Pointer ptr) {
        HandleState st = new HandleState();
        return new Opened(ptr, st, st::releaseStores);
    }

    /** A new handle to the shared native object of {@code json} ({@code kind}: "client", "b2binpay"). */
    static Opened shared(String kind, String json, Creator creator) {
        Objects.requireNonNull(json, "configJson");
        String id = kind + ":" + identity(json);
        synchronized (LOCK) {
            Pointer p = creator.create(json);
            if (p == null) {
                throw new InternalException(Status.PANIC.code(), kind + ": library returned NULL", 0);
            }
            Entry e = ENTRIES.computeIfAbsent(id, k -> new Entry());
            e.handles++;
            return new Opened(p, e.state, e::released);
        }
    }

    /** {@link B2c#clearShared()}. */
    static long clear() {
        B2cLibrary lib = Ffi.lib();
        synchronized (LOCK) {
            long n = lib.b2c_shared_clear().longValue();
            for (Entry e : ENTRIES.values()) {
                if (e.handles <= 0) {
                    e.state.dropped();
                }
            }
            return n;
        }
    }

    /** SHA-256 (hex) of the canonical form of the configuration (of the text itself when it
     * is not JSON this parser reads: the library then refuses it anyway). */
    static String identity(String json) {
        String canon;
        try {
            canon = Json.canonical(Json.parse(json));
        } catch (RuntimeException e) {
            canon = json;
        }
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(canon.getBytes(StandardCharsets.UTF_8));
            StringBuilder sb = new StringBuilder(64);
            for (byte b : d) {
                sb.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
            }
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}

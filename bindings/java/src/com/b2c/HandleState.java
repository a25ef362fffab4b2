package com.b2c;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

import java.util.ArrayList;
import java.util.List;

/**
 * What the binding keeps for one native object (a client or a B2BINPAY handle): its log
 * callback and the token stores attached to it. A handle from {@code new Client(...)} has its
 * own; every handle of one shared native object ({@link Client#shared}) has the same one
 * (held by {@link SharedHandles}), because a log callback or a store set through one handle
 * applies to all of them.
 *
 * <p>A store, once attached, stays registered until the native object is freed (or, for a
 * shared one, dropped by {@link B2c#clearShared()}), even after it was replaced or detached:
 * a call that began before the change may still use it, and its {@code unlock} must reach the
 * store that took the lock.
 */
final class HandleState {
    /** The native object's log callback (see {@link LogRouting#setHandleLogger}). */
    final LogRouting.Router logRouter = new LogRouting.Router(null);

    /** Guarded by {@code this}. */
    private final List<TokenStores.Slot> slots = new ArrayList<>();

    /** The native {@code b2c_*_set_token_store} of one handle kind. */
    interface StoreSetter {
        int set(Pointer handle, B2cLibrary.TokenStoreStruct store, PointerByReference err);
    }

    /** Attaches {@code store} through {@code handle} (null detaches). */
    void setTokenStore(NativeHandle handle, StoreSetter setter, TokenStore store) {
        handle.use(p -> {
            // The monitor is taken inside use(): close() holds the handle's write lock while
            // it frees, then calls releaseStores().
            synchronized (this) {
                PointerByReference err = new PointerByReference();
                if (store == null) {
                    Ffi.check(setter.set(p, null, err), err);
                    return null;
                }
                TokenStores.Slot slot = TokenStores.register(store);
                try {
                    Ffi.check(setter.set(p, slot.struct, err), err);
                } catch (RuntimeException | Error e) {
                    TokenStores.release(slot);
                    throw e;
                }
                slots.add(slot);
                return null;
            }
        });
    }

    /** The native object is gone: its stores are released (never called back again). */
    synchronized void releaseStores() {
        for (TokenStores.Slot s : slots) {
            TokenStores.release(s);
        }
        slots.clear();
    }

    /** A shared native object without handles was dropped: release what the binding held. */
    void dropped() {
        releaseStores();
        logRouter.logger = null;
    }
}

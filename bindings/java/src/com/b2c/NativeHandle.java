package com.b2c;

import com.sun.jna.Pointer;

import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * An owned native handle. Calls hold a read lock so several threads may use the handle at once
 * (the library allows it) while {@link #close()} takes the write lock: it waits for running
 * calls and makes later ones throw IllegalStateException instead of using freed memory.
 * A handle that is never closed is freed by a {@link Cleaner} once unreachable.
 */
abstract class NativeHandle implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Cleaner.Cleanable cleanable;
    private final Releaser releaser;
    private final String kind;
    private Pointer ptr;

    /** Must not capture {@code this}: it runs after the handle became unreachable. */
    private static final class Releaser implements Runnable {
        private final Pointer ptr;
        private final Consumer<Pointer> free;
        /** Kept reachable until the native object is freed (e.g. a log callback it holds). */
        volatile Object retained;
        /** Run right after the native free (must not capture the handle either). */
        volatile Runnable afterFree;

        Releaser(Pointer ptr, Consumer<Pointer> free) {
            this.ptr = ptr;
            this.free = free;
        }

        @Override
        public void run() {
            try {
                free.accept(ptr);
            } finally {
                retained = null;
                Runnable a = afterFree;
                afterFree = null;
                if (a != null) {
                    a.run();
                }
            }
        }
    }

    NativeHandle(String kind, Pointer ptr, Consumer<Pointer> free) {
        if (ptr == null) {
            throw new InternalException(Status.PANIC.code(), kind + ": library returned NULL", 0);
        }
        this.kind = kind;
        this.ptr = ptr;
        this.releaser = new Releaser(ptr, free);
        this.cleanable = CLEANER.register(this, releaser);
    }

    /**
     * Keeps {@code o} (which must not reference this handle) strongly reachable until the native
     * object has been freed, by {@link #close()} or by the Cleaner: a callback the native object
     * holds must outlive it, even when the handle itself becomes unreachable first.
     */
    final void retainUntilFreed(Object o) {
        releaser.retained = o;
    }

    /**
     * Runs {@code r} (which must not reference this handle) once, right after the native free
     * (by {@link #close()} or by the Cleaner): e.g. releasing what only that native object used.
     */
    final void afterFree(Runnable r) {
        releaser.afterFree = r;
    }

    /** Runs {@code f} with the live pointer. */
    final <T> T use(Function<Pointer, T> f) {
        lock.readLock().lock();
        try {
            if (ptr == null) {
                throw new IllegalStateException(kind + " is closed");
            }
            return f.apply(ptr);
        } finally {
            lock.readLock().unlock();
            Reference.reachabilityFence(this);
        }
    }

    public final boolean isClosed() {
        lock.readLock().lock();
        try {
            return ptr == null;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Frees the native object; waits for calls running on other threads. Idempotent. */
    @Override
    public void close() {
        if (lock.getReadHoldCount() > 0) {
            throw new IllegalStateException(kind + ".close() called from inside a call on it");
        }
        lock.writeLock().lock();
        try {
            if (ptr != null) {
                ptr = null;
                cleanable.clean();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}

package com.b2c;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The library's log events routed to {@code java.util.logging}: the process-wide callback
 * (installed when the library is loaded, feeding {@code Logger.getLogger("b2c")}) and the
 * per-handle callbacks of {@link Client#setLogger} and {@link B2binpay#setLogger}.
 *
 * <p>Levels: ERROR→SEVERE, WARN→WARNING, INFO→INFO, DEBUG→FINE, TRACE→FINEST. The native
 * {@code max_level} for a JUL level is the most verbose native level whose JUL level that
 * level lets through (OFF and SEVERE: ERROR, the floor: the library never takes "no level"
 * together with a callback).
 *
 * <p>Each record: level as above, the message (already redacted by the library), logger name,
 * {@code sourceClassName} {@code "b2c." + target}, {@code sourceMethodName} the event name,
 * parameters {@code {target, event}}.
 */
final class LogRouting {
    private LogRouting() {}

    static final String LOGGER_NAME = "b2c";

    /** Held strongly: the LogManager keeps loggers weakly, and with them their configured level. */
    static final Logger LOGGER = Logger.getLogger(LOGGER_NAME);

    /** The native level used while the "b2c" logger has no level of its own. */
    static final int DEFAULT_NATIVE_LEVEL = 2; // WARN

    /** The process-wide callback: one object for the life of the process (never collected, so
     * its native trampoline is never freed, whatever thread is still inside it). */
    private static final Router GLOBAL = new Router(LOGGER);

    /** Serializes process-wide installs. Never trigger library loading while holding it. */
    private static final Object LOCK = new Object();

    // ---- levels

    /** The JUL level of a native {@code b2c_log_level}. */
    static Level julLevel(int nativeLevel) {
        switch (nativeLevel) {
            case 1: return Level.SEVERE;
            case 2: return Level.WARNING;
            case 3: return Level.INFO;
            case 4: return Level.FINE;
            case 5: return Level.FINEST;
            default: return nativeLevel < 1 ? Level.SEVERE : Level.FINEST;
        }
    }

    /** The native {@code max_level} (1..5) that delivers what {@code level} lets through;
     * null: {@link #DEFAULT_NATIVE_LEVEL}. */
    static int nativeLevel(Level level) {
        if (level == null) {
            return DEFAULT_NATIVE_LEVEL;
        }
        int v = level.intValue();
        if (v <= Level.FINEST.intValue()) {
            return 5;
        }
        if (v <= Level.FINE.intValue()) {
            return 4;
        }
        if (v <= Level.INFO.intValue()) {
            return 3;
        }
        if (v <= Level.WARNING.intValue()) {
            return 2;
        }
        return 1;
    }

    // ---- process-wide

    /** Called once by {@link NativeLoader} right after loading; never throws (a library
     * without the log exports still loads, its events just are not routed). */
    static void installAtLoad(B2cLibrary lib) {
        try {
            synchronized (LOCK) {
                PointerByReference err = new PointerByReference();
                int rc = lib.b2c_set_log_callback(GLOBAL, null, nativeLevel(LOGGER.getLevel()), err);
                if (rc != 0 && err.getValue() != null) {
                    lib.b2c_error_free(err.getValue());
                }
            }
        } catch (RuntimeException | LinkageError e) {
            // not routed; loading goes on
        }
    }

    /** {@link B2c#setLogLevel}. */
    static void setLevel(Level level) {
        B2cLibrary lib = Ffi.lib(); // loads (and installs) first, outside the lock
        synchronized (LOCK) {
            LOGGER.setLevel(level);
            PointerByReference err = new PointerByReference();
            Ffi.check(lib.b2c_set_log_callback(GLOBAL, null, nativeLevel(level), err), err);
        }
    }

    // ---- per handle

    /** The native setter of one handle kind. */
    interface Setter {
        int set(Pointer handle, B2cLibrary.LogCallback callback, Pointer userdata, int maxLevel,
                PointerByReference err);
    }

    /**
     * Routes {@code handle}'s events to {@code logger} up to {@code level} (null logger:
     * removes the handle's callback; the process-wide routing applies again).
     * {@code router} is the handle's own, kept until the native handle is freed.
     */
    static void setHandleLogger(NativeHandle handle, Router router, Setter setter, Logger logger, Level level) {
        if (logger != null) {
            Objects.requireNonNull(level, "level (Level.OFF silences the handle; a null logger removes it)");
        }
        synchronized (router) {
            handle.use(p -> {
                PointerByReference err = new PointerByReference();
                if (logger == null) {
                    Ffi.check(setter.set(p, null, null, 0, err), err);
                    router.logger = null;
                } else {
                    Logger previous = router.logger;
                    router.logger = logger;
                    try {
                        Ffi.check(setter.set(p, router, null, nativeLevel(level), err), err);
                    } catch (RuntimeException e) {
                        router.logger = previous;
                        throw e;
                    }
                }
                return null;
            });
        }
    }

    // ---- the callback

    /** Sizes and offsets of {@code b2c_log_params} (C layout, natural alignment). */
    private static final int SIZE_T = Native.SIZE_T_SIZE;
    private static final int PTR = Native.POINTER_SIZE;
    private static final long OFF_LEVEL = SIZE_T;
    private static final long OFF_TARGET = align(OFF_LEVEL + 4, PTR);
    private static final long OFF_EVENT = OFF_TARGET + PTR;
    private static final long OFF_MESSAGE = OFF_EVENT + PTR;
    private static final long OFF_MESSAGE_LEN = align(OFF_MESSAGE + PTR, SIZE_T);

    private static long align(long off, int to) {
        return (off + to - 1) / to * to;
    }

    private static long sizeT(Pointer p, long off) {
        return SIZE_T == 8 ? p.getLong(off) : Integer.toUnsignedLong(p.getInt(off));
    }

    private static String cString(Pointer p, long off, long structSize) {
        if (off + PTR > structSize) {
            return "";
        }
        Pointer s = p.getPointer(off);
        return s == null ? "" : s.getString(0, StandardCharsets.UTF_8.name());
    }

    /**
     * A native log callback feeding one JUL logger (replaceable: {@link #logger} is read per
     * event). Copies everything out of {@code b2c_log_params} during the call and never lets
     * an exception out (one a handler throws drops that event).
     */
    static final class Router implements B2cLibrary.LogCallback {
        volatile Logger logger;

        Router(Logger logger) {
            this.logger = logger;
        }

        @Override
        public void invoke(Pointer userdata, Pointer params) {
            try {
                Logger l = logger;
                if (l == null || params == null) {
                    return;
                }
                LogRecord r = decode(params, l);
                if (r != null) {
                    l.log(r);
                }
            } catch (Throwable t) {
                // Nothing may unwind into the library: the event is dropped.
            }
        }
    }

    /** The record for one event, or null when {@code logger} would drop it (or params are
     * too short to carry a level). */
    static LogRecord decode(Pointer params, Logger logger) {
        long structSize = sizeT(params, 0);
        if (structSize < OFF_LEVEL + 4) {
            return null;
        }
        Level level = julLevel(params.getInt(OFF_LEVEL));
        if (!logger.isLoggable(level)) {
            return null;
        }
        String target = cString(params, OFF_TARGET, structSize);
        String event = cString(params, OFF_EVENT, structSize);
        String message = "";
        if (OFF_MESSAGE + PTR <= structSize) {
            Pointer m = params.getPointer(OFF_MESSAGE);
            if (m != null) {
                long len = OFF_MESSAGE_LEN + SIZE_T <= structSize ? sizeT(params, OFF_MESSAGE_LEN) : -1;
                if (len >= 0 && len <= Integer.MAX_VALUE - 8) {
                    message = new String(m.getByteArray(0, (int) len), StandardCharsets.UTF_8);
                } else {
                    message = m.getString(0, StandardCharsets.UTF_8.name());
                }
            }
        }
        return record(level, target, event, message, logger.getName());
    }

    static LogRecord record(Level level, String target, String event, String message, String loggerName) {
        LogRecord r = new LogRecord(level, message);
        r.setLoggerName(loggerName);
        r.setSourceClassName("b2c." + target);
        r.setSourceMethodName(event);
        r.setParameters(new Object[] {target, event});
        return r;
    }
}

package com.b2c;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.logging.Level;

/** Library-wide information. */
public final class B2c {
    private B2c() {}

    /** Written into the jar by bindings/java/build-jar.sh. */
    private static final String VERSION_RESOURCE = "version.properties";

    private static final class BindingVersion {
        static final String VALUE = read();

        private static String read() {
            try (InputStream in = B2c.class.getResourceAsStream(VERSION_RESOURCE)) {
                if (in != null) {
                    Properties p = new Properties();
                    p.load(in);
                    String v = p.getProperty("version");
                    if (v != null && !v.trim().isEmpty()) {
                        return v.trim();
                    }
                }
            } catch (IOException e) {
                // fall through to the manifest
            }
            Package pkg = B2c.class.getPackage();
            return pkg == null ? null : pkg.getImplementationVersion();
        }
    }

    /**
     * Sets the level of {@code Logger.getLogger("b2c")}, where the library's log events go
     * (every handle without a logger of its own), and the library's own level to match: FINE
     * adds one event per HTTP exchange, INFO the token exchanges, 401s and retries, WARNING
     * (the default while the logger has no level of its own) what an operator should look at,
     * such as a suspicious B2BINPAY refresh; {@code Level.OFF} silences the library. null
     * clears the logger's level (it inherits again) and puts the library back at WARNING.
     * Call this rather than {@code setLevel} on the logger (the library cannot see that), or
     * call it again after changing the logger's level another way. Loads the library if needed.
     */
    public static void setLogLevel(Level level) {
        LogRouting.setLevel(level);
    }

    /**
     * Drops the shared clients and B2BINPAY handles ({@link Client#shared},
     * {@link B2binpay#shared}) that no handle holds any more, with the loggers and token stores
     * the binding kept for them; returns how many the library dropped. Handles still held are
     * untouched. Loads the library if needed.
     */
    public static long clearShared() {
        return SharedHandles.clear();
    }

    /** The native library version, e.g. "0.1.0". Loads the library if needed. */
    public static String version() {
        return Ffi.lib().b2c_version();
    }

    /** The library's description of any status code ("unknown status" for unknown codes). */
    public static String statusString(int status) {
        return Ffi.lib().b2c_status_str(status);
    }

    /**
     * This binding's version, e.g. "0.1.0" (the jar's {@code Implementation-Version}), or null
     * when the classes were not packaged by {@code bindings/java/build-jar.sh}. Does not load
     * the native library.
     */
    public static String bindingVersion() {
        return BindingVersion.VALUE;
    }

    /** Where the loaded native library came from. Loads the library if needed. */
    public static LibrarySource librarySource() {
        return NativeLoader.loaded().source;
    }

    /**
     * The native library file that was loaded: the {@code B2C_LIBRARY} path, the extracted
     * bundled copy, or, for the system loader, the name it was given (e.g.
     * {@code libb2c.so.0.1}) unless JNA found the file itself. Loads the library if needed.
     */
    public static String libraryPath() {
        return NativeLoader.loaded().path;
    }
}

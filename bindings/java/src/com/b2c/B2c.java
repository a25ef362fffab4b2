package com.b2c;

/** Library-wide information. */
public final class B2c {
    private B2c() {}

    /** The native library version, e.g. "0.1.0". */
    public static String version() {
        return Ffi.LIB.b2c_version();
    }

    /** The library's description of any status code. */
    public static String statusString(int status) {
        return Ffi.LIB.b2c_status_str(status);
    }
}

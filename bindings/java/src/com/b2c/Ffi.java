package com.b2c;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

import java.nio.charset.StandardCharsets;

/** Shared plumbing: the loaded library, status checks, library-owned strings. */
final class Ffi {
    private Ffi() {}

    /** The library, loaded on first use (see {@link NativeLoader} for the search order). */
    static B2cLibrary lib() {
        return NativeLoader.loaded().lib;
    }

    /** Throws the typed exception for a failed status, freeing the error object. */
    static void check(int status, PointerByReference err) {
        check(status, err, null);
    }

    static void check(int status, PointerByReference err, FeeStatus feeStatus) {
        if (status == 0) {
            return;
        }
        throw toException(status, err, feeStatus);
    }

    static B2cException toException(int status, PointerByReference err, FeeStatus feeStatus) {
        Pointer e = err == null ? null : err.getValue();
        String message;
        int http = 0;
        if (e != null) {
            try {
                message = utf8(lib().b2c_error_message(e));
                http = lib().b2c_error_http_status(e);
                status = lib().b2c_error_status(e);
            } finally {
                lib().b2c_error_free(e);
                err.setValue(null);
            }
        } else {
            message = lib().b2c_status_str(status);
        }
        if (message == null || message.isEmpty()) {
            message = lib().b2c_status_str(status);
        }
        return B2cException.create(status, message, http, feeStatus);
    }

    /** Frees an error object left in {@code err} (used when the caller throws something else). */
    static void discard(PointerByReference err) {
        Pointer e = err.getValue();
        if (e != null) {
            lib().b2c_error_free(e);
            err.setValue(null);
        }
    }

    /** Reads a library-owned string out of {@code out} and frees it with b2c_string_free. */
    static String take(PointerByReference out) {
        Pointer p = out.getValue();
        if (p == null) {
            throw new InternalException(Status.PANIC.code(), "library returned NULL string", 0);
        }
        try {
            return utf8(p);
        } finally {
            lib().b2c_string_free(p);
            out.setValue(null);
        }
    }

    /** The bytes of a library-owned NUL-terminated string in {@code out} (without the NUL),
     * freed with b2c_string_free. */
    static byte[] takeBytes(PointerByReference out) {
        Pointer p = out.getValue();
        if (p == null) {
            throw new InternalException(Status.PANIC.code(), "library returned NULL string", 0);
        }
        try {
            long n = p.indexOf(0, (byte) 0);
            if (n < 0 || n > Integer.MAX_VALUE - 8) {
                throw new InternalException(Status.PANIC.code(), "library string too long", 0);
            }
            return p.getByteArray(0, (int) n);
        } finally {
            lib().b2c_string_free(p);
            out.setValue(null);
        }
    }

    /** Decodes a NUL-terminated UTF-8 string (JNA's getString(0, "UTF-8") does the same). */
    static String utf8(Pointer p) {
        if (p == null) {
            return "";
        }
        return p.getString(0, StandardCharsets.UTF_8.name());
    }
}

package com.b2c;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

import java.util.Objects;

/** The generic calls of every handle ({@code b2c_*_call} / {@code b2c_*_call_with}). */
final class Calls {
    private Calls() {}

    /** {@code b2c_*_call}. */
    interface Plain {
        int call(Pointer handle, String method, String path, byte[] body, B2cLibrary.SizeT bodyLen,
                 IntByReference outStatus, PointerByReference outBody, PointerByReference err);
    }

    /** {@code b2c_*_call_with}. */
    interface With {
        int call(Pointer handle, String method, String path, byte[] body, B2cLibrary.SizeT bodyLen,
                 B2cLibrary.CallOptions options, IntByReference outStatus, PointerByReference outBody,
                 PointerByReference err);
    }

    /** 0 default, 1 yes, 2 no: a {@code b2c_call_options} tri-state. */
    static int tri(Boolean b) {
        return b == null ? 0 : (b ? 1 : 2);
    }

    /**
     * One call on {@code handle}: {@code plain} when every option is the default, else
     * {@code with}. {@code raw} is only passed by the CRM handle (null elsewhere).
     */
    static Response call(NativeHandle handle, Plain plain, With with, String method, String path, byte[] body,
                         Boolean idempotent, Boolean raw) {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        noNul("method", method);
        noNul("path", path);
        byte[] b = body == null || body.length == 0 ? null : body;
        B2cLibrary.SizeT len = new B2cLibrary.SizeT(b == null ? 0 : b.length);
        B2cLibrary.CallOptions opts = idempotent == null && raw == null ? null
            : new B2cLibrary.CallOptions(tri(idempotent), tri(raw));
        return handle.use(p -> {
            IntByReference status = new IntByReference(0);
            PointerByReference out = new PointerByReference();
            PointerByReference err = new PointerByReference();
            int rc = opts == null ? plain.call(p, method, path, b, len, status, out, err)
                : with.call(p, method, path, b, len, opts, status, out, err);
            Ffi.check(rc, err);
            return new Response(status.getValue(), Ffi.takeBytes(out));
        });
    }

    /**
     * A Java string may hold U+0000, which would end the C string early (another request than
     * the one asked for): refused here as INVALID_ARGUMENT.
     */
    static void noNul(String what, String s) {
        if (s.indexOf('\0') >= 0) {
            throw new InvalidArgumentException(Status.INVALID_ARGUMENT.code(), what + " contains a NUL character", 0);
        }
    }
}

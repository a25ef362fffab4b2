package com.b2c;

import com.sun.jna.ptr.PointerByReference;

/** Maps a verify-style status: OK → true, SIGNATURE_INVALID → false, others throw. */
final class Verdicts {
    private Verdicts() {}

    static boolean verdict(int rc, PointerByReference err) {
        if (rc == Status.SIGNATURE_INVALID.code()) {
            Ffi.discard(err);
            return false;
        }
        Ffi.check(rc, err);
        return true;
    }
}

package com.b2c;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A P-256 private key held by the library (its memory is cleansed when closed). Immutable and
 * safe to share between threads.
 */
public final class Key extends NativeHandle {
    private Key(Pointer p) {
        super("Key", p, Ffi.lib()::b2c_key_free);
    }

    /** A new random key pair. */
    public static Key generate() {
        PointerByReference out = new PointerByReference();
        PointerByReference err = new PointerByReference();
        Ffi.check(Ffi.lib().b2c_key_generate(out, err), err);
        return new Key(out.getValue());
    }

    /** Loads a PKCS#8 or SEC1 PEM private key. Throws {@link KeyFormatException}. */
    public static Key fromPem(String pem) {
        Objects.requireNonNull(pem, "pem");
        byte[] bytes = pem.getBytes(StandardCharsets.UTF_8);
        PointerByReference out = new PointerByReference();
        PointerByReference err = new PointerByReference();
        Ffi.check(Ffi.lib().b2c_key_from_pem(bytes, new B2cLibrary.SizeT(bytes.length), out, err), err);
        return new Key(out.getValue());
    }

    /** Loads a PEM private key file. Throws {@link KeyFormatException} or, if it can't be read,
     * {@link IoException} (status IO). */
    public static Key fromFile(String path) {
        Objects.requireNonNull(path, "path");
        PointerByReference out = new PointerByReference();
        PointerByReference err = new PointerByReference();
        Ffi.check(Ffi.lib().b2c_key_from_file(path, out, err), err);
        return new Key(out.getValue());
    }

    public static Key fromFile(Path path) {
        return fromFile(path.toString());
    }

    /** The private key as PKCS#8 PEM. (The native copy is zeroed; the Java String can't be.) */
    public String privatePem() {
        return use(p -> {
            PointerByReference out = new PointerByReference();
            PointerByReference err = new PointerByReference();
            Ffi.check(Ffi.lib().b2c_key_private_pem(p, out, err), err);
            return Ffi.take(out);
        });
    }

    /** The public key as SPKI PEM ({@code BEGIN PUBLIC KEY}), the form B2COPY registers. */
    public String publicPem() {
        return use(p -> {
            PointerByReference out = new PointerByReference();
            PointerByReference err = new PointerByReference();
            Ffi.check(Ffi.lib().b2c_key_public_pem(p, out, err), err);
            return Ffi.take(out);
        });
    }
}

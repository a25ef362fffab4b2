package com.b2c;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds and loads libb2c, once per class loader. The order (README, "Loading"):
 * <ol>
 * <li>the {@code B2C_LIBRARY} environment variable, else the {@code b2c.library} system
 *     property: the path of the library file. When set (non-empty) it must name an existing
 *     file, and nothing else is tried;</li>
 * <li>the copy bundled in the jar: the classpath resource
 *     {@code <jna-platform-prefix>/libb2c.so} ({@code linux-x86-64/libb2c.so} on x86-64
 *     Linux), extracted by JNA to its temporary directory ({@code jna.tmpdir}) and loaded
 *     from there. A bundled copy that cannot be extracted or loaded is an error (no
 *     fallback to a different build);</li>
 * <li>the system dynamic loader by SONAME ({@code libb2c.so.0.MINOR} before 1.0,
 *     {@code libb2c.so.MAJOR} from 1.0, derived from the binding's version), then the JNA
 *     name {@code b2c} ({@code libb2c.so}, also searched on {@code jna.library.path}).</li>
 * </ol>
 * A failure is an {@link UnsatisfiedLinkError} naming every place tried; it is thrown again,
 * with the same message, by every later call into the library.
 */
final class NativeLoader {
    private NativeLoader() {}

    static final String ENV = "B2C_LIBRARY";
    static final String PROPERTY = "b2c.library";
    static final String FILE_NAME = "libb2c.so";

    /** A loaded library and where it came from. */
    static final class Loaded {
        final B2cLibrary lib;
        final LibrarySource source;
        final String path;

        Loaded(B2cLibrary lib, LibrarySource source, String path) {
            this.lib = lib;
            this.source = source;
            this.path = path;
        }
    }

    /** The outcome of the one loading attempt: a library or the error message. */
    private static final class Holder {
        static final Loaded LOADED;
        static final String ERROR;

        static {
            Loaded loaded = null;
            String error = null;
            try {
                loaded = load();
                // The library's events go to java.util.logging from the start (README, "Logs
                // and statistics"); never fails the load.
                LogRouting.installAtLoad(loaded.lib);
            } catch (UnsatisfiedLinkError e) {
                error = e.getMessage();
            } catch (RuntimeException | LinkageError e) {
                error = "libb2c: loading failed: " + e;
            }
            LOADED = loaded;
            ERROR = error;
        }
    }

    /** The loaded library; throws {@link UnsatisfiedLinkError} if it could not be loaded. */
    static Loaded loaded() {
        if (Holder.LOADED == null) {
            throw new UnsatisfiedLinkError(Holder.ERROR);
        }
        return Holder.LOADED;
    }

    /** The classpath resource of the bundled copy for this platform. */
    static String bundledResource() {
        return Platform.RESOURCE_PREFIX + "/" + FILE_NAME;
    }

    /**
     * The SONAME for a binding version: {@code libb2c.so.0.MINOR} before 1.0,
     * {@code libb2c.so.MAJOR} from 1.0; null if {@code version} is not MAJOR.MINOR[.…].
     */
    static String soname(String version) {
        if (version == null) {
            return null;
        }
        String[] parts = version.split("[.+-]");
        if (parts.length < 2 || !parts[0].matches("\\d+") || !parts[1].matches("\\d+")) {
            return null;
        }
        long major = Long.parseLong(parts[0]);
        return major == 0 ? FILE_NAME + ".0." + Long.parseLong(parts[1]) : FILE_NAME + "." + major;
    }

    private static Loaded load() {
        String env = System.getenv(ENV);
        if (env != null && !env.isEmpty()) {
            return explicit(ENV, env);
        }
        String prop = System.getProperty(PROPERTY);
        if (prop != null && !prop.isEmpty()) {
            return explicit("-D" + PROPERTY, prop);
        }

        List<String> tried = new ArrayList<>();
        tried.add(ENV + " environment variable (and -D" + PROPERTY + "): not set");

        String resource = bundledResource();
        ClassLoader cl = NativeLoader.class.getClassLoader();
        if (cl == null) {
            cl = ClassLoader.getSystemClassLoader();
        }
        URL url = cl.getResource(resource);
        if (url == null) {
            tried.add("bundled copy (classpath resource " + resource + "): not in the jar");
        } else {
            File file;
            try {
                file = Native.extractFromResourcePath("/" + resource, cl);
            } catch (IOException | RuntimeException e) {
                throw new UnsatisfiedLinkError("libb2c: the bundled copy " + url + " could not be extracted ("
                    + e + "); set jna.tmpdir to a writable directory that allows executables, or set "
                    + ENV + " to the path of " + FILE_NAME);
            }
            String path = file.getAbsolutePath();
            try {
                return new Loaded(open(path), LibrarySource.BUNDLED, path);
            } catch (UnsatisfiedLinkError e) {
                throw new UnsatisfiedLinkError("libb2c: the bundled copy " + url + " (extracted to " + path
                    + ") could not be loaded: " + oneLine(e.getMessage()));
            }
        }

        String version = B2c.bindingVersion();
        String soname = soname(version);
        List<String> names = new ArrayList<>();
        if (soname == null) {
            tried.add("system loader by SONAME: skipped, the binding version is unknown ("
                + (version == null ? "not built by bindings/java/build-jar.sh" : "'" + version + "'") + ")");
        } else {
            names.add(soname);
        }
        names.add("b2c");
        for (String name : names) {
            try {
                B2cLibrary lib = open(name);
                return new Loaded(lib, LibrarySource.SYSTEM, fileOf(lib, name));
            } catch (UnsatisfiedLinkError e) {
                String what = name.equals("b2c") ? FILE_NAME + " (JNA name 'b2c', also on jna.library.path)" : name;
                tried.add("system loader, " + what + ": " + oneLine(e.getMessage()));
            }
        }
        StringBuilder sb = new StringBuilder("libb2c not found. Tried, in order:");
        for (int i = 0; i < tried.size(); i++) {
            sb.append("\n  ").append(i + 1).append(". ").append(tried.get(i));
        }
        sb.append("\nSet ").append(ENV).append(" to the path of ").append(FILE_NAME)
            .append(", use a b2c jar that bundles it, or install it (make install; ldconfig).");
        throw new UnsatisfiedLinkError(sb.toString());
    }

    private static Loaded explicit(String what, String value) {
        Path p = Paths.get(value).toAbsolutePath().normalize();
        if (!Files.isRegularFile(p)) {
            throw new UnsatisfiedLinkError("libb2c: " + what + "=" + value + " is not an existing file ("
                + (Files.exists(p) ? "it is not a regular file" : "no such file")
                + "); it must be the path of " + FILE_NAME + ". Nothing else is tried while it is set.");
        }
        String path = p.toString();
        try {
            return new Loaded(open(path), LibrarySource.EXPLICIT, path);
        } catch (UnsatisfiedLinkError e) {
            throw new UnsatisfiedLinkError("libb2c: " + what + "=" + value + " could not be loaded: "
                + oneLine(e.getMessage()));
        }
    }

    private static B2cLibrary open(String name) {
        Map<String, Object> options = new HashMap<>();
        options.put(Library.OPTION_STRING_ENCODING, "UTF-8");
        B2cLibrary lib = Native.load(name, B2cLibrary.class, options);
        lib.b2c_version(); // resolves a symbol: fails here, not later, if this is not libb2c
        return lib;
    }

    /** The file JNA opened (the name itself when the dynamic loader resolved it). */
    private static String fileOf(B2cLibrary lib, String name) {
        InvocationHandler h = Proxy.getInvocationHandler(lib);
        if (h instanceof Library.Handler) {
            NativeLibrary nl = ((Library.Handler) h).getNativeLibrary();
            File f = nl.getFile();
            if (f != null) {
                return f.getPath();
            }
        }
        return name;
    }

    /** JNA's multi-line message as one line, without its repeats and its header line. */
    private static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        Set<String> parts = new LinkedHashSet<>();
        for (String line : s.split("\n")) {
            String t = line.trim();
            if (!t.isEmpty() && !t.startsWith("Unable to load library")) {
                parts.add(t);
            }
        }
        return parts.isEmpty() ? s.trim() : String.join("; ", parts);
    }
}

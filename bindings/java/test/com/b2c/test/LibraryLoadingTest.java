package com.b2c.test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.b2c.B2c;
import com.b2c.LibrarySource;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Where libb2c is loaded from (spec A): in this JVM, and in child JVMs ({@link LoadProbe})
 * for the other cases. Env (set by scripts/test-java.sh): B2C_BUNDLED_FROM (the libb2c.so that
 * build-jar.sh bundled), B2C_JAR (that jar), B2C_JAR_NOLIB (a jar without a bundled copy),
 * JNA_JAR, B2C_EXPECTED_VERSION.
 */
@ExtendWith(LogScanExtension.class)
class LibraryLoadingTest {
    static final String RESOURCE = "linux-x86-64/libb2c.so";
    static Path tmp;

    @BeforeAll
    static void makeTmp() throws IOException {
        tmp = Files.createTempDirectory("b2c-java-load");
    }

    @AfterAll
    static void removeTmp() throws IOException {
        try (Stream<Path> s = Files.walk(tmp)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static String real(String path) throws IOException {
        return Paths.get(path).toRealPath().toString();
    }

    // ---- this JVM

    @Test
    void thisJvmLoadedTheExpectedCopy() throws Exception {
        String explicit = System.getenv("B2C_LIBRARY");
        String bundledFrom = System.getenv("B2C_BUNDLED_FROM");
        String path = B2c.libraryPath();
        if (explicit != null && !explicit.isEmpty()) {
            assertEquals(LibrarySource.EXPLICIT, B2c.librarySource(), "B2C_LIBRARY is set");
            assertEquals(Paths.get(explicit).toAbsolutePath().normalize().toString(), path);
        } else {
            assumeTrue(bundledFrom != null && !bundledFrom.isEmpty(), "B2C_BUNDLED_FROM not set");
            assertEquals(LibrarySource.BUNDLED, B2c.librarySource(), "no B2C_LIBRARY: the bundled copy");
            URL url = LibraryLoadingTest.class.getClassLoader().getResource(RESOURCE);
            assertNotNull(url, "resource " + RESOURCE + " on the classpath");
            assertTrue(url.toString().startsWith("jar:"), "bundled copy comes from a jar: " + url);
            assertNotEquals(real(bundledFrom), real(path), "loaded the extracted copy, not the original");
            assertArrayEquals(Files.readAllBytes(Paths.get(bundledFrom)), Files.readAllBytes(Paths.get(path)),
                "the extracted copy is the bundled file");
            assertFalse(LoadProbe.mappedFiles().contains(real(bundledFrom)), "the original is not mapped");
        }
        assertTrue(LoadProbe.mappedFiles().contains(real(path)), path + " is mapped into this process");
    }

    @Test
    void jarManifestAndResource() throws Exception {
        String jar = System.getenv("B2C_JAR");
        assumeTrue(jar != null && !jar.isEmpty(), "B2C_JAR not set");
        try (JarFile jf = new JarFile(jar)) {
            String v = jf.getManifest().getMainAttributes().getValue("Implementation-Version");
            assertNotNull(v, "Implementation-Version in " + jar);
            String expected = System.getenv("B2C_EXPECTED_VERSION");
            if (expected != null && !expected.isEmpty()) {
                assertEquals(expected, v, "Implementation-Version");
            }
            assertNotNull(jf.getEntry(RESOURCE), RESOURCE + " in " + jar);
            String bundledFrom = System.getenv("B2C_BUNDLED_FROM");
            if (bundledFrom != null && !bundledFrom.isEmpty()) {
                try (InputStream in = jf.getInputStream(jf.getEntry(RESOURCE))) {
                    assertArrayEquals(Files.readAllBytes(Paths.get(bundledFrom)), in.readAllBytes(), "bundled bytes");
                }
            }
        }
        String nolib = System.getenv("B2C_JAR_NOLIB");
        if (nolib != null && !nolib.isEmpty()) {
            try (JarFile jf = new JarFile(nolib)) {
                assertEquals(null, jf.getEntry(RESOURCE), "no " + RESOURCE + " in " + nolib);
                assertNotNull(jf.getManifest().getMainAttributes().getValue("Implementation-Version"));
            }
        }
    }

    // ---- child JVMs

    static final class Probe {
        final int exit;
        final Map<String, String> out = new LinkedHashMap<>();
        final List<String> mapped = new ArrayList<>();
        final String stdout;
        final String stderr;

        Probe(int exit, String stdout, String stderr) {
            this.exit = exit;
            this.stdout = stdout;
            this.stderr = stderr;
            for (String line : stdout.split("\n")) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    String k = line.substring(0, eq);
                    String v = line.substring(eq + 1);
                    if (k.equals("mapped")) {
                        mapped.add(v);
                    } else {
                        out.put(k, v);
                    }
                }
            }
        }

        String error() {
            return out.getOrDefault("error", "").replace("\\n", "\n");
        }

        @Override
        public String toString() {
            return "exit " + exit + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr;
        }
    }

    static String jar(String env) {
        String j = System.getenv(env);
        assumeTrue(j != null && !j.isEmpty() && new File(j).isFile(), env + " not set");
        return j;
    }

    static String rel() {
        String from = System.getenv("B2C_BUNDLED_FROM");
        if (from == null || from.isEmpty()) {
            from = System.getenv("B2C_LIBRARY");
        }
        assumeTrue(from != null && !from.isEmpty() && new File(from).isFile(), "no libb2c.so path (B2C_BUNDLED_FROM)");
        return from;
    }

    /** Runs LoadProbe with {@code jar} on the class path and exactly the given B2C/LD env. */
    static Probe probe(String jar, Map<String, String> env, String... jvmArgs) throws Exception {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        String jna = Support.env("JNA_JAR", "/usr/share/java/jna.jar");
        String testClasses = Paths.get(LoadProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.add("-Djna.tmpdir=" + tmp.resolve("jna"));
        cmd.addAll(Arrays.asList(jvmArgs));
        cmd.add("-cp");
        cmd.add(jna + File.pathSeparator + jar + File.pathSeparator + testClasses);
        cmd.add(LoadProbe.class.getName());
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("B2C_LIBRARY");
        pb.environment().remove("LD_LIBRARY_PATH");
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        pb.environment().putAll(env);
        File outF = tmp.resolve("probe.out").toFile();
        File errF = tmp.resolve("probe.err").toFile();
        pb.redirectOutput(outF);
        pb.redirectError(errF);
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("child JVM timed out: " + cmd);
        }
        return new Probe(p.exitValue(), new String(Files.readAllBytes(outF.toPath()), StandardCharsets.UTF_8),
            new String(Files.readAllBytes(errF.toPath()), StandardCharsets.UTF_8));
    }

    /** The SONAME derived from the expected version (0.MINOR before 1.0, else MAJOR). */
    static String expectedSoname() {
        String v = Support.env("B2C_EXPECTED_VERSION", B2c.bindingVersion());
        assumeTrue(v != null, "version unknown");
        String[] p = v.split("\\.");
        return p[0].equals("0") ? "libb2c.so.0." + p[1] : "libb2c.so." + p[0];
    }

    @Test
    void missingB2cLibraryIsAClearErrorWithoutFallback() throws Exception {
        String missing = tmp.resolve("no-such-dir/libb2c.so").toString();
        Probe r = probe(jar("B2C_JAR"), Map.of("B2C_LIBRARY", missing));
        assertEquals(3, r.exit, r.toString());
        assertTrue(r.error().contains("B2C_LIBRARY=" + missing), "names the variable and value: " + r.error());
        assertTrue(r.error().contains("not an existing file"), r.error());
        assertFalse(r.stdout.contains("source="), "must not fall back to the bundled copy: " + r);
    }

    @Test
    void directoryAsB2cLibraryIsAnError() throws Exception {
        Probe r = probe(jar("B2C_JAR"), Map.of("B2C_LIBRARY", tmp.toString()));
        assertEquals(3, r.exit, r.toString());
        assertTrue(r.error().contains("B2C_LIBRARY=" + tmp) && r.error().contains("not an existing file"), r.error());
    }

    @Test
    void unloadableB2cLibraryIsAnError() throws Exception {
        Path junk = tmp.resolve("junk.so");
        Files.write(junk, "not a library".getBytes(StandardCharsets.UTF_8));
        Probe r = probe(jar("B2C_JAR"), Map.of("B2C_LIBRARY", junk.toString()));
        assertEquals(3, r.exit, r.toString());
        assertTrue(r.error().contains("B2C_LIBRARY=" + junk) && r.error().contains("could not be loaded"), r.error());
    }

    @Test
    void explicitB2cLibraryWinsOverTheBundledCopy() throws Exception {
        String lib = rel();
        Probe r = probe(jar("B2C_JAR"), Map.of("B2C_LIBRARY", lib));
        assertEquals(0, r.exit, r.toString());
        assertEquals("EXPLICIT", r.out.get("source"), r.toString());
        assertEquals(Paths.get(lib).toAbsolutePath().normalize().toString(), r.out.get("path"));
        assertTrue(r.mapped.contains(real(lib)), "the B2C_LIBRARY file is mapped: " + r);
        assertFalse(r.mapped.stream().anyMatch(m -> m.startsWith(tmp.resolve("jna").toString())),
            "nothing extracted/mapped from jna.tmpdir: " + r);
    }

    @Test
    void systemPropertyIsAnAliasAndTheEnvironmentWins() throws Exception {
        String lib = rel();
        Probe r = probe(jar("B2C_JAR_NOLIB"), Map.of(), "-Db2c.library=" + lib);
        assertEquals(0, r.exit, r.toString());
        assertEquals("EXPLICIT", r.out.get("source"), r.toString());
        assertEquals(Paths.get(lib).toAbsolutePath().normalize().toString(), r.out.get("path"));

        r = probe(jar("B2C_JAR_NOLIB"), Map.of("B2C_LIBRARY", lib), "-Db2c.library=/nonexistent/libb2c.so");
        assertEquals(0, r.exit, r.toString());
        assertEquals(Paths.get(lib).toAbsolutePath().normalize().toString(), r.out.get("path"), "B2C_LIBRARY first");

        r = probe(jar("B2C_JAR"), Map.of(), "-Db2c.library=/nonexistent/libb2c.so");
        assertEquals(3, r.exit, r.toString());
        assertTrue(r.error().contains("-Db2c.library=/nonexistent/libb2c.so"), r.error());
    }

    @Test
    void bundledCopyIsExtractedAndLoaded() throws Exception {
        String lib = rel();
        Probe r = probe(jar("B2C_JAR"), Map.of());
        assertEquals(0, r.exit, r.toString());
        assertEquals("BUNDLED", r.out.get("source"), r.toString());
        String path = r.out.get("path");
        assertTrue(path.startsWith(tmp.resolve("jna").toString()), "extracted to jna.tmpdir: " + path);
        assertFalse(r.mapped.contains(real(lib)), "the original file is not mapped: " + r);
        assertEquals(Support.env("B2C_EXPECTED_VERSION", r.out.get("version")), r.out.get("version"));
    }

    @Test
    void systemLoaderBySoname() throws Exception {
        String lib = rel();
        String soname = expectedSoname();
        Path dir = Files.createDirectories(tmp.resolve("soname"));
        Files.deleteIfExists(dir.resolve(soname));
        Files.createSymbolicLink(dir.resolve(soname), Paths.get(lib).toAbsolutePath());
        Probe r = probe(jar("B2C_JAR_NOLIB"), Map.of("LD_LIBRARY_PATH", dir.toString()));
        assertEquals(0, r.exit, r.toString());
        assertEquals("SYSTEM", r.out.get("source"), r.toString());
        assertEquals(soname, r.out.get("path"), "loaded by SONAME");
        assertTrue(r.mapped.contains(real(lib)), "the SONAME link's target is mapped: " + r);
    }

    @Test
    void systemLoaderPlainName() throws Exception {
        String lib = rel();
        // The SONAME is tried first: a libb2c installed system-wide (make install + ldconfig,
        // e.g. /usr/local/lib/libb2c.so.0.1) answers it before the plain name is ever tried.
        Probe sys = probe(jar("B2C_JAR_NOLIB"), Map.of());
        assumeTrue(sys.exit != 0 || !"SYSTEM".equals(sys.out.get("source")),
            "a system libb2c is installed (" + sys.out.get("path") + ", mapped "
                + sys.mapped.stream().filter(m -> m.contains("libb2c")).findFirst().orElse("?")
                + "): it shadows the plain-name step");
        Path dir = Files.createDirectories(tmp.resolve("plain"));
        Files.deleteIfExists(dir.resolve("libb2c.so"));
        Files.createSymbolicLink(dir.resolve("libb2c.so"), Paths.get(lib).toAbsolutePath());
        Probe r = probe(jar("B2C_JAR_NOLIB"), Map.of("LD_LIBRARY_PATH", dir.toString()));
        assertEquals(0, r.exit, r.toString());
        assertEquals("SYSTEM", r.out.get("source"), r.toString());
        assertTrue(r.mapped.contains(real(lib)), "libb2c.so is mapped: " + r);
    }

    @Test
    void notFoundNamesEveryPlaceTried() throws Exception {
        Probe r = probe(jar("B2C_JAR_NOLIB"), Map.of());
        assumeTrue(r.exit != 0 || !"SYSTEM".equals(r.out.get("source")), "a system libb2c is installed");
        assertEquals(3, r.exit, r.toString());
        String e = r.error();
        for (String want : new String[] {"B2C_LIBRARY", "b2c.library", RESOURCE, expectedSoname(), "libb2c.so (JNA name"}) {
            assertTrue(e.contains(want), "error names " + want + ":\n" + e);
        }
    }
}

package com.b2c.test;

import com.b2c.B2c;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Set;
import java.util.TreeSet;

/**
 * Run in a child JVM by {@link LibraryLoadingTest}: loads libb2c and prints
 * {@code source=…}, {@code path=…}, {@code version=…} and one {@code mapped=…} line per file
 * mapped into the process (from /proc/self/maps); or {@code error=<message>} and exits 3.
 */
public final class LoadProbe {
    private LoadProbe() {}

    public static void main(String[] args) throws Exception {
        try {
            String version = B2c.version();
            System.out.println("source=" + B2c.librarySource());
            System.out.println("path=" + B2c.libraryPath());
            System.out.println("version=" + version);
        } catch (UnsatisfiedLinkError e) {
            System.out.println("error=" + e.getMessage().replace("\n", "\\n"));
            System.exit(3);
        }
        for (String m : mappedFiles()) {
            System.out.println("mapped=" + m);
        }
    }

    /** The files mapped into this process (/proc/self/maps). */
    static Set<String> mappedFiles() throws IOException {
        Set<String> out = new TreeSet<>();
        for (String line : Files.readAllLines(Paths.get("/proc/self/maps"), StandardCharsets.UTF_8)) {
            int slash = line.indexOf('/');
            if (slash >= 0) {
                out.add(line.substring(slash).trim());
            }
        }
        return out;
    }
}

package com.b2c.test;

import com.b2c.B2c;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Log plumbing of the tests.
 *
 * <p>The secret scan: when env B2C_SCAN_DIR is set, {@link #suite()} (run before every test
 * class by {@link LogScanExtension}) adds a {@link ScanHandler} to {@code Logger "b2c"} and
 * sets {@code B2c.setLogLevel(Level.FINEST)}, so every record the binding's routing delivers
 * during the whole suite is appended, one line {@code LEVEL target event: message}, to
 * {@code $B2C_SCAN_DIR/java-log-events.log} (scripts/secret-scan.py reads it). Tests that
 * change the level put back {@link #suiteLevel()} afterwards; per-handle loggers made with
 * {@link #ownLogger} write to the same file.
 */
final class LogCapture {
    private LogCapture() {}

    static final String FILE_NAME = "java-log-events.log";

    /** Held strongly (the LogManager keeps loggers weakly). */
    static final Logger B2C = Logger.getLogger("b2c");

    private static ScanHandler scan;
    private static boolean done;

    /** The scan file, or null when B2C_SCAN_DIR is not set. */
    static Path scanFile() {
        String dir = System.getenv("B2C_SCAN_DIR");
        return dir == null || dir.isEmpty() ? null : Paths.get(dir, FILE_NAME);
    }

    /** The suite-wide setup (idempotent). */
    static synchronized void suite() {
        if (done) {
            return;
        }
        done = true;
        if (attachScanFile(B2C) != null) {
            B2c.setLogLevel(Level.FINEST);
        }
    }

    /** The level the suite runs the "b2c" logger at (what a test puts back). */
    static Level suiteLevel() {
        suite();
        return scan != null ? Level.FINEST : null;
    }

    /** Adds the scan handler to {@code logger} when B2C_SCAN_DIR is set; returns it (or null). */
    static synchronized ScanHandler attachScanFile(Logger logger) {
        Path f = scanFile();
        if (f == null) {
            return null;
        }
        if (scan == null) {
            try {
                Files.createDirectories(f.getParent());
                scan = new ScanHandler(f);
            } catch (IOException e) {
                throw new IllegalStateException("B2C_SCAN_DIR: cannot write " + f + ": " + e, e);
            }
        }
        logger.addHandler(scan);
        return scan;
    }

    /** A logger of a test's own (not under "b2c", no parent handlers, level ALL) that also
     * feeds the scan file. */
    static Logger ownLogger(String name) {
        Logger l = Logger.getLogger("b2c-test." + name);
        l.setUseParentHandlers(false);
        l.setLevel(Level.ALL);
        for (Handler h : l.getHandlers()) {
            l.removeHandler(h);
        }
        attachScanFile(l);
        return l;
    }

    /** One line per record: {@code LEVEL target event: message} (target/event from the record's parameters). */
    static String line(LogRecord r) {
        Object[] p = r.getParameters();
        String target = p != null && p.length > 0 ? String.valueOf(p[0]) : "?";
        String event = p != null && p.length > 1 ? String.valueOf(p[1]) : "?";
        String msg = String.valueOf(r.getMessage()).replace("\r", "\\r").replace("\n", "\\n");
        return r.getLevel().getName() + " " + target + " " + event + ": " + msg;
    }

    /** Appends {@link #line} of every record to a file (append mode, one write per line). */
    static final class ScanHandler extends Handler {
        private final OutputStream out;

        ScanHandler(Path file) throws IOException {
            this.out = new FileOutputStream(file.toFile(), true);
            setLevel(Level.ALL);
        }

        @Override
        public synchronized void publish(LogRecord r) {
            try {
                out.write((line(r) + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                reportError("scan file", e, 0);
            }
        }

        @Override
        public void flush() {
            // every line is flushed
        }

        @Override
        public void close() {
            // kept open for the whole run (other loggers share it)
        }
    }

    /** Collects records; {@link #close()} detaches it. */
    static final class Collector extends Handler implements AutoCloseable {
        private final Logger logger;
        private final List<LogRecord> records = new ArrayList<>();

        private Collector(Logger logger) {
            this.logger = logger;
            setLevel(Level.ALL);
        }

        static Collector on(Logger logger) {
            Collector c = new Collector(logger);
            logger.addHandler(c);
            return c;
        }

        @Override
        public synchronized void publish(LogRecord r) {
            records.add(r);
        }

        synchronized List<LogRecord> records() {
            return new ArrayList<>(records);
        }

        synchronized int size() {
            return records.size();
        }

        synchronized void clear() {
            records.clear();
        }

        List<LogRecord> matching(Predicate<LogRecord> p) {
            List<LogRecord> out = new ArrayList<>();
            for (LogRecord r : records()) {
                if (p.test(r)) {
                    out.add(r);
                }
            }
            return out;
        }

        /** Records of {@code event} (and, when {@code needle} is not null, whose message contains it). */
        List<LogRecord> events(String event, String needle) {
            return matching(r -> event.equals(r.getSourceMethodName())
                && (needle == null || String.valueOf(r.getMessage()).contains(needle)));
        }

        int count(String event, String needle) {
            return events(event, needle).size();
        }

        /** Every record as {@link LogCapture#line}, for failure messages. */
        String dump() {
            StringBuilder sb = new StringBuilder();
            for (LogRecord r : records()) {
                sb.append("\n  ").append(line(r));
            }
            return sb.toString();
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            logger.removeHandler(this);
        }
    }
}

package com.b2c;

/** Where the loaded libb2c came from; see {@link B2c#librarySource()}. */
public enum LibrarySource {
    /** The path in the {@code B2C_LIBRARY} environment variable (or {@code -Db2c.library}). */
    EXPLICIT,
    /** The copy bundled in the jar (resource {@code linux-x86-64/libb2c.so}), extracted by JNA. */
    BUNDLED,
    /** The system dynamic loader (SONAME {@code libb2c.so.0.MINOR}, then {@code libb2c.so}). */
    SYSTEM
}

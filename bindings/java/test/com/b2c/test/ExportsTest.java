package com.b2c.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.b2c.B2cLibrary;
import com.sun.jna.Structure;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every function of the header is declared in B2cLibrary, and the b2c_store_result values the
 * store bridge answers are the header's. The header is the one the library under test was
 * built from: {@code $B2C_REL/b2c.h} when that exists (a snapshot directory carries it), else
 * env B2C_HEADER (default {@code <root>/include/b2c.h}).
 */
@ExtendWith(LogScanExtension.class)
class ExportsTest {

    static String headerPath() {
        String rel = System.getenv("B2C_REL");
        if (rel != null && !rel.isEmpty() && Files.isRegularFile(Paths.get(rel, "b2c.h"))) {
            return Paths.get(rel, "b2c.h").toString();
        }
        return Support.env("B2C_HEADER", Support.root() + "/include/b2c.h");
    }

    static String header() throws Exception {
        String path = headerPath();
        String text = new String(Files.readAllBytes(Paths.get(path)), StandardCharsets.UTF_8);
        return text.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\n]*", " ");
    }

    @Test
    void everyHeaderFunctionIsDeclared() throws Exception {
        // A declaration: return type words and stars from the start of a line, then the name.
        Matcher m = Pattern.compile("(?m)^[A-Za-z_][\\w \\t*]*?\\b(b2c_[a-z0-9_]+)\\s*\\(").matcher(header());
        TreeSet<String> functions = new TreeSet<>();
        while (m.find()) {
            functions.add(m.group(1));
        }
        assertTrue(functions.size() >= 45, "parsed only " + functions.size() + " functions: " + functions);
        assertTrue(functions.contains("b2c_client_shared") && functions.contains("b2c_shared_clear")
            && functions.contains("b2c_b2binpay_set_token_store") && functions.contains("b2c_crm_call_with")
            && functions.contains("b2c_retailcrm_register_account"), "the parser sees the newest ones: " + functions);
        TreeSet<String> declared = new TreeSet<>();
        for (Method x : B2cLibrary.class.getDeclaredMethods()) {
            declared.add(x.getName());
        }
        List<String> missing = new ArrayList<>();
        for (String f : functions) {
            if (!declared.contains(f)) {
                missing.add(f);
            }
        }
        assertEquals(List.of(), missing, "functions of " + headerPath() + " B2cLibrary does not declare");
    }

    /** B2cLibrary.CallOptions has the fields of the header's b2c_call_options, in order, with
     * the matching types (size_t: SizeT, int32_t: int). */
    @Test
    void callOptionsStructIsTheHeaders() throws Exception {
        Matcher block = Pattern.compile("(?s)typedef struct \\{([^{}]*)\\}\\s*b2c_call_options\\s*;").matcher(header());
        assertTrue(block.find(), "no b2c_call_options in the header");
        Matcher f = Pattern.compile("([a-z0-9_]+)\\s+([a-z_][a-z0-9_]*)\\s*;").matcher(block.group(1));
        List<String> want = new ArrayList<>();
        while (f.find()) {
            want.add(f.group(2) + ":" + f.group(1));
        }
        assertTrue(want.size() >= 3, "parsed " + want);
        List<String> got = new ArrayList<>();
        for (String name : B2cLibrary.CallOptions.class.getAnnotation(Structure.FieldOrder.class).value()) {
            Class<?> t = B2cLibrary.CallOptions.class.getField(name).getType();
            String c = t == B2cLibrary.SizeT.class ? "size_t" : t == int.class ? "int32_t" : t.getName();
            got.add(name + ":" + c);
        }
        assertEquals(want, got, "b2c_call_options");
    }

    @Test
    void storeResultValuesAreTheHeaders() throws Exception {
        Matcher block = Pattern.compile("(?s)typedef enum \\{(.*?)\\}\\s*b2c_store_result\\s*;").matcher(header());
        assertTrue(block.find(), "no b2c_store_result in the header");
        Matcher e = Pattern.compile("B2C_STORE_([A-Z_]+)\\s*=\\s*(-?\\d+)").matcher(block.group(1));
        Map<String, Integer> want = new TreeMap<>();
        while (e.find()) {
            want.put(e.group(1), Integer.parseInt(e.group(2)));
        }
        Map<String, Integer> got = new TreeMap<>();
        Class<?> bridge = Class.forName("com.b2c.TokenStores");
        for (String name : new String[] {"OK", "NOT_FOUND", "BUFFER_TOO_SMALL", "LOCK_TIMEOUT", "ERROR"}) {
            Field f = bridge.getDeclaredField(name);
            f.setAccessible(true);
            got.put(name, f.getInt(null));
        }
        assertEquals(want, got, "b2c_store_result");
    }
}

package com.b2c.test;

import static com.b2c.test.Support.config;
import static com.b2c.test.Support.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.b2c.Client;
import com.b2c.InvalidArgumentException;
import com.b2c.Key;
import com.b2c.KeyFormatException;
import com.b2c.Status;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Map;

/** Client configuration checks (no network traffic). */
@ExtendWith(LogScanExtension.class)
class ConfigTest {
    static Key key;
    static String pem;

    @BeforeAll
    static void makeKey() {
        key = Key.generate();
        pem = key.privatePem();
    }

    @AfterAll
    static void closeKey() {
        key.close();
    }

    @Test
    void userAgentWithSpecialCharacters() {
        Map<String, Object> m = config("http://127.0.0.1:1", pem);
        m.put("user_agent", "b2c-java-test \"quoted\" \\ é ✓");
        try (Client c = new Client(m)) {
            assertEquals(3, c.mintJwt().split("\\.").length, "client mintJwt");
        }
    }

    /** Notes issue 9, point 7: a user_agent with CR or LF is B2C_CONFIG (was: accepted). */
    @Test
    void userAgentWithCrLfIsConfigError() {
        for (String ua : new String[] {"b2c-java-test\n", "b2c\r\nX-Injected: 1", "b2c\rjava"}) {
            Map<String, Object> m = config("http://127.0.0.1:1", pem);
            m.put("user_agent", ua);
            expect(InvalidArgumentException.class, Status.CONFIG, "user_agent " + ua.replace("\r", "\\r").replace("\n", "\\n"),
                () -> new Client(m).close());
        }
    }

    @Test
    void unknownConfigKey() {
        Map<String, Object> bad = config("http://127.0.0.1:1", pem);
        bad.put("no_such_key", 1);
        expect(InvalidArgumentException.class, Status.CONFIG, "unknown config key", () -> new Client(bad).close());
    }

    @Test
    void invalidJson() {
        expect(InvalidArgumentException.class, Status.CONFIG, "invalid JSON", () -> new Client("{\"base_url\":").close());
    }

    @Test
    void httpToNonLoopback() {
        expect(InvalidArgumentException.class, Status.INSECURE_URL, "http to non-loopback",
            () -> new Client(config("http://example.com", pem)).close());
    }

    @Test
    void wrongType() {
        Map<String, Object> wrongType = config("http://127.0.0.1:1", pem);
        wrongType.put("poll_interval_ms", "fast");
        expect(InvalidArgumentException.class, Status.CONFIG, "wrong type", () -> new Client(wrongType).close());
    }

    @Test
    void badKeyInConfig() {
        expect(KeyFormatException.class, null, "bad key in config",
            () -> new Client(config("http://127.0.0.1:1", "-----BEGIN PRIVATE KEY-----\nAA\n-----END PRIVATE KEY-----\n")).close());
    }
}

package com.b2c.test;

import static com.b2c.test.Support.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.b2c.Latency;
import com.b2c.Stats;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Map;

/** Stats.fromJson: every key, unknown keys tolerated, missing keys 0, unsigned 64-bit. */
@ExtendWith(LogScanExtension.class)
class StatsTest {
    static final String FULL = "{\"requests\":11,\"retries\":3,\"retries_by_cause\":{\"status_5xx\":2,\"reset\":1},"
        + "\"auth_exchanges\":1,\"refreshes\":2,\"reauths\":3,\"unauthorized\":4,\"suspicious\":5,"
        + "\"connections_opened\":6,\"tls_handshakes\":7,\"tls_resumed\":8,\"dns_lookups\":9,\"deadline_exceeded\":10,"
        + "\"store_loads\":12,\"store_adopted\":13,\"store_saves\":14,\"store_errors\":15,\"latency\":{\"processext\":{\"count\":8,\"p50_us\":100,"
        + "\"p90_us\":200,\"p99_us\":300,\"max_us\":400},\"authexternalcrm\":{\"count\":1,\"p50_us\":5,\"p90_us\":5,"
        + "\"p99_us\":5,\"max_us\":5}}}";

    @Test
    void everyKey() {
        Stats s = Stats.fromJson(FULL);
        assertEquals(11, s.requests());
        assertEquals(3, s.retries());
        assertEquals(Map.of("status_5xx", 2L, "reset", 1L), s.retriesByCause());
        assertEquals(1, s.authExchanges());
        assertEquals(2, s.refreshes());
        assertEquals(3, s.reauths());
        assertEquals(4, s.unauthorized());
        assertEquals(5, s.suspicious());
        assertEquals(6, s.connectionsOpened());
        assertEquals(7, s.tlsHandshakes());
        assertEquals(8, s.tlsResumed());
        assertEquals(9, s.dnsLookups());
        assertEquals(10, s.deadlineExceeded());
        assertEquals(12, s.storeLoads());
        assertEquals(13, s.storeAdopted());
        assertEquals(14, s.storeSaves());
        assertEquals(15, s.storeErrors());
        assertEquals(new Latency(8, 100, 200, 300, 400), s.latency("processext"));
        assertEquals(new Latency(1, 5, 5, 5, 5), s.latency().get("authexternalcrm"));
        assertEquals(2, s.latency().size());
        assertSame(Latency.NONE, s.latency("refreshtoken"), "an endpoint without measurements");
        assertEquals(FULL, s.json());
        assertTrue(s.toString().contains("\"requests\":11"), s.toString());
        expect(UnsupportedOperationException.class, null, "unmodifiable", () -> s.latency().clear());
        expect(UnsupportedOperationException.class, null, "unmodifiable", () -> s.retriesByCause().clear());
    }

    @Test
    void unknownKeysAreIgnoredAndMissingOnesAreZero() {
        Stats s = Stats.fromJson("{\"new_counter\": 7, \"new_object\": {\"a\": [1, 2.5, \"x\", null, true]},"
            + " \"new_list\": [{}], \"new_float\": 0.25, \"new_string\": \"s\", \"new_null\": null,"
            + " \"requests\": 2, \"latency\": {\"token\": {\"count\": 3, \"p42_us\": 9, \"histogram\": [1, 2]}},"
            + " \"retries_by_cause\": {\"future_cause\": 4}}");
        assertEquals(2, s.requests());
        assertEquals(0, s.retries(), "missing: 0");
        assertEquals(0, s.storeAdopted(), "missing: 0");
        assertEquals(0, s.storeErrors(), "missing: 0");
        assertEquals(new Latency(3, 0, 0, 0, 0), s.latency("token"), "unknown latency fields ignored");
        assertEquals(Map.of("future_cause", 4L), s.retriesByCause(), "a cause this binding does not know");
        Stats empty = Stats.fromJson("{}");
        assertEquals(0, empty.requests());
        assertTrue(empty.latency().isEmpty() && empty.retriesByCause().isEmpty(), "empty maps");
    }

    @Test
    void unsigned64() {
        Stats s = Stats.fromJson("{\"requests\": 18446744073709551615, \"retries\": 9223372036854775808}");
        assertEquals(-1L, s.requests(), "2^64-1 as the unsigned bits");
        assertEquals("18446744073709551615", Long.toUnsignedString(s.requests()));
        assertEquals(Long.MIN_VALUE, s.retries(), "2^63");
    }

    @Test
    void wrongTypesAndMalformedJson() {
        for (String bad : new String[] {"[]", "1", "{\"requests\": -1}", "{\"requests\": 1.5}", "{\"requests\": \"1\"}",
                "{\"requests\": 18446744073709551616}", "{\"retries_by_cause\": 3}", "{\"retries_by_cause\": {\"x\": \"y\"}}",
                "{\"latency\": []}", "{\"latency\": {\"token\": 1}}", "{\"latency\": {\"token\": {\"count\": -2}}}",
                "{\"requests\": 1", "not json"}) {
            expect(IllegalArgumentException.class, null, "bad statistics: " + bad, () -> Stats.fromJson(bad));
        }
        expect(NullPointerException.class, null, "null", () -> Stats.fromJson(null));
    }
}

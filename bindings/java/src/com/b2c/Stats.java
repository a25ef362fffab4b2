package com.b2c;

import java.math.BigInteger;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The statistics of one handle since creation ({@link Client#stats()},
 * {@link B2binpay#stats()}), parsed from the library's JSON ({@link #json()}). Every count is
 * an unsigned 64-bit value in a {@code long} ({@link Long#toUnsignedString(long)} for huge
 * ones); a key the library did not send reads 0, keys this binding does not know are ignored
 * (the library may add keys).
 */
public final class Stats {
    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

    private final String json;
    private final long requests;
    private final long retries;
    private final Map<String, Long> retriesByCause;
    private final long authExchanges;
    private final long refreshes;
    private final long reauths;
    private final long unauthorized;
    private final long suspicious;
    private final long connectionsOpened;
    private final long tlsHandshakes;
    private final long tlsResumed;
    private final long dnsLookups;
    private final long deadlineExceeded;
    private final long storeLoads;
    private final long storeAdopted;
    private final long storeSaves;
    private final long storeErrors;
    private final Map<String, Latency> latency;

    private Stats(String json, Map<String, Object> m) {
        this.json = json;
        requests = count(m, "requests");
        retries = count(m, "retries");
        retriesByCause = counts(m, "retries_by_cause");
        authExchanges = count(m, "auth_exchanges");
        refreshes = count(m, "refreshes");
        reauths = count(m, "reauths");
        unauthorized = count(m, "unauthorized");
        suspicious = count(m, "suspicious");
        connectionsOpened = count(m, "connections_opened");
        tlsHandshakes = count(m, "tls_handshakes");
        tlsResumed = count(m, "tls_resumed");
        dnsLookups = count(m, "dns_lookups");
        deadlineExceeded = count(m, "deadline_exceeded");
        storeLoads = count(m, "store_loads");
        storeAdopted = count(m, "store_adopted");
        storeSaves = count(m, "store_saves");
        storeErrors = count(m, "store_errors");
        latency = latencies(m, "latency");
    }

    /**
     * Parses the JSON object {@code b2c_client_stats} / {@code b2c_b2binpay_stats} return.
     *
     * @throws IllegalArgumentException when it is not JSON, not an object, or a known key has
     *                                  a value of the wrong type (not an unsigned 64-bit integer,
     *                                  or not an object where one is expected)
     */
    public static Stats fromJson(String json) {
        Object v = Json.parse(Objects.requireNonNull(json, "json"));
        return new Stats(json, object(v, "statistics"));
    }

    /** {@link #fromJson} for the library's own answer: malformed is a library bug. */
    static Stats fromLibrary(String json, String function) {
        try {
            return fromJson(json);
        } catch (IllegalArgumentException e) {
            throw new InternalException(Status.PANIC.code(), function + " returned malformed statistics: "
                + e.getMessage(), 0);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object v, String what) {
        if (!(v instanceof Map)) {
            throw new IllegalArgumentException(what + ": not a JSON object");
        }
        return (Map<String, Object>) v;
    }

    private static long unsigned(Object v, String what) {
        if (v instanceof Long && (Long) v >= 0) {
            return (Long) v;
        }
        if (v instanceof BigInteger && ((BigInteger) v).signum() >= 0 && ((BigInteger) v).compareTo(TWO_64) < 0) {
            return ((BigInteger) v).longValue();
        }
        throw new IllegalArgumentException(what + ": " + v + " is not an unsigned 64-bit integer");
    }

    private static long count(Map<String, Object> m, String key) {
        return m.containsKey(key) ? unsigned(m.get(key), key) : 0;
    }

    private static Map<String, Long> counts(Map<String, Object> m, String key) {
        if (!m.containsKey(key)) {
            return Collections.emptyMap();
        }
        Map<String, Long> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : object(m.get(key), key).entrySet()) {
            out.put(e.getKey(), unsigned(e.getValue(), key + "." + e.getKey()));
        }
        return Collections.unmodifiableMap(out);
    }

    private static Map<String, Latency> latencies(Map<String, Object> m, String key) {
        if (!m.containsKey(key)) {
            return Collections.emptyMap();
        }
        Map<String, Latency> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : object(m.get(key), key).entrySet()) {
            String w = key + "." + e.getKey();
            Map<String, Object> l = object(e.getValue(), w);
            out.put(e.getKey(), new Latency(count(l, "count"), count(l, "p50_us"), count(l, "p90_us"),
                count(l, "p99_us"), count(l, "max_us")));
        }
        return Collections.unmodifiableMap(out);
    }

    /** The JSON text this was parsed from (every key, including ones this binding does not know). */
    public String json() {
        return json;
    }

    /** HTTP exchanges sent (every attempt). */
    public long requests() {
        return requests;
    }

    /** Retries, all causes. */
    public long retries() {
        return retries;
    }

    /** Retries by cause: {@code dns_not_found}, {@code dns_temporary}, {@code connect},
     * {@code reset}, {@code read_timeout}, {@code deadline}, {@code status_5xx},
     * {@code throttled}, {@code malformed}, {@code tls}, {@code proxy} (only causes seen;
     * unmodifiable). */
    public Map<String, Long> retriesByCause() {
        return retriesByCause;
    }

    /** Token exchanges with credentials (B2COPY authexternalcrm, B2BINPAY login). */
    public long authExchanges() {
        return authExchanges;
    }

    /** Refresh-token exchanges. */
    public long refreshes() {
        return refreshes;
    }

    /** Failed refreshes replaced by a fresh authentication. */
    public long reauths() {
        return reauths;
    }

    /** 401 answers to requests that carried an access token. */
    public long unauthorized() {
        return unauthorized;
    }

    /** Suspicious refresh-token rejections (B2BINPAY; security events). */
    public long suspicious() {
        return suspicious;
    }

    public long connectionsOpened() {
        return connectionsOpened;
    }

    public long tlsHandshakes() {
        return tlsHandshakes;
    }

    public long tlsResumed() {
        return tlsResumed;
    }

    public long dnsLookups() {
        return dnsLookups;
    }

    /** Calls that ended because their deadline ran out. */
    public long deadlineExceeded() {
        return deadlineExceeded;
    }

    /** Token store reads. */
    public long storeLoads() {
        return storeLoads;
    }

    /** Token pairs taken over from the store (another handle or process obtained them). */
    public long storeAdopted() {
        return storeAdopted;
    }

    /** Token pairs written to the store. */
    public long storeSaves() {
        return storeSaves;
    }

    /** Token store failures (each logged as a WARNING {@code store} event; b2c went on
     * without the store). */
    public long storeErrors() {
        return storeErrors;
    }

    /** Latency per endpoint (B2COPY {@code authexternalcrm}, {@code refreshtoken},
     * {@code processext}; B2BINPAY {@code token}, {@code token_refresh}); only endpoints with
     * a measurement; unmodifiable. */
    public Map<String, Latency> latency() {
        return latency;
    }

    /** The latency of one endpoint, {@link Latency#NONE} when it has none. */
    public Latency latency(String endpoint) {
        return latency.getOrDefault(endpoint, Latency.NONE);
    }

    /** The JSON text ({@link #json()}); it holds counts only, never a secret. */
    @Override
    public String toString() {
        return "Stats" + json;
    }
}

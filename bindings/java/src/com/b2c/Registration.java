package com.b2c;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The outcome of one RetailCRM register step for a module serving many accounts
 * ({@link RetailCrm#registerAccount}): the answer to send back (HTTP 200) and what the module
 * must store for the account. {@link #toString()} does not show the API key.
 */
public final class Registration {
    private final boolean registered;
    private final String answer;
    private final String systemUrl;
    private final String apiKey;
    private final String error;
    private final Map<String, String> fieldErrors;

    public Registration(boolean registered, String answer, String systemUrl, String apiKey, String error,
                        Map<String, String> fieldErrors) {
        this.registered = registered;
        this.answer = Objects.requireNonNull(answer, "answer");
        this.systemUrl = systemUrl;
        this.apiKey = apiKey;
        this.error = error;
        this.fieldErrors = fieldErrors == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(fieldErrors));
    }

    /** Parses the result object of {@code b2c_retailcrm_register_account}. */
    static Registration fromLibrary(String json) {
        try {
            Object v = Json.parse(json);
            if (!(v instanceof Map)) {
                throw new IllegalArgumentException("not an object");
            }
            Map<?, ?> m = (Map<?, ?>) v;
            Object reg = m.get("registered");
            Object answer = m.get("answer");
            if (!(reg instanceof Boolean) || !(answer instanceof String)) {
                throw new IllegalArgumentException("no registered/answer");
            }
            return new Registration((Boolean) reg, (String) answer, string(m, "system_url"), string(m, "api_key"),
                string(m, "error"), fieldErrors(m.get("field_errors")));
        } catch (IllegalArgumentException e) {
            throw new InternalException(Status.PANIC.code(),
                "b2c_retailcrm_register_account returned a malformed result: " + e.getMessage(), 0);
        }
    }

    private static String string(Map<?, ?> m, String key) {
        Object v = m.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof String)) {
            throw new IllegalArgumentException(key + " is not a string");
        }
        return (String) v;
    }

    /** The system's {@code errors}: field -> message; a non-string message as its JSON text; a
     * list of messages keyed by index ("0", "1", ...). */
    private static Map<String, String> fieldErrors(Object v) {
        if (v == null) {
            return null;
        }
        Map<String, String> out = new LinkedHashMap<>();
        if (v instanceof Map) {
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                out.put(String.valueOf(e.getKey()), text(e.getValue()));
            }
        } else if (v instanceof List) {
            int i = 0;
            for (Object x : (List<?>) v) {
                out.put(Integer.toString(i++), text(x));
            }
        } else {
            out.put("", text(v));
        }
        return out;
    }

    private static String text(Object v) {
        return v instanceof String ? (String) v : Json.canonical(v);
    }

    /** The module is registered in the account (the system accepted the edit call). */
    public boolean registered() {
        return registered;
    }

    /** The JSON to answer the system with, HTTP 200: success with the module's accountUrl, or
     * {@code {"success":false,"errorMsg":...}}. */
    public String answer() {
        return answer;
    }

    /** The account's system URL from the form (null when the form did not parse). */
    public String systemUrl() {
        return systemUrl;
    }

    /** The account's API key, only when {@link #registered()}: store it to call the system on
     * the account's behalf. A SECRET: never log it. */
    public String apiKey() {
        return apiKey;
    }

    /** Why it was not registered (no secret in it), or null. */
    public String error() {
        return error;
    }

    /** The system's field errors for the edit call (field -> message, unmodifiable), or null
     * when it gave none. */
    public Map<String, String> fieldErrors() {
        return fieldErrors;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Registration)) {
            return false;
        }
        Registration r = (Registration) o;
        return registered == r.registered && answer.equals(r.answer) && Objects.equals(systemUrl, r.systemUrl)
            && Objects.equals(apiKey, r.apiKey) && Objects.equals(error, r.error)
            && Objects.equals(fieldErrors, r.fieldErrors);
    }

    @Override
    public int hashCode() {
        return Objects.hash(registered, answer, systemUrl, apiKey, error, fieldErrors);
    }

    @Override
    public String toString() {
        return "Registration[registered=" + registered + ", systemUrl=" + systemUrl
            + ", apiKey=" + (apiKey == null ? "null" : "(redacted)") + ", error=" + error
            + ", fieldErrors=" + fieldErrors + "]";
    }
}

package com.b2c.test;

import static com.b2c.test.Support.expect;
import static com.b2c.test.Support.hmacReference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.b2c.B2binpay;
import com.b2c.CrmOpenApi;
import com.b2c.InvalidArgumentException;
import com.b2c.RetailCrm;
import com.b2c.Status;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** CRM Open API, B2BINPAY and RetailCRM calls that need no server. */
@ExtendWith(LogScanExtension.class)
class OfflineProtocolsTest {
    static final byte[] BODY = "{\"amount\":\"10.00\"}".getBytes(StandardCharsets.UTF_8);

    @Test
    void crmOpenApi() throws Exception {
        String sig = CrmOpenApi.signRequest("api-key", "POST", BODY);
        assertEquals(hmacReference("api-key".getBytes(StandardCharsets.UTF_8), BODY), sig, "CRM signature = HMAC");
        assertTrue(CrmOpenApi.signRequest("api-key", "GET", null).isEmpty(), "CRM GET unsigned");
        assertTrue(CrmOpenApi.verifySignature("api-key", BODY, sig), "CRM verify ok");
        assertFalse(CrmOpenApi.verifySignature("api-kez", BODY, sig), "CRM verify wrong key");
        assertTrue(CrmOpenApi.verifyWebhook("api-key".getBytes(StandardCharsets.UTF_8), BODY, sig.substring(7)), "webhook bare hex");
        assertFalse(CrmOpenApi.verifyWebhook("x".getBytes(StandardCharsets.UTF_8), BODY, sig), "webhook wrong secret");
    }

    /** Header-unsafe API keys (the key travels in the {@code key} header). */
    static final String[] BAD_API_KEYS = {"", "api\r\nkey", "api-key\n", "\rapi-key"};

    /** Notes issue 9, point 2: an empty or header-unsafe API key is INVALID_ARGUMENT. */
    @Test
    void crmEmptyOrHeaderUnsafeApiKey() throws Exception {
        String sig = hmacReference("api-key".getBytes(StandardCharsets.UTF_8), BODY);
        for (String bad : BAD_API_KEYS) {
            String shown = bad.replace("\r", "\\r").replace("\n", "\\n");
            expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "signRequest POST, API key \"" + shown + "\"",
                () -> CrmOpenApi.signRequest(bad, "POST", BODY));
            expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "signRequest GET, API key \"" + shown + "\"",
                () -> CrmOpenApi.signRequest(bad, "GET", null));
            expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "verifySignature, API key \"" + shown + "\"",
                () -> CrmOpenApi.verifySignature(bad, BODY, sig));
        }
        // an empty key's own HMAC is refused too, not "verified"
        String emptyKeySig = hmacReference(new byte[0], BODY);
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "verifySignature under the empty key",
            () -> CrmOpenApi.verifySignature("", BODY, emptyKeySig));
    }

    /**
     * Notes issue 9, point 2: only GET, POST, PUT, PATCH, DELETE (any case, nothing around it).
     * Was: any other method was OK and unsigned.
     */
    @Test
    void crmSignRequestMethods() throws Exception {
        String sig = hmacReference("api-key".getBytes(StandardCharsets.UTF_8), BODY);
        for (String m : new String[] {"POST", "post", "Post", "PUT", "put", "PATCH", "pAtCh"}) {
            assertEquals(sig, CrmOpenApi.signRequest("api-key", m, BODY), m + " with a body is signed");
            assertEquals("", CrmOpenApi.signRequest("api-key", m, null), m + " without a body is unsigned");
        }
        for (String m : new String[] {"GET", "get", "Get", "DELETE", "delete", "Delete"}) {
            assertEquals("", CrmOpenApi.signRequest("api-key", m, BODY), m + " is unsigned");
        }
        for (String m : new String[] {"FOO", "POST ", " POST", "\tGET", "POST\n", "PO ST", "", "HEAD", "OPTIONS",
                                      "POSTX", "GE"}) {
            String shown = m.replace("\t", "\\t").replace("\n", "\\n");
            expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "method \"" + shown + "\"",
                () -> CrmOpenApi.signRequest("api-key", m, BODY));
            expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "method \"" + shown + "\" without a body",
                () -> CrmOpenApi.signRequest("api-key", m.toLowerCase(Locale.ROOT), null));
        }
    }

    /** Notes issue 9, point 2 (was: verified an HMAC under the empty key). */
    @Test
    void webhookEmptySecret() throws Exception {
        String emptyKeySig = hmacReference(new byte[0], BODY);
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "webhook, empty secret, its own HMAC",
            () -> CrmOpenApi.verifyWebhook(new byte[0], BODY, emptyKeySig));
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "webhook, empty secret, bare hex",
            () -> CrmOpenApi.verifyWebhook(new byte[0], BODY, emptyKeySig.substring(7)));
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "webhook, empty secret and body",
            () -> CrmOpenApi.verifyWebhook(new byte[0], new byte[0], hmacReference(new byte[0], new byte[0])));
        // a one-byte secret still works
        byte[] one = {'s'};
        assertTrue(CrmOpenApi.verifyWebhook(one, BODY, hmacReference(one, BODY)), "webhook, 1-byte secret");
    }

    @Test
    void b2binpayCallbackAndConfig() {
        String good = "787e134c4b8beadf67c01364e5ec7e15dd0e4a26c1800407a2728227ee35ea0d";
        assertTrue(B2binpay.verifyCallback("sandbox-login", "sandbox-password", "2", "0.00100000", "track-1",
            "2024-01-01T00:00:00.000000Z", good), "B2BINPAY callback valid");
        assertFalse(B2binpay.verifyCallback("sandbox-login", "sandbox-password", "2", "0.00100001", "track-1",
            "2024-01-01T00:00:00.000000Z", good), "B2BINPAY callback tampered");
        expect(InvalidArgumentException.class, Status.CONFIG, "B2BINPAY unknown key",
            () -> new B2binpay("{\"base_url\":\"http://127.0.0.1:1\",\"login\":\"l\",\"password\":\"p\",\"x\":1}").close());
    }

    @Test
    void retailCrm() {
        String tok = RetailCrm.token("secret", "api-key");
        assertEquals("e757b68b52a38af45723dae04ea255b416e82ebc9de674cf18f3966131daaed5", tok, "RetailCRM token");
        assertTrue(RetailCrm.verifyToken("secret", "api-key", tok) && !RetailCrm.verifyToken("secret", "x", tok), "RetailCRM verifyToken");
        assertTrue(RetailCrm.configResponse("[\"integration_read\"]", "https://m/r").contains("\"registerUrl\":\"https://m/r\""), "configResponse");
        assertTrue(RetailCrm.registerSuccess("https://m/a").contains("\"accountUrl\":\"https://m/a\""), "registerSuccess");
        assertTrue(RetailCrm.errorResponse("bad \"x\"").contains("\"errorMsg\":\"bad \\\"x\\\"\""), "errorResponse escaping");
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "configResponse bad scopes",
            () -> RetailCrm.configResponse("nope", "https://m"));
    }

    /** Notes issue 9, point 3: an empty secret or API key is INVALID_ARGUMENT. */
    @Test
    void retailCrmTokenEmptySecretOrApiKey() {
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "RetailCRM token, empty secret",
            () -> RetailCrm.token("", "api-key"));
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "RetailCRM token, empty API key",
            () -> RetailCrm.token("secret", ""));
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "RetailCRM token, both empty",
            () -> RetailCrm.token("", ""));
        assertEquals(64, RetailCrm.token("s", "k").length(), "1-character secret and API key");
    }
}

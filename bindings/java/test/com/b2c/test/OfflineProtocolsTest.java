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

import java.nio.charset.StandardCharsets;

/** CRM Open API, B2BINPAY and RetailCRM calls that need no server. */
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
}

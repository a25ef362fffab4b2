package com.b2c.test;

import static com.b2c.test.Support.MODULE;
import static com.b2c.test.Support.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.b2c.AccessToken;
import com.b2c.AuthException;
import com.b2c.B2binpay;
import com.b2c.B2binpayCounters;
import com.b2c.B2cException;
import com.b2c.RetailCrm;
import com.b2c.Status;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** B2BINPAY and RetailCRM against the run's b2c-sandbox. */
@ExtendWith(SandboxExtension.class)
class SandboxProtocolsTest {
    static String url;

    @BeforeAll
    static void start(Sandbox sandbox) {
        url = sandbox.url;
    }

    @Test
    void b2binpayTokenAndCounters() {
        try (B2binpay b = new B2binpay(Map.of("base_url", url + "/b2binpay", "login", "sandbox-login",
                "password", "sandbox-password"))) {
            b.login();
            b.refresh();
            AccessToken t = b.accessToken();
            assertTrue(!t.token().isEmpty() && !t.suspicious(), "B2BINPAY access token");
            assertFalse(t.toString().contains(t.token()), "AccessToken.toString hides the token");
            B2binpayCounters c = b.counters();
            assertTrue(c.logins() >= 1 && c.refreshes() >= 1 && c.suspicious() == 0, "B2BINPAY counters: " + c);
        }
    }

    @Test
    void b2binpayBadPassword() {
        try (B2binpay b = new B2binpay(Map.of("base_url", url + "/b2binpay", "login", "sandbox-login", "password", "nope"))) {
            expect(AuthException.class, Status.AUTH_REJECTED, "B2BINPAY bad password", b::login);
        }
    }

    @Test
    void retailCrmEditModule() {
        RetailCrm.editModule(url + "/retailcrm", "sandbox-api-key", MODULE, null); // "RetailCRM editModule"
        expect(B2cException.class, null, "RetailCRM editModule wrong key",
            () -> RetailCrm.editModule(url + "/retailcrm", "wrong", MODULE, null));
    }

    @Test
    void retailCrmHandleRegister() {
        String form = "register%5BsystemUrl%5D=" + URLEncoder.encode(url + "/retailcrm", StandardCharsets.UTF_8)
            + "&register%5BapiKey%5D=sandbox-api-key&register%5Btoken%5D=" + RetailCrm.token("module-secret", "sandbox-api-key");
        String answer = RetailCrm.handleRegister("module-secret", form, MODULE, null);
        assertTrue(answer.contains("\"success\":true"), "RetailCRM handleRegister: " + answer);
        answer = RetailCrm.handleRegister("other-secret", form, MODULE, null);
        assertTrue(answer.contains("\"success\":false"), "RetailCRM handleRegister bad token: " + answer);
    }

    @Test
    void valueTypes() {
        AccessToken a = new AccessToken("t", true);
        assertEquals(new AccessToken("t", true), a);
        assertEquals("t", a.token());
        assertTrue(a.suspicious());
        B2binpayCounters c = new B2binpayCounters(-1L, 2, 3);
        assertEquals(new B2binpayCounters(-1L, 2, 3), c);
        assertTrue(c.toString().contains("logins=18446744073709551615"), c.toString());
    }
}

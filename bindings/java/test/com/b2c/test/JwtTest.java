package com.b2c.test;

import static com.b2c.test.Support.b64url;
import static com.b2c.test.Support.publicKeyFromPem;
import static com.b2c.test.Support.verifyJwt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.b2c.Jwt;
import com.b2c.Key;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.Duration;

/** External JWTs, verified with java.security.Signature. */
@ExtendWith(LogScanExtension.class)
class JwtTest {

    @Test
    void defaultClaimsAndSignature() throws Exception {
        try (Key k = Key.generate(); Key other = Key.generate()) {
            PublicKey pub = publicKeyFromPem(k.publicPem());
            String jwt = Jwt.mint(k, 42, "127.0.0.1", "kid1");
            String[] parts = jwt.split("\\.", -1);
            assertEquals(3, parts.length, "JWT has 3 parts");
            String header = new String(b64url(parts[0]), StandardCharsets.UTF_8);
            String claims = new String(b64url(parts[1]), StandardCharsets.UTF_8);
            assertTrue(header.contains("\"alg\":\"ES256\"") && !header.contains("kid"), "header " + header);
            assertTrue(claims.contains("\"admin_id\":42") && claims.contains("\"device_ip\":\"127.0.0.1\"")
                && claims.contains("\"key_id\":\"kid1\"") && claims.contains("\"iss\":\"b2c\""), "claims " + claims);
            assertTrue(verifyJwt(jwt, pub), "ES256 signature verifies with java.security.Signature");
            assertFalse(verifyJwt(jwt, publicKeyFromPem(other.publicPem())), "does not verify with another key");
            String tampered = parts[0] + "." + parts[1].substring(0, parts[1].length() - 2) + "AA." + parts[2];
            assertFalse(verifyJwt(tampered, pub), "tampered claims do not verify");
        }
    }

    @Test
    void issuerKidHeaderAndUnsignedAdminId() throws Exception {
        try (Key k = Key.generate()) {
            PublicKey pub = publicKeyFromPem(k.publicPem());
            String jwt2 = Jwt.mint(k, -1L, "10.0.0.1", "kid2", "crm", Duration.ofSeconds(60), true);
            String h2 = new String(b64url(jwt2.split("\\.")[0]), StandardCharsets.UTF_8);
            String c2 = new String(b64url(jwt2.split("\\.")[1]), StandardCharsets.UTF_8);
            assertTrue(h2.contains("\"kid\":\"kid2\""), "kid header " + h2);
            assertTrue(c2.contains("\"iss\":\"crm\"") && c2.contains("\"admin_id\":18446744073709551615"),
                "issuer and unsigned admin_id: " + c2);
            assertTrue(verifyJwt(jwt2, pub), "JWT 2 verifies");
        }
    }
}

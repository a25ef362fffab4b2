using System;
using System.Text;

namespace B2c
{
    /// <summary>B2COPY external tokens (ES256 JWS).</summary>
    public static class Jwt
    {
        /// <summary>Mints a token with claims admin_id, device_ip, key_id, iss, iat, exp.
        /// issuer null = "b2c"; ttl null = 300 s (whole seconds); kidHeader adds kid = keyId.</summary>
        public static string Mint(Key key, ulong adminId, string deviceIp, string keyId,
                                  string issuer = null, TimeSpan? ttl = null, bool kidHeader = false)
        {
            if (key == null) throw new ArgumentNullException("key");
            if (deviceIp == null) throw new ArgumentNullException("deviceIp");
            if (keyId == null) throw new ArgumentNullException("keyId");
            double secs = ttl.HasValue ? Math.Floor(ttl.Value.TotalSeconds) : 0;
            if (secs < 0 || secs > uint.MaxValue) throw new ArgumentOutOfRangeException("ttl");
            IntPtr s = IntPtr.Zero, err = IntPtr.Zero;
            int rc = NativeMethods.Lib.b2c_jwt_mint(key.Live(), adminId, Utf8.Z(deviceIp), Utf8.Z(keyId),
                Utf8.Z(issuer), (uint)secs, kidHeader ? 1 : 0, ref s, ref err);
            Errors.Check(rc, ref err);
            return Utf8.Take(ref s);
        }
    }

    /// <summary>Payload signatures: "sha256=" + hex HMAC-SHA256(key, payload).</summary>
    public static class Signature
    {
        public const int Length = 71;

        /// <summary>"sha256=" + 64 lowercase hex digits. An empty key is an
        /// InvalidArgumentException (a signature under an empty key authenticates nothing);
        /// an empty payload is fine.</summary>
        public static string Sign(byte[] key, byte[] payload)
        {
            if (key == null) throw new ArgumentNullException("key");
            if (payload == null) throw new ArgumentNullException("payload");
            byte[] output = new byte[Length + 1];
            int rc = NativeMethods.Lib.b2c_sign_payload(key, (UIntPtr)key.Length, payload, (UIntPtr)payload.Length,
                output, (UIntPtr)output.Length);
            // b2c_sign_payload has no error object; the status alone makes the exception.
            IntPtr none = IntPtr.Zero;
            Errors.Check(rc, ref none);
            return Encoding.ASCII.GetString(output, 0, Length);
        }

        public static string Sign(byte[] key, string payload)
        {
            return Sign(key, Encoding.UTF8.GetBytes(payload));
        }
    }
}

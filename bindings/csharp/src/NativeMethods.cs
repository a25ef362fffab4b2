using System;
using System.Runtime.InteropServices;
using System.Text;

namespace B2c
{
    /// <summary>
    /// P/Invoke declarations for every export of include/b2c.h.
    /// <para>Type mapping: b2c_status / int32_t are int, uint32_t uint, uint64_t ulong, size_t
    /// UIntPtr. Library-owned strings (char** outputs, b2c_error_message, b2c_status_str,
    /// b2c_version) are IntPtr: a <c>string</c> return would make the marshaller free the
    /// pointer with the CLR allocator. Input strings are passed as NUL-terminated UTF-8 byte
    /// arrays (see <see cref="Utf8.Z"/>), because CharSet.Ansi means the ANSI code page on
    /// .NET Framework/Windows and LPUTF8Str is missing from older Mono profiles.</para>
    /// <para>Library name: "b2c". Mono probes libb2c.so (LD_LIBRARY_PATH, or a dllmap in
    /// B2c.dll.config); .NET Core probes libb2c.so / b2c.dll next to the app.</para>
    /// <para>New protocols (CRM Open API, B2BINPAY, RetailCRM) add their exports in their own
    /// region here and a wrapper class beside Client; errors go through Errors.Check.</para>
    /// </summary>
    internal static class NativeMethods
    {
        internal const string Lib = "b2c";

        /// <summary>b2c_progress_cb. Called on the calling thread; return 0 to go on.</summary>
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int ProgressCallback(IntPtr userdata, int feeStatus, uint attempt, ulong elapsedMs);

        // ---- common -----------------------------------------------------------------------
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr b2c_version();

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr b2c_status_str(int status);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_error_status(IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr b2c_error_message(IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_error_http_status(IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void b2c_error_free(IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void b2c_string_free(IntPtr s);

        // ---- keys, JWT, payload signatures --------------------------------------------------
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_key_generate(out B2cKeyHandle key, ref IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_key_from_pem(byte[] pem, UIntPtr pemLen, out B2cKeyHandle key, ref IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_key_from_file(byte[] path, out B2cKeyHandle key, ref IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_key_private_pem(B2cKeyHandle key, ref IntPtr outPem, ref IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_key_public_pem(B2cKeyHandle key, ref IntPtr outPem, ref IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void b2c_key_free(IntPtr key);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_jwt_mint(B2cKeyHandle key, ulong adminId, byte[] deviceIp, byte[] keyId,
            byte[] issuer, uint ttlS, int kidHeader, ref IntPtr outJwt, ref IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_sign_payload(byte[] key, UIntPtr keyLen, byte[] payload, UIntPtr payloadLen,
            byte[] output, UIntPtr outLen);

        // ---- B2COPY client ------------------------------------------------------------------
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_client_new(byte[] configJson, out B2cClientHandle client, ref IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void b2c_client_free(IntPtr client);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_authenticate(B2cClientHandle client, ref IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_client_mint_jwt(B2cClientHandle client, ref IntPtr outJwt, ref IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_fee_process(B2cClientHandle client, byte[] accountLogin, byte[] requestId,
            uint waitMs, ProgressCallback onProgress, IntPtr userdata, ref int outFeeStatus, ref IntPtr err);

        // ---- CRM Open API -------------------------------------------------------------------
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_crm_sign_request(byte[] apiKey, byte[] method, byte[] body, UIntPtr bodyLen,
            ref IntPtr outSignature, ref IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_crm_verify_signature(byte[] apiKey, byte[] body, UIntPtr bodyLen,
            byte[] signature, ref IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_webhook_verify(byte[] secret, UIntPtr secretLen, byte[] body, UIntPtr bodyLen,
            byte[] signature, ref IntPtr err);

        // ---- B2BINPAY -----------------------------------------------------------------------
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_b2binpay_new(byte[] configJson, out B2cB2binpayHandle handle, ref IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void b2c_b2binpay_free(IntPtr handle);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_b2binpay_login(B2cB2binpayHandle handle, ref IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_b2binpay_refresh(B2cB2binpayHandle handle, ref IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_b2binpay_access_token(B2cB2binpayHandle handle, ref IntPtr outToken,
            ref int outSuspicious, ref IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_b2binpay_counters(B2cB2binpayHandle handle, ref ulong outLogins,
            ref ulong outRefreshes, ref ulong outSuspicious);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_b2binpay_verify_callback(byte[] login, byte[] password, byte[] status,
            byte[] amount, byte[] trackingId, byte[] metaTime, byte[] sign, ref IntPtr err);

        // ---- RetailCRM ----------------------------------------------------------------------
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_retailcrm_token(byte[] secret, byte[] apiKey, ref IntPtr outToken, ref IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_retailcrm_verify_token(byte[] secret, byte[] apiKey, byte[] token, ref IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_retailcrm_config_response(byte[] scopesJson, byte[] registerUrl,
            ref IntPtr outJson, ref IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_retailcrm_register_success(byte[] accountUrl, ref IntPtr outJson, ref IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_retailcrm_error_response(byte[] message, ref IntPtr outJson, ref IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_retailcrm_edit_module(byte[] systemUrl, byte[] apiKey, byte[] moduleJson,
            byte[] httpConfigJson, ref IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern int b2c_retailcrm_handle_register(byte[] secret, byte[] formBody, UIntPtr formLen,
            byte[] moduleJson, byte[] httpConfigJson, ref IntPtr outAnswerJson, ref IntPtr err);
    }

    /// <summary>UTF-8 helpers that work on every Mono/.NET profile.</summary>
    internal static class Utf8
    {
        /// <summary>NUL-terminated UTF-8 bytes of s (null stays null, for optional arguments).</summary>
        internal static byte[] Z(string s)
        {
            if (s == null) return null;
            int n = Encoding.UTF8.GetByteCount(s);
            byte[] b = new byte[n + 1];
            Encoding.UTF8.GetBytes(s, 0, s.Length, b, 0);
            return b;
        }

        /// <summary>Decodes a NUL-terminated UTF-8 string without taking ownership.
        /// (Marshal.PtrToStringUTF8 is missing from .NET Framework and older Mono.)</summary>
        internal static string Read(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            int len = 0;
            while (Marshal.ReadByte(p, len) != 0) len++;
            byte[] buf = new byte[len];
            Marshal.Copy(p, buf, 0, len);
            return Encoding.UTF8.GetString(buf);
        }

        /// <summary>Decodes a library-owned string and frees it with b2c_string_free.</summary>
        internal static string Take(ref IntPtr p)
        {
            if (p == IntPtr.Zero) throw new InternalException(99, "library returned a NULL string", 0);
            try { return Read(p); }
            finally { NativeMethods.b2c_string_free(p); p = IntPtr.Zero; }
        }
    }
}

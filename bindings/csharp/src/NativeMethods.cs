using System;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

namespace B2c
{
    /// <summary>
    /// Every export of include/b2c.h, as a delegate bound with dlsym to the libb2c that
    /// <see cref="LibraryLoader"/> opened (B2C_LIBRARY, then libb2c.so next to B2c.dll, then the
    /// system loader). Call sites read <c>NativeMethods.Lib.b2c_xxx(...)</c>; the first use of
    /// <see cref="Lib"/> loads and binds the library (thread-safe, once per process) and throws
    /// DllNotFoundException / EntryPointNotFoundException with the places tried if it can't.
    /// <para>Why not [DllImport("b2c")]: Mono resolves a DllImport when the method that calls it
    /// is JIT-compiled, before any static constructor of the declaring class runs, so a
    /// "preload in a static initializer" cannot reliably choose the file, and a libb2c.so.0.1
    /// on the system search path would win over B2C_LIBRARY. Binding through dlsym uses exactly
    /// the handle we opened, whatever the file's name or SONAME, and needs no dllmap.</para>
    /// <para>Type mapping: b2c_status / int32_t are int, uint32_t uint, uint64_t ulong, size_t
    /// UIntPtr. Library-owned strings (char** outputs, b2c_error_message, b2c_status_str,
    /// b2c_version) are IntPtr: a <c>string</c> return would make the marshaller free the
    /// pointer with the CLR allocator. Input strings are passed as NUL-terminated UTF-8 byte
    /// arrays (see <see cref="Utf8.Z"/>), because CharSet.Ansi means the ANSI code page on
    /// .NET Framework/Windows and LPUTF8Str is missing from older Mono profiles. Delegates get
    /// the same marshalling as P/Invoke, SafeHandle reference counting included.</para>
    /// <para>New protocols (CRM Open API, B2BINPAY, RetailCRM) add a delegate type and a field
    /// named exactly like the C function in their own region here (every field is bound by
    /// name; a missing export fails the load) and a wrapper class beside Client; errors go
    /// through Errors.Check.</para>
    /// </summary>
    internal sealed class NativeMethods
    {
        static NativeMethods lib;
        static readonly object Gate = new object();

        /// <summary>The bound library; loads it on first use.</summary>
        internal static NativeMethods Lib
        {
            get { return Volatile.Read(ref lib) ?? Load(); }
        }

        /// <summary>The file the library was loaded from (as the dynamic loader names it).</summary>
        internal readonly string Path;

        static NativeMethods Load()
        {
            lock (Gate)
            {
                if (lib == null)
                {
                    var loaded = LibraryLoader.Load();
                    var bound = new NativeMethods(loaded);
                    // Route the library's log events to B2cLibrary.Trace before anyone can make a
                    // call (logging spec, point 1). Uses `bound` directly: Lib is not set yet.
                    Logging.InstallOnLoad(bound);
                    Volatile.Write(ref lib, bound);
                }
                return lib;
            }
        }

        NativeMethods(LibraryLoader.Loaded loaded)
        {
            Path = loaded.Path;
            foreach (FieldInfo f in typeof(NativeMethods).GetFields(BindingFlags.Instance | BindingFlags.NonPublic))
            {
                if (!typeof(Delegate).IsAssignableFrom(f.FieldType)) continue;
                IntPtr p = LibraryLoader.Symbol(loaded, f.Name);
                f.SetValue(this, Marshal.GetDelegateForFunctionPointer(p, f.FieldType));
            }
        }

        /// <summary>b2c_progress_cb. Called on the calling thread; return 0 to go on.</summary>
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int ProgressCallback(IntPtr userdata, int feeStatus, uint attempt, ulong elapsedMs);

        /// <summary>b2c_log_callback: (userdata, const b2c_log_params *). The params are
        /// read by hand (<see cref="LogEvent.Read"/>) so that a struct_size smaller than this
        /// binding's view of the struct is honoured.</summary>
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void LogCallback(IntPtr userdata, IntPtr logParams);

        /// <summary>b2c_token_store.load: copy the value of key (NUL-terminated UTF-8) into buf
        /// (bufLen bytes), set *outLen; return a b2c_store_result. The four store callbacks are
        /// static delegates of <see cref="TokenStores"/> (never collected).</summary>
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int StoreLoad(IntPtr userdata, IntPtr key, IntPtr buf, UIntPtr bufLen, IntPtr outLen);

        /// <summary>b2c_token_store.save: 0 or -1.</summary>
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int StoreSave(IntPtr userdata, IntPtr key, IntPtr value, UIntPtr valueLen);

        /// <summary>b2c_token_store.lock: 0 acquired, 3 timed out, -1 error.</summary>
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int StoreLock(IntPtr userdata, IntPtr key, uint timeoutMs, uint leaseMs);

        /// <summary>b2c_token_store.unlock.</summary>
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void StoreUnlock(IntPtr userdata, IntPtr key);

        /// <summary>b2c_token_store (every field pointer-sized). Passed as a pointer to an
        /// unmanaged copy (IntPtr.Zero detaches); the library copies it.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct TokenStoreStruct
        {
            internal UIntPtr struct_size;
            internal IntPtr userdata;
            internal IntPtr load;
            internal IntPtr save;
            internal IntPtr lock_;
            internal IntPtr unlock;
        }

        /// <summary>b2c_call_options: passed by reference to the *_call_with functions (the
        /// *_call functions take every default). idempotent: 0 the method's default, 1 yes, 2 no;
        /// raw_body (CRM Open API only): 0 the handle's setting, 1 raw, 2 the JSON normal form.
        /// Fields are only ever appended; struct_size is this layout's size.</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct CallOptions
        {
            internal UIntPtr struct_size;
            internal int idempotent;
            internal int raw_body;

            internal static CallOptions Of(int idempotent, int rawBody)
            {
                return new CallOptions
                {
                    struct_size = (UIntPtr)Marshal.SizeOf(typeof(CallOptions)),
                    idempotent = idempotent,
                    raw_body = rawBody,
                };
            }
        }

        // The fields below are assigned by reflection in the constructor (CS0649 does not see it).
#pragma warning disable 649
        // ---- common -----------------------------------------------------------------------
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate IntPtr b2c_version_fn();
        internal b2c_version_fn b2c_version;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate IntPtr b2c_status_str_fn(int status);
        internal b2c_status_str_fn b2c_status_str;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_error_status_fn(IntPtr err);
        internal b2c_error_status_fn b2c_error_status;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate IntPtr b2c_error_message_fn(IntPtr err);
        internal b2c_error_message_fn b2c_error_message;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_error_http_status_fn(IntPtr err);
        internal b2c_error_http_status_fn b2c_error_http_status;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void b2c_error_free_fn(IntPtr err);
        internal b2c_error_free_fn b2c_error_free;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void b2c_string_free_fn(IntPtr s);
        internal b2c_string_free_fn b2c_string_free;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate UIntPtr b2c_shared_clear_fn();
        internal b2c_shared_clear_fn b2c_shared_clear;

        // ---- logs ---------------------------------------------------------------------------
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_set_log_callback_fn(LogCallback callback, IntPtr userdata, int maxLevel, ref IntPtr err);
        internal b2c_set_log_callback_fn b2c_set_log_callback;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void b2c_set_log_stderr_fn(int on);
        internal b2c_set_log_stderr_fn b2c_set_log_stderr;

        // ---- keys, JWT, payload signatures --------------------------------------------------
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_key_generate_fn(out B2cKeyHandle key, ref IntPtr err);
        internal b2c_key_generate_fn b2c_key_generate;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_key_from_pem_fn(byte[] pem, UIntPtr pemLen, out B2cKeyHandle key, ref IntPtr err);
        internal b2c_key_from_pem_fn b2c_key_from_pem;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_key_from_file_fn(byte[] path, out B2cKeyHandle key, ref IntPtr err);
        internal b2c_key_from_file_fn b2c_key_from_file;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_key_private_pem_fn(B2cKeyHandle key, ref IntPtr outPem, ref IntPtr err);
        internal b2c_key_private_pem_fn b2c_key_private_pem;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_key_public_pem_fn(B2cKeyHandle key, ref IntPtr outPem, ref IntPtr err);
        internal b2c_key_public_pem_fn b2c_key_public_pem;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void b2c_key_free_fn(IntPtr key);
        internal b2c_key_free_fn b2c_key_free;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_jwt_mint_fn(B2cKeyHandle key, ulong adminId, byte[] deviceIp, byte[] keyId,
            byte[] issuer, uint ttlS, int kidHeader, ref IntPtr outJwt, ref IntPtr err);
        internal b2c_jwt_mint_fn b2c_jwt_mint;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_sign_payload_fn(byte[] key, UIntPtr keyLen, byte[] payload,
            UIntPtr payloadLen, byte[] output, UIntPtr outLen);
        internal b2c_sign_payload_fn b2c_sign_payload;

        // ---- B2COPY client ------------------------------------------------------------------
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_client_new_fn(byte[] configJson, out B2cClientHandle client, ref IntPtr err);
        internal b2c_client_new_fn b2c_client_new;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void b2c_client_free_fn(IntPtr client);
        internal b2c_client_free_fn b2c_client_free;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_authenticate_fn(B2cClientHandle client, ref IntPtr err);
        internal b2c_authenticate_fn b2c_authenticate;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_client_mint_jwt_fn(B2cClientHandle client, ref IntPtr outJwt, ref IntPtr err);
        internal b2c_client_mint_jwt_fn b2c_client_mint_jwt;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_fee_process_fn(B2cClientHandle client, byte[] accountLogin, byte[] requestId,
            uint waitMs, ProgressCallback onProgress, IntPtr userdata, ref int outFeeStatus, ref IntPtr err);
        internal b2c_fee_process_fn b2c_fee_process;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_client_set_log_callback_fn(B2cClientHandle client, LogCallback callback, IntPtr userdata,
            int maxLevel, ref IntPtr err);
        internal b2c_client_set_log_callback_fn b2c_client_set_log_callback;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_client_stats_fn(B2cClientHandle client, ref IntPtr outJson, ref IntPtr err);
        internal b2c_client_stats_fn b2c_client_stats;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_client_shared_fn(byte[] configJson, out B2cClientHandle client, ref IntPtr err);
        internal b2c_client_shared_fn b2c_client_shared;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_client_set_token_store_fn(B2cClientHandle client, IntPtr store, ref IntPtr err);
        internal b2c_client_set_token_store_fn b2c_client_set_token_store;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_client_call_fn(B2cClientHandle client, byte[] method, byte[] path, byte[] body,
            UIntPtr bodyLen, ref int outHttpStatus, ref IntPtr outBody, ref IntPtr err);
        internal b2c_client_call_fn b2c_client_call;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_client_call_with_fn(B2cClientHandle client, byte[] method, byte[] path, byte[] body,
            UIntPtr bodyLen, ref CallOptions options, ref int outHttpStatus, ref IntPtr outBody, ref IntPtr err);
        internal b2c_client_call_with_fn b2c_client_call_with;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_client_access_token_fn(B2cClientHandle client, ref IntPtr outToken, ref IntPtr err);
        internal b2c_client_access_token_fn b2c_client_access_token;

        // ---- CRM Open API -------------------------------------------------------------------
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_crm_new_fn(byte[] configJson, out B2cCrmHandle crm, ref IntPtr err);
        internal b2c_crm_new_fn b2c_crm_new;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void b2c_crm_free_fn(IntPtr crm);
        internal b2c_crm_free_fn b2c_crm_free;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_crm_call_fn(B2cCrmHandle crm, byte[] method, byte[] path, byte[] body,
            UIntPtr bodyLen, ref int outHttpStatus, ref IntPtr outBody, ref IntPtr err);
        internal b2c_crm_call_fn b2c_crm_call;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_crm_call_with_fn(B2cCrmHandle crm, byte[] method, byte[] path, byte[] body,
            UIntPtr bodyLen, ref CallOptions options, ref int outHttpStatus, ref IntPtr outBody, ref IntPtr err);
        internal b2c_crm_call_with_fn b2c_crm_call_with;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_crm_set_log_callback_fn(B2cCrmHandle crm, LogCallback callback, IntPtr userdata,
            int maxLevel, ref IntPtr err);
        internal b2c_crm_set_log_callback_fn b2c_crm_set_log_callback;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_crm_stats_fn(B2cCrmHandle crm, ref IntPtr outJson, ref IntPtr err);
        internal b2c_crm_stats_fn b2c_crm_stats;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_crm_sign_request_fn(byte[] apiKey, byte[] method, byte[] body,
            UIntPtr bodyLen, ref IntPtr outSignature, ref IntPtr err);
        internal b2c_crm_sign_request_fn b2c_crm_sign_request;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_crm_verify_signature_fn(byte[] apiKey, byte[] body, UIntPtr bodyLen,
            byte[] signature, ref IntPtr err);
        internal b2c_crm_verify_signature_fn b2c_crm_verify_signature;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_webhook_verify_fn(byte[] secret, UIntPtr secretLen, byte[] body,
            UIntPtr bodyLen, byte[] signature, ref IntPtr err);
        internal b2c_webhook_verify_fn b2c_webhook_verify;

        // ---- B2BINPAY -----------------------------------------------------------------------
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_b2binpay_new_fn(byte[] configJson, out B2cB2binpayHandle handle, ref IntPtr err);
        internal b2c_b2binpay_new_fn b2c_b2binpay_new;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate void b2c_b2binpay_free_fn(IntPtr handle);
        internal b2c_b2binpay_free_fn b2c_b2binpay_free;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_b2binpay_login_fn(B2cB2binpayHandle handle, ref IntPtr err);
        internal b2c_b2binpay_login_fn b2c_b2binpay_login;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_b2binpay_refresh_fn(B2cB2binpayHandle handle, ref IntPtr err);
        internal b2c_b2binpay_refresh_fn b2c_b2binpay_refresh;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_b2binpay_access_token_fn(B2cB2binpayHandle handle, ref IntPtr outToken,
            ref int outSuspicious, ref IntPtr err);
        internal b2c_b2binpay_access_token_fn b2c_b2binpay_access_token;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_b2binpay_counters_fn(B2cB2binpayHandle handle, ref ulong outLogins,
            ref ulong outRefreshes, ref ulong outSuspicious);
        internal b2c_b2binpay_counters_fn b2c_b2binpay_counters;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_b2binpay_verify_callback_fn(byte[] login, byte[] password, byte[] status,
            byte[] amount, byte[] trackingId, byte[] metaTime, byte[] sign, ref IntPtr err);
        internal b2c_b2binpay_verify_callback_fn b2c_b2binpay_verify_callback;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_b2binpay_set_log_callback_fn(B2cB2binpayHandle handle, LogCallback callback,
            IntPtr userdata, int maxLevel, ref IntPtr err);
        internal b2c_b2binpay_set_log_callback_fn b2c_b2binpay_set_log_callback;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_b2binpay_stats_fn(B2cB2binpayHandle handle, ref IntPtr outJson, ref IntPtr err);
        internal b2c_b2binpay_stats_fn b2c_b2binpay_stats;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_b2binpay_shared_fn(byte[] configJson, out B2cB2binpayHandle handle, ref IntPtr err);
        internal b2c_b2binpay_shared_fn b2c_b2binpay_shared;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_b2binpay_set_token_store_fn(B2cB2binpayHandle handle, IntPtr store, ref IntPtr err);
        internal b2c_b2binpay_set_token_store_fn b2c_b2binpay_set_token_store;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_b2binpay_call_fn(B2cB2binpayHandle handle, byte[] method, byte[] path, byte[] body,
            UIntPtr bodyLen, ref int outHttpStatus, ref IntPtr outBody, ref IntPtr err);
        internal b2c_b2binpay_call_fn b2c_b2binpay_call;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_b2binpay_call_with_fn(B2cB2binpayHandle handle, byte[] method, byte[] path,
            byte[] body, UIntPtr bodyLen, ref CallOptions options, ref int outHttpStatus, ref IntPtr outBody,
            ref IntPtr err);
        internal b2c_b2binpay_call_with_fn b2c_b2binpay_call_with;

        // ---- RetailCRM ----------------------------------------------------------------------
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_retailcrm_token_fn(byte[] secret, byte[] apiKey, ref IntPtr outToken,
            ref IntPtr err);
        internal b2c_retailcrm_token_fn b2c_retailcrm_token;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_retailcrm_verify_token_fn(byte[] secret, byte[] apiKey, byte[] token,
            ref IntPtr err);
        internal b2c_retailcrm_verify_token_fn b2c_retailcrm_verify_token;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_retailcrm_config_response_fn(byte[] scopesJson, byte[] registerUrl,
            ref IntPtr outJson, ref IntPtr err);
        internal b2c_retailcrm_config_response_fn b2c_retailcrm_config_response;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_retailcrm_register_success_fn(byte[] accountUrl, ref IntPtr outJson,
            ref IntPtr err);
        internal b2c_retailcrm_register_success_fn b2c_retailcrm_register_success;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_retailcrm_error_response_fn(byte[] message, ref IntPtr outJson, ref IntPtr err);
        internal b2c_retailcrm_error_response_fn b2c_retailcrm_error_response;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_retailcrm_edit_module_fn(byte[] systemUrl, byte[] apiKey, byte[] moduleJson,
            byte[] httpConfigJson, ref IntPtr err);
        internal b2c_retailcrm_edit_module_fn b2c_retailcrm_edit_module;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_retailcrm_handle_register_fn(byte[] secret, byte[] formBody, UIntPtr formLen,
            byte[] moduleJson, byte[] httpConfigJson, ref IntPtr outAnswerJson, ref IntPtr err);
        internal b2c_retailcrm_handle_register_fn b2c_retailcrm_handle_register;

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int b2c_retailcrm_register_account_fn(byte[] secret, byte[] formBody, UIntPtr formLen,
            byte[] moduleJson, byte[] accountJson, byte[] httpConfigJson, ref IntPtr outResultJson, ref IntPtr err);
        internal b2c_retailcrm_register_account_fn b2c_retailcrm_register_account;
#pragma warning restore 649
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

        /// <summary>The bytes of a library-owned NUL-terminated string (without the NUL), freed
        /// with b2c_string_free.</summary>
        internal static byte[] TakeBytes(ref IntPtr p)
        {
            if (p == IntPtr.Zero) throw new InternalException(99, "library returned a NULL string", 0);
            try
            {
                int len = 0;
                while (Marshal.ReadByte(p, len) != 0) len++;
                byte[] buf = new byte[len];
                Marshal.Copy(p, buf, 0, len);
                return buf;
            }
            finally { NativeMethods.Lib.b2c_string_free(p); p = IntPtr.Zero; }
        }

        /// <summary>Decodes a library-owned string and frees it with b2c_string_free.</summary>
        internal static string Take(ref IntPtr p)
        {
            if (p == IntPtr.Zero) throw new InternalException(99, "library returned a NULL string", 0);
            try { return Read(p); }
            finally { NativeMethods.Lib.b2c_string_free(p); p = IntPtr.Zero; }
        }
    }
}

using System;

namespace B2c
{
    /// <summary>b2c_status: result codes of the C ABI. Values are stable.</summary>
    public enum Status
    {
        Ok = 0,
        InvalidArgument = 1,
        NullPointer = 2,
        BufferTooSmall = 3,
        InvalidUtf8 = 4,
        Config = 5,
        Io = 6,
        KeyInvalid = 10,
        KeyUnsupportedCurve = 11,
        KeyUnsupportedType = 12,
        KeyEncrypted = 13,
        InsecureUrl = 20,
        Network = 21,
        Timeout = 22,
        Tls = 23,
        HttpStatus = 24,
        Throttled = 25,
        Protocol = 26,
        ResponseTooLarge = 27,
        AuthRejected = 30,
        Unauthorized = 31,
        FeeError = 40,
        StillPending = 41,
        Cancelled = 42,
        SignatureInvalid = 50,
        ResponseSignatureInvalid = 51,
        Remote = 52,
        Panic = 99,
    }

    /// <summary>
    /// Base of every error the library reports: <see cref="Status"/> (the b2c_status; a value
    /// outside the enum for codes this binding does not know), <see cref="HttpStatus"/>
    /// (0 when none) and the library's message.
    /// Each status maps to exactly one subclass, its "Exception family" in include/b2c.h:
    /// InvalidArgumentException (InvalidArgument, NullPointer, BufferTooSmall, InvalidUtf8,
    /// Config, InsecureUrl), IoException (Io), KeyFormatException (Key*), NetworkException
    /// (Network, Tls), TimeoutException : NetworkException (Timeout), ThrottledException,
    /// ProtocolException (HttpStatus, Protocol, ResponseTooLarge), AuthException (AuthRejected,
    /// Unauthorized), FeeException, StillPendingException, CancelledException,
    /// SignatureException (SignatureInvalid, ResponseSignatureInvalid), RemoteException,
    /// InternalException (Panic). A status this binding does not know (from a newer library)
    /// is a plain B2cException.
    /// </summary>
    public class B2cException : Exception
    {
        public B2cException(int statusCode, string message, int httpStatus) : base(message)
        {
            StatusCode = statusCode;
            HttpStatus = httpStatus;
        }

        public Status Status { get { return (Status)StatusCode; } }
        public int StatusCode { get; private set; }
        public int HttpStatus { get; private set; }

        public override string ToString()
        {
            return GetType().Name + "[" + Status + "(" + StatusCode + ")"
                + (HttpStatus != 0 ? ", HTTP " + HttpStatus : "") + "]: " + Message;
        }
    }

    /// <summary>Family InvalidArgument: a bad argument or configuration.</summary>
    public class InvalidArgumentException : B2cException
    { public InvalidArgumentException(int s, string m, int h) : base(s, m, h) { } }
    /// <summary>Family Io: a local file could not be read or written.</summary>
    public class IoException : B2cException
    { public IoException(int s, string m, int h) : base(s, m, h) { } }
    /// <summary>Family KeyFormat: a key that is not a usable P-256 private key.</summary>
    public class KeyFormatException : B2cException
    { public KeyFormatException(int s, string m, int h) : base(s, m, h) { } }
    /// <summary>Family Network: connection, DNS or TLS failure.</summary>
    public class NetworkException : B2cException
    { public NetworkException(int s, string m, int h) : base(s, m, h) { } }
    /// <summary>Family Timeout (a NetworkException): a timeout or the overall deadline ran out.
    /// Not System.TimeoutException: write B2c.TimeoutException where both are imported.</summary>
    public class TimeoutException : NetworkException
    { public TimeoutException(int s, string m, int h) : base(s, m, h) { } }
    /// <summary>Family Throttled: HTTP 429 with no time left to retry.</summary>
    public class ThrottledException : B2cException
    { public ThrottledException(int s, string m, int h) : base(s, m, h) { } }
    /// <summary>Family Protocol: an unexpected HTTP status or a response we could not use.</summary>
    public class ProtocolException : B2cException
    { public ProtocolException(int s, string m, int h) : base(s, m, h) { } }
    /// <summary>Family Auth: the vendor rejected the credentials.</summary>
    public class AuthException : B2cException
    { public AuthException(int s, string m, int h) : base(s, m, h) { } }
    /// <summary>Family Cancelled: the progress callback asked to stop.</summary>
    public class CancelledException : B2cException
    { public CancelledException(int s, string m, int h) : base(s, m, h) { } }
    /// <summary>Family Signature: an HMAC or vendor response signature did not verify.</summary>
    public class SignatureException : B2cException
    { public SignatureException(int s, string m, int h) : base(s, m, h) { } }
    /// <summary>Family Remote: the remote system reported a failure in its own words.</summary>
    public class RemoteException : B2cException
    { public RemoteException(int s, string m, int h) : base(s, m, h) { } }
    /// <summary>Family Internal: a bug in the library (a caught panic).</summary>
    public class InternalException : B2cException
    { public InternalException(int s, string m, int h) : base(s, m, h) { } }

    /// <summary>Family Fee: B2COPY answered ERROR; the message carries the server's details.</summary>
    public class FeeException : B2cException
    {
        public FeeException(int s, string m, int h, FeeStatus? fee) : base(s, m, h) { FeeStatus = fee; }
        public FeeStatus? FeeStatus { get; private set; }
    }

    /// <summary>Family StillPending: the request was still PENDING when the wait ran out.</summary>
    public class StillPendingException : B2cException
    {
        public StillPendingException(int s, string m, int h, FeeStatus? fee) : base(s, m, h) { FeeStatus = fee; }
        public FeeStatus? FeeStatus { get; private set; }
    }

    internal static class Errors
    {
        /// <summary>Throws the typed exception for a failed status; frees the error object.</summary>
        internal static void Check(int status, ref IntPtr err, FeeStatus? fee = null)
        {
            if (status == 0) return;
            throw FromError(status, ref err, fee);
        }

        internal static B2cException FromError(int status, ref IntPtr err, FeeStatus? fee)
        {
            string message = null;
            int http = 0;
            if (err != IntPtr.Zero)
            {
                try
                {
                    status = NativeMethods.Lib.b2c_error_status(err);
                    message = Utf8.Read(NativeMethods.Lib.b2c_error_message(err));
                    http = NativeMethods.Lib.b2c_error_http_status(err);
                }
                finally
                {
                    NativeMethods.Lib.b2c_error_free(err);
                    err = IntPtr.Zero;
                }
            }
            if (string.IsNullOrEmpty(message)) message = B2cLibrary.StatusString(status);
            return Create(status, message, http, fee);
        }

        internal static void Discard(ref IntPtr err)
        {
            if (err != IntPtr.Zero) { NativeMethods.Lib.b2c_error_free(err); err = IntPtr.Zero; }
        }

        internal static B2cException Create(int code, string m, int h, FeeStatus? fee)
        {
            switch ((Status)code)
            {
                case Status.InvalidArgument:
                case Status.NullPointer:
                case Status.BufferTooSmall:
                case Status.InvalidUtf8:
                case Status.Config:
                case Status.InsecureUrl:
                    return new InvalidArgumentException(code, m, h);
                case Status.Io:
                    return new IoException(code, m, h);
                case Status.KeyInvalid:
                case Status.KeyUnsupportedCurve:
                case Status.KeyUnsupportedType:
                case Status.KeyEncrypted:
                    return new KeyFormatException(code, m, h);
                case Status.Network:
                case Status.Tls:
                    return new NetworkException(code, m, h);
                case Status.Timeout:
                    return new TimeoutException(code, m, h);
                case Status.Throttled:
                    return new ThrottledException(code, m, h);
                case Status.HttpStatus:
                case Status.Protocol:
                case Status.ResponseTooLarge:
                    return new ProtocolException(code, m, h);
                case Status.AuthRejected:
                case Status.Unauthorized:
                    return new AuthException(code, m, h);
                case Status.FeeError:
                    return new FeeException(code, m, h, fee);
                case Status.StillPending:
                    return new StillPendingException(code, m, h, fee);
                case Status.Cancelled:
                    return new CancelledException(code, m, h);
                case Status.SignatureInvalid:
                case Status.ResponseSignatureInvalid:
                    return new SignatureException(code, m, h);
                case Status.Remote:
                    return new RemoteException(code, m, h);
                case Status.Panic:
                    return new InternalException(code, m, h);
                default:
                    // Ok (never thrown) and codes from a newer library: the base class.
                    return new B2cException(code, m, h);
            }
        }
    }
}

using System;
using System.Text;

namespace B2c
{
    /// <summary>A P-256 private key held by the library (cleansed when disposed). Immutable;
    /// safe to share between threads.</summary>
    public sealed class Key : IDisposable
    {
        internal readonly B2cKeyHandle Handle;

        Key(B2cKeyHandle h) { Handle = h; }

        static Key Wrap(int rc, B2cKeyHandle h, ref IntPtr err)
        {
            if (rc != 0)
            {
                if (h != null) h.Dispose();
                Errors.Check(rc, ref err);
            }
            return new Key(h);
        }

        /// <summary>A new random key pair.</summary>
        public static Key Generate()
        {
            IntPtr err = IntPtr.Zero;
            B2cKeyHandle h;
            int rc = NativeMethods.Lib.b2c_key_generate(out h, ref err);
            return Wrap(rc, h, ref err);
        }

        /// <summary>Loads a PKCS#8 or SEC1 PEM. Throws KeyFormatException.</summary>
        public static Key FromPem(string pem)
        {
            if (pem == null) throw new ArgumentNullException("pem");
            byte[] b = Encoding.UTF8.GetBytes(pem);
            IntPtr err = IntPtr.Zero;
            B2cKeyHandle h;
            int rc = NativeMethods.Lib.b2c_key_from_pem(b, (UIntPtr)b.Length, out h, ref err);
            return Wrap(rc, h, ref err);
        }

        /// <summary>Loads a PEM file. Throws KeyFormatException, or IoException
        /// (Status.Io) when it can't be read.</summary>
        public static Key FromFile(string path)
        {
            if (path == null) throw new ArgumentNullException("path");
            IntPtr err = IntPtr.Zero;
            B2cKeyHandle h;
            int rc = NativeMethods.Lib.b2c_key_from_file(Utf8.Z(path), out h, ref err);
            return Wrap(rc, h, ref err);
        }

        /// <summary>PKCS#8 PEM. The native copy is zeroed; the managed string can't be.</summary>
        public string PrivatePem()
        {
            IntPtr s = IntPtr.Zero, err = IntPtr.Zero;
            Errors.Check(NativeMethods.Lib.b2c_key_private_pem(Live(), ref s, ref err), ref err);
            return Utf8.Take(ref s);
        }

        /// <summary>SPKI PEM (BEGIN PUBLIC KEY), the form B2COPY registers.</summary>
        public string PublicPem()
        {
            IntPtr s = IntPtr.Zero, err = IntPtr.Zero;
            Errors.Check(NativeMethods.Lib.b2c_key_public_pem(Live(), ref s, ref err), ref err);
            return Utf8.Take(ref s);
        }

        internal B2cKeyHandle Live()
        {
            if (Handle.IsClosed) throw new ObjectDisposedException("Key");
            return Handle;
        }

        public void Dispose() { Handle.Dispose(); }
    }
}

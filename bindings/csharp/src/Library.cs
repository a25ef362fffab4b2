using System;

namespace B2c
{
    /// <summary>Library-wide information. The first call into the binding (this class or any
    /// other) loads libb2c: see <see cref="LibraryLoader"/> for the order of places.</summary>
    public static class B2cLibrary
    {
        /// <summary>The native library's version, e.g. "0.1.0".</summary>
        public static string Version() { return Utf8.Read(NativeMethods.Lib.b2c_version()); }

        /// <summary>The library's description of any status code (static string, not freed);
        /// "unknown status" for a code it does not know.</summary>
        public static string StatusString(int status) { return Utf8.Read(NativeMethods.Lib.b2c_status_str(status)); }

        /// <summary>The file libb2c was loaded from, as the dynamic loader names it (loads the
        /// library if it is not loaded yet).</summary>
        public static string LibraryPath { get { return NativeMethods.Lib.Path; } }
    }
}

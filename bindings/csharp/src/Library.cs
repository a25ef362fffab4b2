using System;
using System.Diagnostics;

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

        /// <summary>Drops the shared clients and B2BINPAY handles (<see cref="Client.Shared(string)"/>,
        /// <see cref="B2binpay.Shared(string)"/>) that no handle holds any more, with the trace
        /// sources and token stores the binding kept for them; returns how many the library
        /// dropped. Handles still held are untouched.</summary>
        public static long ClearShared() { return SharedHandles.Clear(); }

        /// <summary>The file libb2c was loaded from, as the dynamic loader names it (loads the
        /// library if it is not loaded yet).</summary>
        public static string LibraryPath { get { return NativeMethods.Lib.Path; } }

        static readonly TraceSource trace = new TraceSource("b2c", Logging.DefaultLevel);

        /// <summary>
        /// The TraceSource "b2c" that receives the log events of every client and B2BINPAY
        /// handle without a source of its own (<see cref="Client.SetTraceSource(TraceSource, SourceLevels)"/>).
        /// One instance for the process. Its level is Warning unless the application's
        /// configuration file sets one for the source "b2c" (&lt;system.diagnostics&gt;&lt;sources&gt;);
        /// change it with <see cref="SetLogLevel"/>, which also tells the library. Each event is
        /// one TraceEvent with id 0 and the message "{target} {event}: {message}" (ERROR -> Error,
        /// WARN -> Warning, INFO -> Information, DEBUG and TRACE -> Verbose). Getting it does not
        /// load the library: configure it first, the library is routed to it when it loads.
        /// </summary>
        public static TraceSource Trace { get { return trace; } }

        /// <summary>Sets the level of <see cref="Trace"/> (its Switch.Level) and the level the
        /// library delivers to it: events below it are not even formatted. Setting
        /// Trace.Switch.Level directly changes only the TraceSource's filter (call
        /// SetLogLevel(B2cLibrary.Trace.Switch.Level) after that to re-sync the library).</summary>
        public static void SetLogLevel(SourceLevels level) { Logging.SetLevel(level); }

        /// <summary>The stderr line for warnings nobody would see: written by the library when no
        /// callback is installed, and by this binding when <see cref="Trace"/> has no listener
        /// but the DefaultTraceListener (which writes nowhere on Mono). On by default.
        /// Process-wide.</summary>
        public static void SetLogStderr(bool on) { Logging.SetStderr(on); }
    }
}

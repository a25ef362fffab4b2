// TraceSource.TraceEvent is [Conditional("TRACE")]: without this the compiler drops the calls.
#define TRACE
using System;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

namespace B2c
{
    /// <summary>One log event, copied out of a <c>b2c_log_params</c> during the callback (the
    /// struct and its strings are valid only during the call).</summary>
    internal sealed class LogEvent
    {
        /// <summary>A b2c_log_level: 1 error, 2 warn, 3 info, 4 debug, 5 trace.</summary>
        internal int Level;
        internal string Target, Event, Message;

        /// <summary>"{target} {event}: {message}", the text handed to TraceSource.TraceEvent.</summary>
        internal string Text { get { return Target + " " + Event + ": " + Message; } }

#pragma warning disable 169, 649
        /// <summary>b2c_log_params as this binding knows it; only used for the field offsets.</summary>
        [StructLayout(LayoutKind.Sequential)]
        struct Layout
        {
            UIntPtr struct_size;
            int level;
            IntPtr target;
            IntPtr evt;
            IntPtr message;
            UIntPtr message_len;
        }
#pragma warning restore 169, 649

        static readonly int OffLevel = Offset("level"), OffTarget = Offset("target"), OffEvent = Offset("evt"),
            OffMessage = Offset("message"), OffMessageLen = Offset("message_len");

        static int Offset(string field) { return Marshal.OffsetOf(typeof(Layout), field).ToInt32(); }

        /// <summary>Reads a field only if it lies within struct_size (fields are only ever
        /// appended). null when the pointer is NULL or the struct is too small to hold the
        /// message pointer (the event is dropped).</summary>
        internal static LogEvent Read(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            ulong size = unchecked((ulong)Marshal.ReadIntPtr(p, 0).ToInt64());
            if (!Covers(size, OffMessage, IntPtr.Size)) return null;
            var e = new LogEvent();
            e.Level = Marshal.ReadInt32(p, OffLevel);
            e.Target = Utf8.Read(Marshal.ReadIntPtr(p, OffTarget)) ?? "";
            e.Event = Utf8.Read(Marshal.ReadIntPtr(p, OffEvent)) ?? "";
            IntPtr m = Marshal.ReadIntPtr(p, OffMessage);
            if (m == IntPtr.Zero) e.Message = "";
            else if (Covers(size, OffMessageLen, IntPtr.Size))
            {
                ulong n = unchecked((ulong)Marshal.ReadIntPtr(p, OffMessageLen).ToInt64());
                if (n <= int.MaxValue)
                {
                    var buf = new byte[n];
                    Marshal.Copy(m, buf, 0, (int)n);
                    e.Message = Encoding.UTF8.GetString(buf);
                }
                else e.Message = Utf8.Read(m);
            }
            else e.Message = Utf8.Read(m);
            return e;
        }

        static bool Covers(ulong size, int offset, int length) { return size >= (ulong)(offset + length); }
    }

    /// <summary>
    /// One installed b2c_log_callback: the delegate handed to the library and the TraceSource it
    /// feeds. The delegate is created once per route and the route is referenced for as long as
    /// the callback can be called (the process-wide one by <see cref="Logging"/>, a handle's by
    /// its SafeHandle, which the marshaller keeps alive during every native call), so the
    /// function pointer the library holds never outlives its delegate. Removing a handle's
    /// source sets <see cref="Source"/> to null and keeps the delegate: a call on another thread
    /// may still be inside it.
    /// </summary>
    internal sealed class LogRoute
    {
        TraceSource source;
        readonly bool stderrFallback;
        internal readonly NativeMethods.LogCallback Callback;

        internal LogRoute(TraceSource source, bool stderrFallback)
        {
            this.source = source;
            this.stderrFallback = stderrFallback;
            Callback = OnEvent;
        }

        internal TraceSource Source
        {
            get { return Volatile.Read(ref source); }
            set { Volatile.Write(ref source, value); }
        }

        /// <summary>The b2c_log_callback. Nothing may unwind into C: whatever a listener (or the
        /// copy) throws is caught here and the event is dropped.</summary>
        void OnEvent(IntPtr userdata, IntPtr logParams)
        {
            try
            {
                Deliver(LogEvent.Read(logParams));
            }
            catch
            {
                // dropped: never let an exception escape into the library
            }
        }

        internal void Deliver(LogEvent e)
        {
            if (e == null) return;
            TraceSource s = Source;
            if (s == null) return;
            if (stderrFallback && e.Level <= Logging.Warn && Logging.StderrOn && Logging.Unheard(s))
            {
                // What the library itself does while no callback is installed: a warning must not
                // vanish into a TraceSource nobody listens to (only the DefaultTraceListener).
                try { Console.Error.WriteLine("b2c: " + Logging.LevelName(e.Level) + " " + e.Text); }
                catch (Exception) { }
            }
            s.TraceEvent(Logging.EventType(e.Level), 0, e.Text);
        }
    }

    /// <summary>The routing of the library's log events to System.Diagnostics (logging spec,
    /// points 1, 2 and 4): level mapping, the process-wide callback installed when the library
    /// is loaded, the per-handle callbacks.</summary>
    internal static class Logging
    {
        internal const int Error = 1, Warn = 2, Info = 3, Debug = 4, TraceLevel = 5;

        /// <summary>The level of <see cref="B2cLibrary.Trace"/> unless the application's
        /// configuration file sets one for the source "b2c".</summary>
        internal const SourceLevels DefaultLevel = SourceLevels.Warning;

        static readonly object Gate = new object();

        /// <summary>The process-wide route: to B2cLibrary.Trace, with the stderr fallback.</summary>
        internal static readonly LogRoute Global = new LogRoute(B2cLibrary.Trace, true);

        static volatile bool stderrOn = true;
        static readonly bool monoTraceListener =
            !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("MONO_TRACE_LISTENER"));

        /// <summary>The max_level the process-wide callback was last installed with (0: not installed).</summary>
        internal static int InstalledLevel;

        internal static bool StderrOn { get { return stderrOn; } }

        /// <summary>The native max_level for a SourceLevels: the least severe TraceEventType
        /// the levels let through (Verbose: 5, so DEBUG and TRACE; Information: 3; Warning: 2;
        /// Error, Critical and Off: 1). The TraceSource's own switch filters exactly.</summary>
        internal static int MaxLevel(SourceLevels levels)
        {
            int l = (int)levels;
            if ((l & (int)TraceEventType.Verbose) != 0) return TraceLevel;
            if ((l & (int)TraceEventType.Information) != 0) return Info;
            if ((l & (int)TraceEventType.Warning) != 0) return Warn;
            return Error;
        }

        /// <summary>ERROR -> Error, WARN -> Warning, INFO -> Information, DEBUG and TRACE ->
        /// Verbose (a level from a newer library: below 1 Error, above 5 Verbose).</summary>
        internal static TraceEventType EventType(int level)
        {
            switch (level)
            {
                case Warn: return TraceEventType.Warning;
                case Info: return TraceEventType.Information;
                case Debug:
                case TraceLevel: return TraceEventType.Verbose;
                default: return level <= Error ? TraceEventType.Error : TraceEventType.Verbose;
            }
        }

        /// <summary>The library's own level names (its stderr line: "b2c: warn target event: message").</summary>
        internal static string LevelName(int level)
        {
            switch (level)
            {
                case Error: return "error";
                case Warn: return "warn";
                case Info: return "info";
                case Debug: return "debug";
                case TraceLevel: return "trace";
                default: return "level" + level;
            }
        }

        /// <summary>True when nobody would see an event traced to s: it has no listener but the
        /// DefaultTraceListener (which, on Mono, writes nowhere unless MONO_TRACE_LISTENER is set).</summary>
        internal static bool Unheard(TraceSource s)
        {
            try
            {
                var listeners = s.Listeners;
                for (int i = 0; i < listeners.Count; i++)
                {
                    var l = listeners[i];
                    if (l.GetType() != typeof(DefaultTraceListener) || monoTraceListener) return false;
                }
                return true;
            }
            catch (Exception)
            {
                return false;
            }
        }

        /// <summary>Called once, when the library is loaded (before any other call can reach
        /// it): installs the process-wide callback at B2cLibrary.Trace's level. A failure here
        /// never stops the load; the library's own stderr line then stays.</summary>
        internal static void InstallOnLoad(NativeMethods lib)
        {
            try
            {
                int max = MaxLevel(B2cLibrary.Trace.Switch.Level);
                IntPtr err = IntPtr.Zero;
                int rc = lib.b2c_set_log_callback(Global.Callback, IntPtr.Zero, max, ref err);
                if (err != IntPtr.Zero) lib.b2c_error_free(err);
                if (rc == 0) Volatile.Write(ref InstalledLevel, max);
            }
            catch (Exception)
            {
            }
        }

        /// <summary>B2cLibrary.SetLogLevel: the switch of B2cLibrary.Trace and the native
        /// max_level, together.</summary>
        internal static void SetLevel(SourceLevels level)
        {
            lock (Gate)
            {
                B2cLibrary.Trace.Switch.Level = level;
                var lib = NativeMethods.Lib; // loads the library (and installs) if it is not loaded yet
                int max = MaxLevel(level);
                IntPtr err = IntPtr.Zero;
                Errors.Check(lib.b2c_set_log_callback(Global.Callback, IntPtr.Zero, max, ref err), ref err);
                Volatile.Write(ref InstalledLevel, max);
            }
        }

        internal static void SetStderr(bool on)
        {
            NativeMethods.Lib.b2c_set_log_stderr(on ? 1 : 0);
            stderrOn = on;
        }

        /// <summary>The native b2c_*_set_log_callback of one handle.</summary>
        internal delegate int HandleSetter(NativeMethods.LogCallback callback, int maxLevel, ref IntPtr err);

        /// <summary>Client.SetTraceSource / B2binpay.SetTraceSource. route is the handle's own
        /// (created on first use, then kept with the handle); gate serialises the changes.</summary>
        internal static void SetHandleSource(ref LogRoute route, object gate, TraceSource source, SourceLevels level,
                                             HandleSetter set)
        {
            lock (gate)
            {
                IntPtr err = IntPtr.Zero;
                if (source == null)
                {
                    Errors.Check(set(null, 0, ref err), ref err);
                    if (route != null) route.Source = null;
                    return;
                }
                if (route == null) route = new LogRoute(null, false);
                TraceSource previous = route.Source;
                route.Source = source;
                int rc = set(route.Callback, MaxLevel(level), ref err);
                if (rc != 0)
                {
                    route.Source = previous;
                    Errors.Check(rc, ref err);
                }
            }
        }
    }
}

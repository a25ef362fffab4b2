// Shared helpers of the NUnit fixtures (NUnit 2.6, run by nunit-console: scripts/test-csharp.sh).
// Environment: B2C_LIBRARY (the libb2c under test), B2C_SANDBOX (b2c-sandbox binary),
// B2C_ROOT (repository root, for tests/fixtures and include/b2c.h; found from the test
// assembly's directory when unset), B2C_HEADER (default <root>/include/b2c.h),
// B2C_EXPECTED_VERSION / B2C_EXPECTED_SONAME (scripts/version.sh / scripts/soname.sh),
// B2C_SCAN_DIR (when set, every log record of the whole suite is appended to
// $B2C_SCAN_DIR/csharp-log-events.log for scripts/secret-scan.py: see SuiteSetup).
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using B2c;
using NUnit.Framework;

namespace B2c.Tests
{
    static class Support
    {
        /// <summary>A fixture's sandbox: a fresh key pair in a new temporary directory, its
        /// public key registered as kid1 for admin 42, plus <paramref name="extraArgs"/>.</summary>
        internal static Sandbox StartSandbox(string name, out string dir, out string pem, string extraArgs = "")
        {
            dir = TempDir(name);
            var pubPath = Path.Combine(dir, "pub.pem");
            using (var key = Key.Generate())
            {
                File.WriteAllText(pubPath, key.PublicPem());
                pem = key.PrivatePem();
            }
            return new Sandbox("--register \"kid1:42:" + pubPath + "\"" + extraArgs);
        }

        /// <summary>Stop a fixture's sandbox and remove its directory.</summary>
        internal static void StopSandbox(Sandbox sb, string dir)
        {
            if (sb != null) sb.Dispose();
            try { Directory.Delete(dir, true); } catch (Exception) { }
        }

        /// <summary>The old counted runner's Expect: body must throw T (or a subclass); with a
        /// status, the B2cException's Status must be it and the message non-empty.</summary>
        internal static T Expect<T>(Status? status, string what, Action body) where T : Exception
        {
            Exception caught = null;
            try { body(); }
            catch (Exception e) { caught = e; }
            Assert.IsNotNull(caught, what + ": no exception");
            var t = caught as T;
            Assert.IsNotNull(t, what + ": got " + caught);
            if (status.HasValue)
            {
                var b = caught as B2cException;
                Assert.IsTrue(b != null && b.Status == status.Value,
                    what + ": status " + (b == null ? "-" : b.Status.ToString()) + " want " + status);
                Assert.IsFalse(string.IsNullOrEmpty(caught.Message), what + ": empty message");
            }
            return t;
        }

        /// <summary>The suite's scan listener (null unless B2C_SCAN_DIR is set).</summary>
        internal static ScanListener Scan;

        /// <summary>A TraceSource of a test's own, switch at level, with listener (and the scan
        /// listener, if any) instead of the DefaultTraceListener.</summary>
        internal static TraceSource NewSource(string name, TraceListener listener, SourceLevels level = SourceLevels.All)
        {
            var s = new TraceSource(name, level);
            s.Listeners.Clear();
            s.Listeners.Add(listener);
            if (Scan != null) s.Listeners.Add(Scan);
            return s;
        }

        internal static ProcessWideRoute ProcessWide(SourceLevels level, TraceListener listener)
        {
            return new ProcessWideRoute(level, listener);
        }

        /// <summary>What must never be in a log record (logging spec).</summary>
        internal static readonly string[] Secrets = { "sandbox-password", "sbx_", "b2b-", "eyJ", "PRIVATE KEY" };

        internal static void AssertNoSecrets(IEnumerable<LogRecord> records)
        {
            foreach (var r in records)
                foreach (var secret in Secrets)
                    Assert.IsFalse(r.Message.Contains(secret), "a secret (" + secret + ") in the record of event " + r.Event);
        }

        static string root;

        internal static string Root()
        {
            if (root != null) return root;
            var r = Environment.GetEnvironmentVariable("B2C_ROOT");
            if (string.IsNullOrEmpty(r))
            {
                // <root>/build/csharp/B2c.Tests.dll by default: walk up to include/b2c.h.
                r = ".";
                for (var d = new DirectoryInfo(TestDir()); d != null; d = d.Parent)
                    if (File.Exists(Path.Combine(d.FullName, "include/b2c.h"))) { r = d.FullName; break; }
            }
            return root = r;
        }

        /// <summary>The directory of B2c.Tests.dll (the original one, even if shadow-copied).</summary>
        internal static string TestDir()
        {
            return Path.GetDirectoryName(new Uri(typeof(Support).Assembly.CodeBase).LocalPath);
        }

        internal static string Header()
        {
            var h = Environment.GetEnvironmentVariable("B2C_HEADER");
            return string.IsNullOrEmpty(h) ? Path.Combine(Root(), "include/b2c.h") : h;
        }

        internal static string Reference(byte[] key, byte[] payload)
        {
            using (var h = new HMACSHA256(key))
            {
                var d = h.ComputeHash(payload);
                var sb = new StringBuilder("sha256=");
                foreach (var b in d) sb.Append(b.ToString("x2"));
                return sb.ToString();
            }
        }

        internal static System.Collections.Generic.Dictionary<string, object> Cfg(string url, string pem)
        {
            return new System.Collections.Generic.Dictionary<string, object> {
                { "base_url", url }, { "admin_id", 42 }, { "device_ip", "127.0.0.1" }, { "key_id", "kid1" },
                { "private_key_pem", pem }, { "poll_interval_ms", 20 },
            };
        }

        [DllImport("libc.so.6", SetLastError = true)]
        static extern IntPtr realpath(byte[] path, IntPtr resolved);

        [DllImport("libc.so.6")]
        static extern void free(IntPtr p);

        /// <summary>realpath(3): symlinks resolved, as /proc/self/maps shows files.</summary>
        internal static string RealPath(string path)
        {
            var b = Encoding.UTF8.GetBytes(path + "\0");
            IntPtr p = realpath(b, IntPtr.Zero);
            if (p == IntPtr.Zero) return null;
            try { return Marshal.PtrToStringAnsi(p); }
            finally { free(p); }
        }

        /// <summary>A fresh temporary directory; delete with Directory.Delete(dir, true).</summary>
        internal static string TempDir(string tag)
        {
            var dir = Path.Combine(Path.GetTempPath(), "b2c-cs-" + tag + "-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            return dir;
        }
    }

    /// <summary>A b2c-sandbox on an ephemeral port (binary from B2C_SANDBOX), killed on Dispose.</summary>
    sealed class Sandbox : IDisposable
    {
        public readonly Process Proc;
        public readonly string Url;

        public Sandbox(string args)
        {
            var bin = Environment.GetEnvironmentVariable("B2C_SANDBOX");
            if (string.IsNullOrEmpty(bin)) Assert.Fail("B2C_SANDBOX is not set (path of the b2c-sandbox binary)");
            var psi = new ProcessStartInfo(bin, "--port 0 " + args)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
            };
            Proc = Process.Start(psi);
            var line = Proc.StandardOutput.ReadLine();
            const string prefix = "b2c-sandbox listening on ";
            if (line == null || !line.StartsWith(prefix))
            {
                try { Proc.Kill(); } catch (Exception) { }
                throw new Exception("sandbox said: " + line);
            }
            Url = line.Substring(prefix.Length).Trim();
        }

        /// <summary>POSTs to the control surface (/_sandbox/...) and returns the JSON answer.</summary>
        public string Control(string path, string body = "{}")
        {
            using (var wc = new System.Net.WebClient())
            {
                wc.Headers[System.Net.HttpRequestHeader.ContentType] = "application/json";
                return wc.UploadString(Url + "/_sandbox/" + path, body);
            }
        }

        /// <summary>One counter of GET /_sandbox/stats, e.g. Stat("b2copy", "refresh_ok").</summary>
        public long Stat(string emulator, string counter)
        {
            string json;
            using (var wc = new System.Net.WebClient()) json = wc.DownloadString(Url + "/_sandbox/stats");
            var m = System.Text.RegularExpressions.Regex.Match(json,
                "\"" + emulator + "\":\\{[^}]*\"" + counter + "\":(\\d+)");
            Assert.IsTrue(m.Success, "no " + emulator + "." + counter + " in the sandbox stats: " + json);
            return long.Parse(m.Groups[1].Value);
        }

        /// <summary>POST /_sandbox/b2binpay/ttls: lifetimes of the B2BINPAY tokens issued from
        /// now on (access 0 = due at once, so the next AccessToken renews, with no waiting).</summary>
        public void B2binpayTtls(int accessS, int refreshS)
        {
            var answer = Control("b2binpay/ttls", "{\"access_s\":" + accessS + ",\"refresh_s\":" + refreshS + "}");
            Assert.IsTrue(answer.Contains("\"ok\":true"), "b2binpay/ttls: " + answer);
        }

        public void Dispose()
        {
            try { if (!Proc.HasExited) Proc.Kill(); } catch (Exception) { }
            Proc.WaitForExit(5000);
            Proc.Dispose();
        }
    }

    /// <summary>
    /// Suite-wide setup (every fixture is in namespace B2c.Tests). When B2C_SCAN_DIR is set,
    /// routes every event of B2cLibrary.Trace at Verbose for the whole suite into
    /// $B2C_SCAN_DIR/csharp-log-events.log (one line per record: "level target event:
    /// message"); per-handle sources made with Support.NewSource write there too. Tests that
    /// change the level or the listeners of B2cLibrary.Trace put them back (Support.ProcessWide).
    /// </summary>
    [SetUpFixture]
    public class SuiteSetup
    {
        [SetUp]
        public void RouteToScanFile()
        {
            var dir = Environment.GetEnvironmentVariable("B2C_SCAN_DIR");
            if (string.IsNullOrEmpty(dir)) return;
            Directory.CreateDirectory(dir);
            Support.Scan = new ScanListener(Path.Combine(dir, "csharp-log-events.log"));
            B2cLibrary.Trace.Listeners.Add(Support.Scan);
            B2cLibrary.SetLogLevel(SourceLevels.Verbose);
        }

        [TearDown]
        public void CloseScanFile()
        {
            var scan = Support.Scan;
            if (scan == null) return;
            B2cLibrary.Trace.Listeners.Remove(scan);
            Support.Scan = null;
            scan.Close();
        }
    }

    /// <summary>Appends one line per record to a file ("level target event: message"; CR and LF
    /// in a message become spaces). Thread-safe.</summary>
    sealed class ScanListener : TraceListener
    {
        readonly object gate = new object();
        StreamWriter w;

        public ScanListener(string path) : base("b2c-scan")
        {
            var f = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            w = new StreamWriter(f, new UTF8Encoding(false)) { AutoFlush = true };
        }

        public override bool IsThreadSafe { get { return true; } }

        public void Line(string text)
        {
            lock (gate) { if (w != null) w.WriteLine(text.Replace('\r', ' ').Replace('\n', ' ')); }
        }

        /// <summary>Text seen some other way (a captured stderr): each line goes to the file.</summary>
        public void Text(string text)
        {
            foreach (var l in text.Split('\n')) if (l.Trim().Length > 0) Line(l);
        }

        public override void TraceEvent(TraceEventCache cache, string source, TraceEventType type, int id, string message)
        {
            Line(type + " " + message);
        }

        public override void TraceEvent(TraceEventCache cache, string source, TraceEventType type, int id, string format,
                                        params object[] args)
        {
            Line(type + " " + (args == null ? format : string.Format(format, args)));
        }

        public override void TraceData(TraceEventCache cache, string source, TraceEventType type, int id, object data)
        {
            Line(type + " " + data);
        }

        public override void Write(string message) { Line(message); }
        public override void WriteLine(string message) { Line(message); }

        public override void Close()
        {
            lock (gate) { if (w != null) { w.Dispose(); w = null; } }
        }
    }

    /// <summary>One record a Collector saw: the TraceEvent's type, source, id and message, with
    /// the message split back into target, event and the library's own text.</summary>
    sealed class LogRecord
    {
        public TraceEventType Type;
        public string Source, Message, Target, Event, Text;
        public int Id;

        public override string ToString() { return Source + " " + Type + " " + Message; }
    }

    /// <summary>Keeps every TraceEvent it receives (thread-safe).</summary>
    sealed class Collector : TraceListener
    {
        readonly List<LogRecord> records = new List<LogRecord>();

        public Collector() : base("collector") { }

        public override bool IsThreadSafe { get { return true; } }

        public override void TraceEvent(TraceEventCache cache, string source, TraceEventType type, int id, string message)
        {
            var r = new LogRecord { Type = type, Source = source, Id = id, Message = message ?? "" };
            // "{target} {event}: {message}"
            int sp = r.Message.IndexOf(' '), colon = r.Message.IndexOf(": ", StringComparison.Ordinal);
            if (sp > 0 && colon > sp)
            {
                r.Target = r.Message.Substring(0, sp);
                r.Event = r.Message.Substring(sp + 1, colon - sp - 1);
                r.Text = r.Message.Substring(colon + 2);
            }
            lock (records) records.Add(r);
        }

        public override void Write(string message) { }
        public override void WriteLine(string message) { }

        public List<LogRecord> Records { get { lock (records) return new List<LogRecord>(records); } }

        public List<LogRecord> Named(string evt, string needle = null)
        {
            return Records.FindAll(r => r.Event == evt && (needle == null || (r.Text ?? "").Contains(needle)));
        }

        public void Clear() { lock (records) records.Clear(); }

        public string Dump()
        {
            var sb = new StringBuilder();
            foreach (var r in Records) sb.Append("\n  ").Append(r);
            return sb.ToString();
        }
    }

    /// <summary>Throws from every record (the callback must swallow it), after a GC.</summary>
    sealed class ThrowingListener : TraceListener
    {
        public int Calls;

        public override void TraceEvent(TraceEventCache cache, string source, TraceEventType type, int id, string message)
        {
            System.Threading.Interlocked.Increment(ref Calls);
            GC.Collect();
            throw new InvalidOperationException("listener failure " + message);
        }

        public override void Write(string message) { throw new InvalidOperationException("write"); }
        public override void WriteLine(string message) { throw new InvalidOperationException("write"); }
    }

    /// <summary>B2cLibrary.Trace with one more listener at a level, until Dispose puts the
    /// previous level back and removes the listener.</summary>
    sealed class ProcessWideRoute : IDisposable
    {
        readonly SourceLevels previous;
        readonly TraceListener listener;

        public ProcessWideRoute(SourceLevels level, TraceListener listener)
        {
            this.listener = listener;
            previous = B2cLibrary.Trace.Switch.Level;
            B2cLibrary.Trace.Listeners.Add(listener);
            B2cLibrary.SetLogLevel(level);
        }

        public void Dispose()
        {
            B2cLibrary.SetLogLevel(previous);
            B2cLibrary.Trace.Listeners.Remove(listener);
        }
    }
}

// Logs and statistics (the logging spec, issue 11): B2cLibrary.Trace as the process-wide route,
// SetTraceSource per handle, Stats() against the sandbox's own counters, the callback's safety
// (copies, struct_size, exceptions, GC), the stderr line when nobody listens, and no secret in
// any record. Tests that change B2cLibrary.Trace put its level and listeners back.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using B2c;
using NUnit.Framework;

namespace B2c.Tests
{
    /// <summary>What needs no network: the level mapping, the callback fed a b2c_log_params
    /// built here, the JSON parser and Stats.Parse, a fresh handle's statistics.</summary>
    [TestFixture]
    public class LoggingOfflineTests
    {
        [Test]
        public void TraceIsOneSourceNamedB2cRoutedSinceTheLoad()
        {
            Assert.IsNotNull(B2cLibrary.Version());
            Assert.AreSame(B2cLibrary.Trace, B2cLibrary.Trace, "one static instance");
            Assert.AreEqual("b2c", B2cLibrary.Trace.Name);
            // Installed when the library was loaded (or by the suite setup), at the source's level.
            Assert.AreEqual(Logging.MaxLevel(B2cLibrary.Trace.Switch.Level), Volatile.Read(ref Logging.InstalledLevel),
                "the process-wide callback is installed at B2cLibrary.Trace's level");
            Assert.AreEqual(SourceLevels.Warning, Logging.DefaultLevel);
        }

        [Test]
        public void SetLogLevelSetsTheSwitchAndTheLibrary()
        {
            var before = B2cLibrary.Trace.Switch.Level;
            try
            {
                B2cLibrary.SetLogLevel(SourceLevels.Information);
                Assert.AreEqual(SourceLevels.Information, B2cLibrary.Trace.Switch.Level);
                Assert.AreEqual(3, Logging.InstalledLevel);
                B2cLibrary.SetLogLevel(SourceLevels.Off);
                Assert.AreEqual(SourceLevels.Off, B2cLibrary.Trace.Switch.Level);
                Assert.AreEqual(1, Logging.InstalledLevel);
            }
            finally
            {
                B2cLibrary.SetLogLevel(before);
            }
            Assert.AreEqual(before, B2cLibrary.Trace.Switch.Level);
        }

        [TestCase(SourceLevels.Off, 1)]
        [TestCase(SourceLevels.Critical, 1)]
        [TestCase(SourceLevels.Error, 1)]
        [TestCase(SourceLevels.Warning, 2)]
        [TestCase(SourceLevels.Information, 3)]
        [TestCase(SourceLevels.Verbose, 5)]
        [TestCase(SourceLevels.All, 5)]
        [TestCase(SourceLevels.ActivityTracing, 1)]
        public void NativeMaxLevelOfSourceLevels(SourceLevels levels, int native)
        {
            Assert.AreEqual(native, Logging.MaxLevel(levels));
        }

        [TestCase(1, TraceEventType.Error)]
        [TestCase(2, TraceEventType.Warning)]
        [TestCase(3, TraceEventType.Information)]
        [TestCase(4, TraceEventType.Verbose)]
        [TestCase(5, TraceEventType.Verbose)]
        [TestCase(0, TraceEventType.Error)]
        [TestCase(6, TraceEventType.Verbose)]
        public void EventTypeOfNativeLevel(int native, TraceEventType type)
        {
            Assert.AreEqual(type, Logging.EventType(native));
        }

        /// <summary>A b2c_log_params in unmanaged memory, as the library lays it out (x86-64:
        /// size_t, int32 + padding, three pointers, size_t), with its strings.</summary>
        sealed class FakeParams : IDisposable
        {
            public IntPtr P;
            readonly List<IntPtr> strings = new List<IntPtr>();

            IntPtr Str(string s)
            {
                if (s == null) return IntPtr.Zero;
                var b = Encoding.UTF8.GetBytes(s + "\0");
                var p = Marshal.AllocHGlobal(b.Length);
                Marshal.Copy(b, 0, p, b.Length);
                strings.Add(p);
                return p;
            }

            public FakeParams(long structSize, int level, string target, string evt, string message, long messageLen = -1)
            {
                int ptr = IntPtr.Size;
                P = Marshal.AllocHGlobal(6 * 8);
                for (int i = 0; i < 6 * 8; i++) Marshal.WriteByte(P, i, 0xAB); // garbage beyond struct_size
                Marshal.WriteIntPtr(P, 0, new IntPtr(structSize));
                Marshal.WriteInt32(P, ptr, level);
                Marshal.WriteIntPtr(P, 2 * ptr, Str(target));
                Marshal.WriteIntPtr(P, 3 * ptr, Str(evt));
                Marshal.WriteIntPtr(P, 4 * ptr, Str(message));
                if (structSize >= 6 * ptr)
                    Marshal.WriteIntPtr(P, 5 * ptr, new IntPtr(messageLen >= 0 ? messageLen : Encoding.UTF8.GetByteCount(message ?? "")));
            }

            public void Dispose()
            {
                foreach (var s in strings) Marshal.FreeHGlobal(s);
                Marshal.FreeHGlobal(P);
            }
        }

        static readonly long FullSize = 6 * IntPtr.Size;

        [Test]
        public void CallbackCopiesTheEventIntoOneTraceEvent()
        {
            Assume.That(IntPtr.Size == 8, "the layout written here is the LP64 one");
            var col = new Collector();
            var route = new LogRoute(Support.NewSource("b2c-test-copy", col), false);
            using (var p = new FakeParams(FullSize, 2, "b2binpay", "suspicious_refresh", "SUSPICIOUS: ünïcode"))
                route.Callback(IntPtr.Zero, p.P);
            // the native memory is gone: the record must hold copies
            GC.Collect();
            var r = col.Records.Single();
            Assert.AreEqual(TraceEventType.Warning, r.Type);
            Assert.AreEqual(0, r.Id, "TraceEvent id 0");
            Assert.AreEqual("b2c-test-copy", r.Source);
            Assert.AreEqual("b2binpay suspicious_refresh: SUSPICIOUS: ünïcode", r.Message, "{target} {event}: {message}");
        }

        [Test]
        public void CallbackHonoursMessageLenAndStructSize()
        {
            Assume.That(IntPtr.Size == 8, "the layout written here is the LP64 one");
            var col = new Collector();
            var route = new LogRoute(Support.NewSource("b2c-test-size", col), false);
            using (var p = new FakeParams(FullSize, 3, "b2copy", "auth", "hello world", 5))
                route.Callback(IntPtr.Zero, p.P);
            Assert.AreEqual("b2copy auth: hello", col.Records.Last().Message, "message_len bytes");
            // A library whose struct ends after `message` (no message_len): strlen.
            using (var p = new FakeParams(5 * IntPtr.Size, 4, "http", "request", "GET /x"))
                route.Callback(IntPtr.Zero, p.P);
            Assert.AreEqual("http request: GET /x", col.Records.Last().Message, "no message_len: NUL-terminated");
            Assert.AreEqual(TraceEventType.Verbose, col.Records.Last().Type);
            // Too small to hold the message pointer, or NULL: dropped, nothing thrown.
            int n = col.Records.Count;
            using (var p = new FakeParams(4 * IntPtr.Size, 2, "b2copy", "auth", "x"))
                route.Callback(IntPtr.Zero, p.P);
            route.Callback(IntPtr.Zero, IntPtr.Zero);
            Assert.AreEqual(n, col.Records.Count, "dropped");
            // NULL strings become empty ones.
            using (var p = new FakeParams(FullSize, 5, null, null, null))
                route.Callback(IntPtr.Zero, p.P);
            Assert.AreEqual(" : ", col.Records.Last().Message);
        }

        [Test]
        public void CallbackSwallowsListenerExceptions()
        {
            Assume.That(IntPtr.Size == 8, "the layout written here is the LP64 one");
            var col = new Collector();
            var thrower = new ThrowingListener();
            var source = Support.NewSource("b2c-test-throw", col);
            source.Listeners.Add(thrower);
            var route = new LogRoute(source, false);
            using (var p = new FakeParams(FullSize, 3, "b2copy", "auth", "one"))
            {
                route.Callback(IntPtr.Zero, p.P); // must return normally
                route.Callback(IntPtr.Zero, p.P);
            }
            Assert.AreEqual(2, thrower.Calls, "the listener ran and threw");
            Assert.AreEqual(2, col.Records.Count, "the events before the throwing listener got through");
            route.Source = null;
            using (var p = new FakeParams(FullSize, 3, "b2copy", "auth", "two"))
                route.Callback(IntPtr.Zero, p.P);
            Assert.AreEqual(2, col.Records.Count, "a removed source gets nothing");
        }

        [Test]
        public void StderrLineOnlyWhenNobodyListens()
        {
            Assume.That(IntPtr.Size == 8, "the layout written here is the LP64 one");
            if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("MONO_TRACE_LISTENER")))
                Assert.Ignore("MONO_TRACE_LISTENER is set: the DefaultTraceListener writes somewhere");
            var source = new TraceSource("b2c-test-unheard", SourceLevels.Warning); // only the DefaultTraceListener
            var route = new LogRoute(source, true);
            var saved = Console.Error;
            var captured = new StringWriter();
            string withListener, quiet, info;
            Console.SetError(captured);
            try
            {
                using (var p = new FakeParams(FullSize, 2, "b2binpay", "suspicious_refresh", "SUSPICIOUS: test"))
                    route.Callback(IntPtr.Zero, p.P);
                using (var p = new FakeParams(FullSize, 3, "b2binpay", "auth", "logged in"))
                    route.Callback(IntPtr.Zero, p.P);
                info = captured.ToString();

                var sw2 = new StringWriter();
                Console.SetError(sw2);
                source.Listeners.Add(new Collector());
                using (var p = new FakeParams(FullSize, 2, "b2binpay", "suspicious_refresh", "SUSPICIOUS: test"))
                    route.Callback(IntPtr.Zero, p.P);
                withListener = sw2.ToString();

                var sw3 = new StringWriter();
                Console.SetError(sw3);
                source.Listeners.Clear();
                B2cLibrary.SetLogStderr(false);
                using (var p = new FakeParams(FullSize, 2, "b2binpay", "suspicious_refresh", "SUSPICIOUS: test"))
                    route.Callback(IntPtr.Zero, p.P);
                quiet = sw3.ToString();
            }
            finally
            {
                B2cLibrary.SetLogStderr(true);
                Console.SetError(saved);
            }
            if (Support.Scan != null) Support.Scan.Text(info + withListener + quiet);
            Assert.AreEqual("b2c: warn b2binpay suspicious_refresh: SUSPICIOUS: test" + Environment.NewLine, info,
                "one line for the warning, none for the info event");
            Assert.AreEqual("", withListener, "a listener hears it: no stderr line");
            Assert.AreEqual("", quiet, "SetLogStderr(false): no stderr line");
        }

        // ------------------------------------------------------------------ JSON and Stats

        [Test]
        public void JsonParserReadsWhatTheLibraryWrites()
        {
            var o = (Dictionary<string, object>)Json.Parse(
                " {\"a\": 1, \"b\": -20, \"c\": \"x\\\"\\\\\\/\\n\\u00e9\\ud83d\\ude00\", \"d\": [1, 2.5, true, false, null, {}],"
                + " \"e\": {\"f\": {\"g\": []}}, \"h\": 1e3, \"big\": 123456789012345678901234567890, \"a\": 2} ");
            Assert.AreEqual(2L, o["a"], "a repeated key keeps the last value");
            Assert.AreEqual(-20L, o["b"]);
            Assert.AreEqual("x\"\\/\n\u00e9\U0001F600", o["c"]);
            var d = (List<object>)o["d"];
            Assert.AreEqual(6, d.Count);
            Assert.AreEqual(1L, d[0]);
            Assert.AreEqual(2.5, d[1]);
            Assert.AreEqual(true, d[2]);
            Assert.IsNull(d[4]);
            Assert.AreEqual(1000.0, o["h"]);
            Assert.IsInstanceOf<double>(o["big"], "an integer that does not fit a long");
            Assert.IsInstanceOf<Dictionary<string, object>>(((Dictionary<string, object>)o["e"])["f"]);
        }

        [TestCase("")]
        [TestCase("{")]
        [TestCase("{\"a\":}")]
        [TestCase("{\"a\":1,}")]
        [TestCase("{a:1}")]
        [TestCase("{\"a\":01}")]
        [TestCase("{\"a\":1} x")]
        [TestCase("{\"a\":\"\\x\"}")]
        [TestCase("{\"a\":\"unterminated}")]
        [TestCase("[1 2]")]
        [TestCase("tru")]
        [TestCase("-")]
        [TestCase("1.")]
        public void JsonParserRefusesMalformedText(string text)
        {
            Assert.Throws<FormatException>(() => Json.Parse(text));
        }

        [Test]
        public void JsonParserRefusesDeepNesting()
        {
            Assert.Throws<FormatException>(() => Json.Parse(new string('[', 100000) + new string(']', 100000)));
            Assert.IsNotNull(Json.Parse(new string('[', 200) + new string(']', 200)));
        }

        const string Full = "{\"auth_exchanges\":2,\"connections_opened\":3,\"deadline_exceeded\":4,\"dns_lookups\":5,"
            + "\"latency\":{\"processext\":{\"count\":6,\"max_us\":10,\"p50_us\":7,\"p90_us\":8,\"p99_us\":9}},"
            + "\"reauths\":11,\"refreshes\":12,\"requests\":13,\"retries\":14,\"retries_by_cause\":{\"status_5xx\":15,\"reset\":1},"
            + "\"store_adopted\":16,\"store_errors\":22,\"store_loads\":17,\"store_saves\":23,\"suspicious\":18,\"tls_handshakes\":19,\"tls_resumed\":20,"
            + "\"unauthorized\":21}";

        [Test]
        public void StatsHasEveryKey()
        {
            var s = Stats.Parse(Full);
            Assert.AreEqual(Full, s.Json);
            Assert.AreEqual(Full, s.ToString());
            Assert.AreEqual(2, s.AuthExchanges);
            Assert.AreEqual(3, s.ConnectionsOpened);
            Assert.AreEqual(4, s.DeadlineExceeded);
            Assert.AreEqual(5, s.DnsLookups);
            Assert.AreEqual(11, s.Reauths);
            Assert.AreEqual(12, s.Refreshes);
            Assert.AreEqual(13, s.Requests);
            Assert.AreEqual(14, s.Retries);
            Assert.AreEqual(16, s.StoreAdopted);
            Assert.AreEqual(17, s.StoreLoads);
            Assert.AreEqual(22, s.StoreErrors);
            Assert.AreEqual(23, s.StoreSaves);
            Assert.AreEqual(18, s.Suspicious);
            Assert.AreEqual(19, s.TlsHandshakes);
            Assert.AreEqual(20, s.TlsResumed);
            Assert.AreEqual(21, s.Unauthorized);
            Assert.AreEqual(2, s.RetriesByCause.Count);
            Assert.AreEqual(15, s.RetriesByCause["status_5xx"]);
            Assert.AreEqual(15, s.RetriesFor("status_5xx"));
            Assert.AreEqual(0, s.RetriesFor("tls"), "a cause with no entry");
            var l = s.Latency["processext"];
            Assert.AreEqual(6, l.Count);
            Assert.AreEqual(7, l.P50Us);
            Assert.AreEqual(8, l.P90Us);
            Assert.AreEqual(9, l.P99Us);
            Assert.AreEqual(10, l.MaxUs);
            Assert.IsInstanceOf<long>(s.Requests, "64-bit");
        }

        [Test]
        public void StatsToleratesUnknownKeysAndMissingOnes()
        {
            var s = Stats.Parse("{\"requests\":7,\"new_counter\":1,\"new_float\":0.5,\"new_text\":\"x\",\"new_list\":[1,{\"a\":[]}],"
                + "\"new_object\":{\"deep\":{\"er\":null}},\"new_flag\":true,\"new_null\":null,"
                + "\"latency\":{\"token\":{\"count\":1,\"p50_us\":2,\"p90_us\":3,\"p99_us\":4,\"max_us\":5,\"p999_us\":6,\"hist\":[1,2]},"
                + "\"new_endpoint\":{\"count\":9}},\"retries_by_cause\":{\"new_cause\":3}}");
            Assert.AreEqual(7, s.Requests);
            Assert.AreEqual(0, s.Retries, "missing: 0");
            Assert.AreEqual(0, s.StoreLoads);
            Assert.AreEqual(0, s.StoreErrors);
            Assert.AreEqual(5, s.Latency["token"].MaxUs);
            Assert.AreEqual(9, s.Latency["new_endpoint"].Count);
            Assert.AreEqual(0, s.Latency["new_endpoint"].P99Us);
            Assert.AreEqual(3, s.RetriesFor("new_cause"));

            var empty = Stats.Parse("{}");
            Assert.AreEqual(0, empty.Requests);
            Assert.AreEqual(0, empty.RetriesByCause.Count);
            Assert.AreEqual(0, empty.Latency.Count);
        }

        [TestCase("{\"requests\":\"7\"}")]
        [TestCase("{\"requests\":1.5}")]
        [TestCase("{\"latency\":[]}")]
        [TestCase("{\"latency\":{\"token\":1}}")]
        [TestCase("{\"latency\":{\"token\":{\"count\":true}}}")]
        [TestCase("{\"retries_by_cause\":{\"reset\":\"1\"}}")]
        [TestCase("[]")]
        [TestCase("{\"requests\":")]
        public void StatsWithAKnownKeyOfTheWrongTypeIsInternalException(string json)
        {
            var e = Assert.Throws<InternalException>(() => Stats.Parse(json));
            StringAssert.StartsWith("the library's statistics ", e.Message);
        }

        [Test]
        public void FreshHandlesHaveZeroStats()
        {
            string pem;
            using (var k = Key.Generate()) pem = k.PrivatePem();
            using (var c = new Client(Support.Cfg("http://127.0.0.1:9", pem)))
            {
                var s = c.Stats();
                Assert.AreEqual(0, s.Requests + s.Retries + s.AuthExchanges + s.Refreshes + s.Unauthorized + s.ConnectionsOpened,
                    "a client that made no call: " + s);
                StringAssert.Contains("\"requests\":0", s.Json);
                c.SetTraceSource(Support.NewSource("b2c-test-fresh", new Collector()), SourceLevels.Verbose);
                c.SetTraceSource(null);
                c.SetTraceSource(null); // removing twice is fine
                c.Dispose();
                Assert.Throws<ObjectDisposedException>(() => c.Stats());
                Assert.Throws<ObjectDisposedException>(() => c.SetTraceSource(null));
            }
            using (var b = new B2binpay(new Dictionary<string, object> {
                { "base_url", "http://127.0.0.1:9/b2binpay" }, { "login", "l" }, { "password", "sandbox-password" } }))
            {
                var s = b.Stats();
                Assert.AreEqual(0, s.Requests + s.AuthExchanges + s.Suspicious, "a handle that made no call: " + s);
                Assert.IsFalse(s.Json.Contains("sandbox-password"));
                b.SetTraceSource(Support.NewSource("b2c-test-fresh-b", new Collector()));
                b.SetTraceSource(null);
                b.Dispose();
                Assert.Throws<ObjectDisposedException>(() => b.Stats());
                Assert.Throws<ObjectDisposedException>(() => b.SetTraceSource(null));
            }
        }
    }

    /// <summary>The flows of the logging spec against a sandbox of their own (faults and
    /// expire-access change the whole sandbox).</summary>
    [TestFixture]
    public class LoggingSandboxTests
    {
        const string ProcessextPath = "/api/admin/fees/v2/fee/feeservice/processext";
        static readonly string[] Targets = { "b2copy", "b2binpay", "retailcrm", "http", "dns" };

        string dir, pem;
        Sandbox sb;
        int ids;

        [TestFixtureSetUp]
        public void StartSandbox()
        {
            sb = Support.StartSandbox("logging", out dir, out pem);
        }

        [TestFixtureTearDown]
        public void StopSandbox()
        {
            Support.StopSandbox(sb, dir);
        }

        string Id() { return "cs-log-" + Interlocked.Increment(ref ids); }

        Dictionary<string, long> Counters(string emulator, params string[] names)
        {
            var d = new Dictionary<string, long>();
            foreach (var n in names) d[n] = sb.Stat(emulator, n);
            return d;
        }

        B2binpay NewB2binpay()
        {
            return new B2binpay(new Dictionary<string, object> {
                { "base_url", sb.Url + "/b2binpay" }, { "login", "sandbox-login" }, { "password", "sandbox-password" } });
        }

        static void AssertOnce(Collector col, string evt, string needle, TraceEventType type)
        {
            var found = col.Named(evt);
            Assert.AreEqual(1, found.Count, "exactly one " + evt + " event:" + col.Dump());
            if (needle != null) StringAssert.Contains(needle, found[0].Text, evt + " names " + needle);
            Assert.AreEqual(type, found[0].Type, evt + " level");
        }

        static void AssertWellFormed(Collector col, string source)
        {
            foreach (var r in col.Records)
            {
                Assert.AreEqual(source, r.Source, "source of " + r);
                Assert.AreEqual(0, r.Id, "id of " + r);
                Assert.IsNotNull(r.Event, "\"{target} {event}: {message}\": " + r);
                CollectionAssert.Contains(Targets, r.Target, "target of " + r);
            }
            Support.AssertNoSecrets(col.Records);
        }

        [Test]
        public void ForcedRefreshAndRetried503ThroughTheProcessWideSource()
        {
            var col = new Collector();
            var b0 = Counters("b2copy", "auth_ok", "refresh_ok", "process_calls", "faults_injected");
            Stats st;
            using (Support.ProcessWide(SourceLevels.Information, col))
            using (var c = new Client(Support.Cfg(sb.Url, pem)))
            {
                Assert.AreEqual(FeeStatus.Pending, c.FeeProcess("123456", Id()).Status);
                AssertOnce(col, "auth", "no tokens held", TraceEventType.Information);

                Assert.IsTrue(sb.Control("b2copy/expire-access").Contains("\"ok\":true"));
                c.FeeProcess("123456", Id());
                AssertOnce(col, "unauthorized", "401", TraceEventType.Information);
                AssertOnce(col, "refresh", "401", TraceEventType.Information);
                AssertOnce(col, "auth", null, TraceEventType.Information);

                sb.Control("faults", "{\"path\": \"" + ProcessextPath + "\", \"fault\": \"503\", \"times\": 1}");
                c.FeeProcess("123456", Id());
                AssertOnce(col, "retry", "status_5xx", TraceEventType.Information);
                AssertOnce(col, "unauthorized", null, TraceEventType.Information);
                AssertOnce(col, "refresh", null, TraceEventType.Information);
                Assert.AreEqual(0, col.Named("request").Count, "no debug event at Information:" + col.Dump());
                Assert.AreEqual(0, col.Records.Count(r => r.Type == TraceEventType.Verbose), "nothing Verbose:" + col.Dump());
                st = c.Stats();
            }
            AssertWellFormed(col, "b2c");

            var b1 = Counters("b2copy", "auth_ok", "refresh_ok", "process_calls", "faults_injected");
            long auth = b1["auth_ok"] - b0["auth_ok"], refresh = b1["refresh_ok"] - b0["refresh_ok"];
            long process = b1["process_calls"] - b0["process_calls"], faults = b1["faults_injected"] - b0["faults_injected"];
            Assert.AreEqual(1, faults, "one fault injected");
            Assert.AreEqual(auth, st.AuthExchanges, "auth_exchanges == the sandbox's auth_ok: " + st);
            Assert.AreEqual(refresh, st.Refreshes, "refreshes == refresh_ok: " + st);
            Assert.AreEqual(1, st.AuthExchanges, st.Json);
            Assert.AreEqual(1, st.Refreshes, st.Json);
            Assert.AreEqual(1, st.Unauthorized, "one 401: " + st);
            Assert.AreEqual(1, st.RetriesByCause["status_5xx"], "one retry for a 5xx: " + st);
            Assert.AreEqual(1, st.Retries, st.Json);
            Assert.AreEqual(process + faults, st.Latency["processext"].Count,
                "processext exchanges == process_calls + faults_injected: " + st);
            Assert.AreEqual(auth + refresh + process + faults, st.Requests, "every exchange the sandbox answered: " + st);
            Assert.AreEqual(auth, st.Latency["authexternalcrm"].Count, st.Json);
            Assert.AreEqual(refresh, st.Latency["refreshtoken"].Count, st.Json);
            var l = st.Latency["processext"];
            Assert.IsTrue(l.P50Us > 0 && l.P50Us <= l.P90Us && l.P90Us <= l.P99Us && l.P99Us <= l.MaxUs, "percentiles " + l);
            foreach (var secret in Support.Secrets) Assert.IsFalse(st.Json.Contains(secret), "a secret in the stats");
        }

        [Test]
        public void AClientsOwnSourceTakesItsEventsInstead()
        {
            var global = new Collector();
            var own = new Collector();
            using (Support.ProcessWide(SourceLevels.Information, global))
            using (var c = new Client(Support.Cfg(sb.Url, pem)))
            {
                c.SetTraceSource(Support.NewSource("b2c-test-client", own), SourceLevels.Verbose);
                // The route lives with the handle: nothing here references the source or the
                // delegate any more.
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
                c.FeeProcess("123456", Id());
                Assert.AreEqual(0, global.Records.Count, "the process-wide source saw none of it:" + global.Dump());
                AssertOnce(own, "auth", "no tokens held", TraceEventType.Information);
                var requests = own.Named("request");
                Assert.AreEqual(2, requests.Count, "one request event per exchange (authexternalcrm, processext):" + own.Dump());
                Assert.IsTrue(requests.All(r => r.Type == TraceEventType.Verbose && r.Target == "http"), own.Dump());
                Assert.AreEqual(1, own.Named("request", "processext").Count, own.Dump());
                Assert.AreEqual(c.Stats().Requests, requests.Count, "Stats().Requests");
                AssertWellFormed(own, "b2c-test-client");

                // At a lower level of its own: the library delivers less.
                own.Clear();
                c.SetTraceSource(Support.NewSource("b2c-test-client", own), SourceLevels.Warning);
                sb.Control("b2copy/expire-access");
                c.FeeProcess("123456", Id());
                Assert.AreEqual(0, own.Records.Count, "nothing at Warning:" + own.Dump());
                Assert.AreEqual(0, global.Records.Count, "and still nothing process-wide:" + global.Dump());

                // Removed: the process-wide source gets the client's events again.
                c.SetTraceSource(null);
                sb.Control("b2copy/expire-access");
                c.FeeProcess("123456", Id());
                Assert.AreEqual(0, own.Records.Count, "the removed source gets nothing:" + own.Dump());
                AssertOnce(global, "unauthorized", "401", TraceEventType.Information);
                AssertOnce(global, "refresh", "401", TraceEventType.Information);
                AssertWellFormed(global, "b2c");
            }
        }

        [Test]
        public void AThrowingListenerDoesNotBreakTheCall()
        {
            var col = new Collector();
            var thrower = new ThrowingListener();
            var source = Support.NewSource("b2c-test-throwing", col);
            source.Listeners.Add(thrower); // after the collector: the collector still sees each event
            using (var c = new Client(Support.Cfg(sb.Url, pem)))
            {
                c.SetTraceSource(source, SourceLevels.Verbose);
                var r = c.FeeProcess("123456", Id(), TimeSpan.FromSeconds(20));
                Assert.IsTrue(r.IsSuccess, "the call goes on: " + r);
                Assert.IsTrue(thrower.Calls >= 3, "the listener was called (and threw) " + thrower.Calls + " times");
                Assert.AreEqual(thrower.Calls, col.Records.Count, "every event reached the source");
                c.Authenticate();
            }
        }

        [Test]
        public void FourThreadsLogThroughOneSource()
        {
            var col = new Collector();
            using (var c = new Client(Support.Cfg(sb.Url, pem)))
            {
                c.SetTraceSource(Support.NewSource("b2c-test-threads", col), SourceLevels.Verbose);
                var errors = new List<string>();
                var threads = new List<Thread>();
                for (int t = 0; t < 4; t++)
                {
                    var th = new Thread(() =>
                    {
                        for (int i = 0; i < 3; i++)
                        {
                            try { c.FeeProcess("123456", Id()); }
                            catch (Exception e) { lock (errors) errors.Add(e.ToString()); }
                        }
                    });
                    th.Start();
                    threads.Add(th);
                }
                foreach (var th in threads) th.Join();
                Assert.IsEmpty(errors, string.Join("\n", errors.ToArray()));
                var st = c.Stats();
                Assert.AreEqual(st.Requests, col.Named("request").Count, "one request event per exchange: " + st);
                Assert.AreEqual(st.AuthExchanges, col.Named("auth").Count, "one auth event per exchange: " + st);
                Assert.AreEqual(12, st.Latency["processext"].Count, st.Json);
                AssertWellFormed(col, "b2c-test-threads");
            }
        }

        [Test]
        public void B2binpaySuspiciousRefreshIsAWarning()
        {
            var global = new Collector();
            var own = new Collector();
            var b0 = Counters("b2binpay", "token_ok", "token_calls", "refresh_calls", "refresh_replayed");
            using (Support.ProcessWide(SourceLevels.Warning, global))
            using (var b = NewB2binpay())
            {
                b.Login();
                Assert.IsFalse(sb.Control("b2binpay/consume-refresh").Contains("\"consumed\":0"));
                b.Refresh();
                AssertOnce(global, "suspicious_refresh", "SUSPICIOUS", TraceEventType.Warning);
                Assert.AreEqual(0, global.Named("auth").Count, "auth is Information, below Warning:" + global.Dump());
                AssertWellFormed(global, "b2c");

                // Its own source, at Information: the suspicious event and the login after it.
                b.SetTraceSource(Support.NewSource("b2c-test-b2binpay", own), SourceLevels.Information);
                Assert.IsFalse(sb.Control("b2binpay/consume-refresh").Contains("\"consumed\":0"));
                b.Refresh();
                AssertOnce(own, "suspicious_refresh", "SUSPICIOUS", TraceEventType.Warning);
                AssertOnce(own, "auth", null, TraceEventType.Information);
                Assert.AreEqual("b2binpay", own.Named("suspicious_refresh")[0].Target);
                Assert.AreEqual(1, global.Records.Count, "the process-wide source got none of it:" + global.Dump());
                AssertWellFormed(own, "b2c-test-b2binpay");

                var st = b.Stats();
                var b1 = Counters("b2binpay", "token_ok", "token_calls", "refresh_calls", "refresh_replayed");
                Assert.AreEqual(2, st.Suspicious, "both counted: " + st);
                Assert.AreEqual((long)b.Counters().Suspicious, st.Suspicious, "as Counters() says");
                Assert.AreEqual(b1["token_ok"] - b0["token_ok"], st.AuthExchanges, "auth_exchanges == token_ok: " + st);
                Assert.AreEqual(3, st.AuthExchanges, "the login and one after each replay: " + st);
                Assert.AreEqual(b1["token_calls"] - b0["token_calls"], st.Latency["token"].Count, st.Json);
                Assert.AreEqual(b1["refresh_calls"] - b0["refresh_calls"], st.Latency["token_refresh"].Count, st.Json);
                Assert.AreEqual(2, b1["refresh_replayed"] - b0["refresh_replayed"], "the sandbox saw two replays");
                foreach (var secret in Support.Secrets) Assert.IsFalse(st.Json.Contains(secret), "a secret in the stats");
            }
        }

        [Test]
        public void B2binpaySuspiciousRefreshReachesStderrWhenNobodyListens()
        {
            if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("MONO_TRACE_LISTENER")))
                Assert.Ignore("MONO_TRACE_LISTENER is set: the DefaultTraceListener writes somewhere");
            var listeners = B2cLibrary.Trace.Listeners;
            var saved = new List<TraceListener>(listeners.Cast<TraceListener>());
            var level = B2cLibrary.Trace.Switch.Level;
            var savedErr = Console.Error;
            var captured = new StringWriter();
            try
            {
                listeners.Clear();
                listeners.Add(new DefaultTraceListener());
                B2cLibrary.SetLogLevel(SourceLevels.Warning);
                Console.SetError(captured);
                using (var b = NewB2binpay())
                {
                    b.Login();
                    sb.Control("b2binpay/consume-refresh");
                    b.Refresh();
                }
            }
            finally
            {
                Console.SetError(savedErr);
                listeners.Clear();
                foreach (var l in saved) listeners.Add(l);
                B2cLibrary.SetLogLevel(level);
            }
            var text = captured.ToString();
            if (Support.Scan != null) Support.Scan.Text(text);
            StringAssert.StartsWith("b2c: warn b2binpay suspicious_refresh: SUSPICIOUS", text, "the binding's stderr line");
            Assert.AreEqual(1, text.Split(new[] { '\n' }, StringSplitOptions.RemoveEmptyEntries).Length, "one line: " + text);
            foreach (var secret in Support.Secrets) Assert.IsFalse(text.Contains(secret), "a secret on stderr");
        }
    }
}

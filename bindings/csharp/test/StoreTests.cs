// Many processes, one credential (the store spec, issue 8): shared handles (Client.Shared,
// B2binpay.Shared, B2cLibrary.ClearShared), the file store (the token_store configuration key)
// and host stores (ITokenStore), against a sandbox of their own (expire-access changes the whole
// sandbox). Counters are deltas of /_sandbox/stats.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using B2c;
using NUnit.Framework;

namespace B2c.Tests
{
    /// <summary>An in-memory ITokenStore: values per key, a lock per key with a lease (an expired
    /// lease is free). Counts every call.</summary>
    sealed class MemoryStore : ITokenStore
    {
        readonly object gate = new object();
        readonly Dictionary<string, byte[]> values = new Dictionary<string, byte[]>();
        readonly Dictionary<string, DateTime> lockedUntil = new Dictionary<string, DateTime>();
        public readonly HashSet<string> Keys = new HashSet<string>();
        public int Loads, Saves, Locks, Unlocks, MaxHeld;
        int held;

        public byte[] Value(string key)
        {
            lock (gate) { byte[] v; return values.TryGetValue(key, out v) ? v : null; }
        }

        public byte[] Load(string key)
        {
            lock (gate)
            {
                Loads++;
                Keys.Add(key);
                byte[] v;
                return values.TryGetValue(key, out v) ? (byte[])v.Clone() : null;
            }
        }

        public void Save(string key, byte[] value)
        {
            lock (gate)
            {
                Saves++;
                Keys.Add(key);
                values[key] = (byte[])value.Clone();
            }
        }

        public bool Lock(string key, int timeoutMs, int leaseMs)
        {
            lock (gate)
            {
                Locks++;
                Keys.Add(key);
                var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
                while (true)
                {
                    var now = DateTime.UtcNow;
                    DateTime until;
                    if (!lockedUntil.TryGetValue(key, out until) || until <= now) break;
                    if (deadline <= now) return false;
                    var wait = (until < deadline ? until : deadline) - now;
                    Monitor.Wait(gate, wait.TotalMilliseconds < 1 ? TimeSpan.FromMilliseconds(1) : wait);
                }
                lockedUntil[key] = DateTime.UtcNow.AddMilliseconds(Math.Max(1, leaseMs));
                held++;
                MaxHeld = Math.Max(MaxHeld, held);
                return true;
            }
        }

        public void Unlock(string key)
        {
            lock (gate)
            {
                Unlocks++;
                if (lockedUntil.Remove(key)) held--;
                Monitor.PulseAll(gate);
            }
        }
    }

    /// <summary>Throws from the methods named in Throwing (the rest go to an inner MemoryStore).</summary>
    sealed class ThrowingStore : ITokenStore
    {
        public readonly MemoryStore Inner = new MemoryStore();
        public readonly HashSet<string> Throwing;
        public int Calls;

        public ThrowingStore(params string[] throwing) { Throwing = new HashSet<string>(throwing); }

        void Maybe(string method)
        {
            int n = Interlocked.Increment(ref Calls);
            if (!Throwing.Contains(method)) return;
            if (n % 2 == 0) throw new InvalidOperationException(method + " boom");
            throw new IOException(method + " io");
        }

        public byte[] Load(string key) { Maybe("Load"); return Inner.Load(key); }
        public void Save(string key, byte[] value) { Maybe("Save"); Inner.Save(key, value); }
        public bool Lock(string key, int timeoutMs, int leaseMs) { Maybe("Lock"); return Inner.Lock(key, timeoutMs, leaseMs); }
        public void Unlock(string key) { Maybe("Unlock"); Inner.Unlock(key); }
    }

    [TestFixture]
    public class StoreTests
    {
        string dir, pem;
        Sandbox sb;
        int ids;

        [TestFixtureSetUp]
        public void StartSandbox()
        {
            sb = Support.StartSandbox("store", out dir, out pem);
        }

        [TestFixtureTearDown]
        public void StopSandbox()
        {
            Support.StopSandbox(sb, dir);
        }

        [TearDown]
        public void ClearShared() { B2cLibrary.ClearShared(); }

        void Fee(Client c)
        {
            var r = c.FeeProcess("123456", "cs-store-" + Interlocked.Increment(ref ids));
            Assert.IsTrue(r.Status == FeeStatus.Pending || r.Status == FeeStatus.Success, "fee: " + r.Status);
        }

        Dictionary<string, long> Counters(string emulator, params string[] names)
        {
            var d = new Dictionary<string, long>();
            foreach (var n in names) d[n] = sb.Stat(emulator, n);
            return d;
        }

        long Delta(Dictionary<string, long> before, string emulator, string counter)
        {
            return sb.Stat(emulator, counter) - before[counter];
        }

        /// <summary>A configuration of its own (the deadline makes it distinct from any other test's).</summary>
        Dictionary<string, object> Cfg(int deadlineMs)
        {
            var c = Support.Cfg(sb.Url, pem);
            c["call_deadline_ms"] = deadlineMs;
            return c;
        }

        static Dictionary<string, object> Reversed(Dictionary<string, object> m)
        {
            var r = new Dictionary<string, object>();
            foreach (var k in m.Keys.Reverse()) r[k] = m[k];
            return r;
        }

        Dictionary<string, object> B2binpayCfg()
        {
            return new Dictionary<string, object> {
                { "base_url", sb.Url + "/b2binpay" }, { "login", "sandbox-login" }, { "password", "sandbox-password" } };
        }

        static Dictionary<string, object> FileStore(string path)
        {
            return new Dictionary<string, object> { { "type", "file" }, { "path", path } };
        }

        static void Collect()
        {
            for (int i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }

        static string Mode(string path)
        {
            var psi = new ProcessStartInfo("stat", "-c %a \"" + path + "\"") { UseShellExecute = false, RedirectStandardOutput = true };
            using (var p = Process.Start(psi))
            {
                string o = p.StandardOutput.ReadToEnd().Trim();
                p.WaitForExit();
                return o;
            }
        }

        [DllImport("libc.so.6", SetLastError = true)]
        static extern int chmod(byte[] path, uint mode);

        static void Chmod(string path, uint mode)
        {
            Assert.AreEqual(0, chmod(Encoding.UTF8.GetBytes(path + "\0"), mode), "chmod " + path);
        }

        // ---- shared handles

        /// <summary>Two Shared objects with the same configuration (keys in another order, one from
        /// a dictionary, one from JSON text) are one native client: after a fee call on the first
        /// and disposing it, a fee call on the second makes no new authexternalcrm and its stats
        /// count both calls. ClearShared drops the idle client once; a new one authenticates anew.</summary>
        [Test]
        public void SharedClientsAreOneNativeClient()
        {
            var cfg = Cfg(7201);
            var b0 = Counters("b2copy", "auth_ok");
            var a = Client.Shared(cfg);
            Fee(a);
            a.Dispose();
            using (var b = Client.Shared(Json.Encode(Reversed(cfg))))
            {
                Fee(b);
                Assert.AreEqual(1, Delta(b0, "b2copy", "auth_ok"), "one authexternalcrm for both handles");
                var s = b.Stats();
                Assert.AreEqual(2, s.Latency["processext"].Count, "one client behind both handles: " + s);
                Assert.AreEqual(1, s.AuthExchanges, "its one exchange: " + s);
                Assert.AreEqual(0, B2cLibrary.ClearShared(), "a held shared client is not dropped");
                Fee(b);
            }
            Assert.GreaterOrEqual(B2cLibrary.ClearShared(), 1, "the idle shared client is dropped");
            Assert.AreEqual(0, B2cLibrary.ClearShared(), "and only once");

            var b2 = Counters("b2copy", "auth_ok");
            using (var c = Client.Shared(cfg))
            {
                Fee(c);
                Assert.AreEqual(1, Delta(b2, "b2copy", "auth_ok"), "after ClearShared: a new native client");
                Assert.AreEqual(1, c.Stats().Latency["processext"].Count, "fresh stats");
            }
        }

        /// <summary>Two handles held at once; new Client(cfg) is a client of its own; a bad
        /// configuration through Shared throws as the constructor does.</summary>
        [Test]
        public void SharedHandlesHeldTogetherAndOwnClientsApart()
        {
            var cfg = Cfg(7202);
            var b0 = Counters("b2copy", "auth_ok");
            using (var a = Client.Shared(cfg))
            using (var b = Client.Shared(Reversed(cfg)))
            using (var own = new Client(cfg))
            {
                Fee(a);
                Fee(b);
                Assert.AreEqual(1, Delta(b0, "b2copy", "auth_ok"), "a and b: one exchange");
                Fee(own);
                Assert.AreEqual(2, Delta(b0, "b2copy", "auth_ok"), "new Client(cfg) is not shared");
                Assert.AreEqual(2, a.Stats().Latency["processext"].Count, "a sees b's call");
                Assert.AreEqual(1, own.Stats().Latency["processext"].Count, "own sees its own only");
                a.Dispose();
                Fee(b);
                Assert.AreEqual(3, b.Stats().Latency["processext"].Count, "b goes on after a was disposed");
                Assert.Throws<ObjectDisposedException>(() => Fee(a));
                Assert.Throws<ObjectDisposedException>(() => a.SetTokenStore(new MemoryStore()));
                Assert.Throws<ObjectDisposedException>(() => a.SetTokenStore(null));
            }
            Support.Expect<InvalidArgumentException>(Status.Config, "shared with a bad configuration",
                () => Client.Shared("{\"base_url\": 1}").Dispose());
            Support.Expect<InvalidArgumentException>(Status.Config, "shared with broken JSON",
                () => Client.Shared("{\"base_url\":").Dispose());
            Assert.Throws<ArgumentNullException>(() => Client.Shared((string)null));
        }

        /// <summary>A trace source set through one shared handle applies to the other, and outlives
        /// the handle (and the managed objects) that set it.</summary>
        [Test]
        public void ATraceSourceSetThroughOneSharedHandleOutlivesIt()
        {
            var cfg = Cfg(7203);
            var col = new Collector();
            var source = Support.NewSource("b2c-test-shared", col);
            SetThroughADisposedHandle(cfg, source);
            Assert.AreEqual(1, col.Named("auth").Count, "a's auth through its source:" + col.Dump());
            Collect();
            using (var b = Client.Shared(cfg))
            {
                col.Clear();
                sb.Control("b2copy/expire-access");
                Collect();
                Fee(b);
                Assert.AreEqual(1, col.Named("unauthorized").Count, "b's 401 reaches the source set through a:" + col.Dump());
                Assert.AreEqual(1, col.Named("refresh", "401").Count, "b's refresh too:" + col.Dump());
                b.SetTraceSource(null);
                col.Clear();
                Fee(b);
                Assert.AreEqual(0, col.Records.Count, "removed through b:" + col.Dump());
            }
        }

        void SetThroughADisposedHandle(Dictionary<string, object> cfg, TraceSource source)
        {
            var a = Client.Shared(cfg);
            a.SetTraceSource(source, SourceLevels.Information);
            Fee(a);
            a.Dispose();
        }

        /// <summary>B2binpay.Shared: two handles, one login, one token.</summary>
        [Test]
        public void SharedB2binpay()
        {
            var cfg = B2binpayCfg();
            cfg["deadline_ms"] = 7204;
            var p0 = Counters("b2binpay", "token_ok");
            using (var h1 = B2binpay.Shared(cfg))
            using (var h2 = B2binpay.Shared(Reversed(cfg)))
            {
                var t1 = h1.AccessToken();
                var t2 = h2.AccessToken();
                Assert.AreEqual(1, Delta(p0, "b2binpay", "token_ok"), "one login for both handles");
                Assert.IsTrue(t1.Token == t2.Token, "one token pair (tokens not printed)");
                Assert.AreEqual(1, h2.Counters().Logins, "h2 counts h1's login");
            }
            using (var h3 = B2binpay.Shared(Json.Encode(cfg)))
            {
                h3.AccessToken();
                Assert.AreEqual(1, Delta(p0, "b2binpay", "token_ok"), "kept after both were disposed");
            }
            Assert.GreaterOrEqual(B2cLibrary.ClearShared(), 1, "dropped");
            using (var h4 = B2binpay.Shared(cfg))
            {
                h4.AccessToken();
                Assert.AreEqual(2, Delta(p0, "b2binpay", "token_ok"), "after ClearShared: a new login");
            }
        }

        // ---- the file store

        /// <summary>Two clients (two processes, as far as the store can tell) with one token_store
        /// dir: one exchange. The dir is created 0700 and the record holds no key; the same for two
        /// B2BINPAY handles.</summary>
        [Test]
        public void FileStoreTwoClientsOneExchange()
        {
            var tokens = Path.Combine(dir, "tokens-" + Guid.NewGuid().ToString("N"));
            var cfg = Cfg(7205);
            cfg["token_store"] = FileStore(tokens);
            var b0 = Counters("b2copy", "auth_ok");
            using (var a = new Client(cfg)) Fee(a);
            using (var b = new Client(Json.Encode(cfg)))
            {
                Fee(b);
                var s = b.Stats();
                Assert.AreEqual(0, s.AuthExchanges, "b authenticated nothing: " + s);
                Assert.IsTrue(s.StoreAdopted >= 1 && s.StoreLoads >= 1, "b adopted the stored pair: " + s);
            }
            Assert.AreEqual(1, Delta(b0, "b2copy", "auth_ok"), "one authexternalcrm for both clients");
            Assert.AreEqual("700", Mode(tokens), "the dir is created 0700");
            var records = Directory.GetFiles(tokens);
            Assert.IsNotEmpty(records, "a record in " + tokens);
            foreach (var r in records)
            {
                Assert.AreEqual("600", Mode(r), "record mode of " + r);
                Assert.IsFalse(File.ReadAllText(r).Contains("PRIVATE KEY"), "the record holds no key");
            }

            var bcfg = B2binpayCfg();
            bcfg["token_store"] = FileStore(Path.Combine(dir, "b2binpay-" + Guid.NewGuid().ToString("N")));
            var p0 = Counters("b2binpay", "token_ok");
            using (var h1 = new B2binpay(bcfg))
            using (var h2 = new B2binpay(bcfg))
            {
                var t1 = h1.AccessToken().Token;
                Assert.IsTrue(t1 == h2.AccessToken().Token, "h2 adopted h1's pair (tokens not printed)");
            }
            Assert.AreEqual(1, Delta(p0, "b2binpay", "token_ok"), "one B2BINPAY login");
        }

        /// <summary>An existing token_store dir with mode 0755 is refused at construction with the
        /// InvalidArgumentException family (Config); so is a relative path; 0700 is accepted.</summary>
        [Test]
        public void FileStoreDirWithMode0755IsRefused()
        {
            var open = Path.Combine(dir, "open-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(open);
            Chmod(open, Convert.ToUInt32("755", 8));
            var cfg = Cfg(7206);
            cfg["token_store"] = FileStore(open);
            Support.Expect<InvalidArgumentException>(Status.Config, "a 0755 store dir", () => new Client(cfg).Dispose());
            Support.Expect<InvalidArgumentException>(Status.Config, "a 0755 store dir (shared)", () => Client.Shared(cfg).Dispose());
            var bcfg = B2binpayCfg();
            bcfg["token_store"] = FileStore(open);
            Support.Expect<InvalidArgumentException>(Status.Config, "a 0755 store dir (B2BINPAY)", () => new B2binpay(bcfg).Dispose());
            cfg["token_store"] = FileStore("relative/dir");
            Support.Expect<InvalidArgumentException>(Status.Config, "a relative store dir", () => new Client(cfg).Dispose());
            Chmod(open, Convert.ToUInt32("700", 8));
            cfg["token_store"] = FileStore(open);
            new Client(cfg).Dispose(); // 0700: accepted
        }

        // ---- host stores

        /// <summary>An in-memory ITokenStore shared by two clients: one exchange; after
        /// expire-access both go on with ONE refresh (refresh_ok 1, refresh_rejected 0). Every lock
        /// is unlocked, keys have the documented shape, the value holds no key.</summary>
        [Test]
        public void HostStoreSharedByTwoClients()
        {
            var m = new MemoryStore();
            var cfg = Cfg(7207);
            using (var a = new Client(cfg))
            using (var b = new Client(cfg))
            {
                a.SetTokenStore(m);
                b.SetTokenStore(m);
                Collect(); // the callbacks must survive a collection
                var b0 = Counters("b2copy", "auth_ok", "refresh_ok", "refresh_rejected");
                Fee(a);
                Fee(b);
                Assert.AreEqual(1, Delta(b0, "b2copy", "auth_ok"), "one exchange for both");
                sb.Control("b2copy/expire-access");
                Collect();
                Fee(a);
                Fee(b);
                Assert.AreEqual(1, Delta(b0, "b2copy", "auth_ok"), "still one exchange");
                Assert.AreEqual(1, Delta(b0, "b2copy", "refresh_ok"), "ONE refresh for both");
                Assert.AreEqual(0, Delta(b0, "b2copy", "refresh_rejected"), "no refresh token sent twice");

                Assert.AreEqual(2, m.Saves, "two pairs saved (the exchange and the refresh)");
                Assert.AreEqual(m.Locks, m.Unlocks, "every lock released");
                Assert.GreaterOrEqual(m.Locks, 2, "renewals under the lock");
                Assert.AreEqual(1, m.MaxHeld, "one lock at a time");
                Assert.AreEqual(1, m.Keys.Count, "one record per credential: " + string.Join(",", m.Keys.ToArray()));
                var key = m.Keys.First();
                StringAssert.IsMatch("^b2copy-[0-9a-f]{40}$", key, "key shape");
                Assert.IsFalse(Encoding.UTF8.GetString(m.Value(key)).Contains("PRIVATE KEY"), "the record holds no key");

                var sa = a.Stats();
                var sbs = b.Stats();
                Assert.AreEqual(0, sbs.AuthExchanges, "b never authenticated: " + sbs);
                Assert.AreEqual(2, sbs.StoreAdopted, "b adopted twice: " + sbs);
                Assert.AreEqual(2, sa.StoreSaves + sbs.StoreSaves, "store_saves: " + sa + " " + sbs);
                Assert.AreEqual(0, sa.StoreErrors + sbs.StoreErrors, "no store error: " + sa + " " + sbs);

                // Detached: b keeps its own tokens and stops reading the store.
                b.SetTokenStore(null);
                int loads = m.Loads;
                sb.Control("b2copy/expire-access");
                Fee(b);
                Assert.AreEqual(loads, m.Loads, "a detached store is not read");
                Assert.AreEqual(2, Delta(b0, "b2copy", "refresh_ok"), "b refreshed on its own");
            }
        }

        /// <summary>Two B2BINPAY handles with one host store: one login, one token.</summary>
        [Test]
        public void HostStoreSharedByTwoB2binpayHandles()
        {
            var m = new MemoryStore();
            var p0 = Counters("b2binpay", "token_ok");
            using (var h1 = new B2binpay(B2binpayCfg()))
            using (var h2 = new B2binpay(B2binpayCfg()))
            {
                h1.SetTokenStore(m);
                h2.SetTokenStore(m);
                var t1 = h1.AccessToken().Token;
                Assert.IsTrue(t1 == h2.AccessToken().Token, "h2 adopted h1's pair (tokens not printed)");
                Assert.AreEqual(1, Delta(p0, "b2binpay", "token_ok"), "one login");
                Assert.AreEqual(m.Locks, m.Unlocks, "every lock released");
                var key = m.Keys.First();
                StringAssert.IsMatch("^b2binpay-[0-9a-f]{40}$", key, "key shape");
                Assert.IsFalse(Encoding.UTF8.GetString(m.Value(key)).Contains("sandbox-password"), "the record holds no password");
            }
        }

        /// <summary>A store whose Load throws is tolerated: the call succeeds, the failure is a
        /// Warning "store" event and counts in store_errors. Every method throwing too.</summary>
        [Test]
        public void AThrowingStoreIsTolerated()
        {
            var col = new Collector();
            var source = Support.NewSource("b2c-test-throwing-store", col);
            var loadThrows = new ThrowingStore("Load");
            using (var c = new Client(Cfg(7208)))
            {
                c.SetTraceSource(source, SourceLevels.Information);
                c.SetTokenStore(loadThrows);
                Fee(c);
                Fee(c);
                Assert.GreaterOrEqual(loadThrows.Calls, 1, "the store was called");
                var s = c.Stats();
                Assert.GreaterOrEqual(s.StoreErrors, 1, "store_errors counts it: " + s);
                var store = col.Named("store");
                Assert.IsNotEmpty(store, "a store event:" + col.Dump());
                foreach (var r in store) Assert.AreEqual(TraceEventType.Warning, r.Type, "store events are warnings: " + r);
            }

            var all = new ThrowingStore("Load", "Save", "Lock", "Unlock");
            using (var c = new Client(Cfg(7208)))
            {
                c.SetTokenStore(all);
                Fee(c);
                sb.Control("b2copy/expire-access");
                Fee(c);
                Assert.GreaterOrEqual(c.Stats().StoreErrors, 2, "errors counted: " + c.Stats());
            }
            using (var h = new B2binpay(B2binpayCfg()))
            {
                h.SetTokenStore(all);
                Assert.IsNotNull(h.AccessToken().Token, "B2BINPAY goes on without the store");
            }
        }

        sealed class HugeStore : ITokenStore
        {
            public byte[] Load(string key) { return new byte[70000]; }
            public void Save(string key, byte[] value) { }
            public bool Lock(string key, int timeoutMs, int leaseMs) { return true; }
            public void Unlock(string key) { }
        }

        /// <summary>Load answering more than the library's 65536-byte buffer: the record is ignored
        /// (the client authenticates itself), nothing is overrun.</summary>
        [Test]
        public void AnOversizedValueIsIgnored()
        {
            using (var c = new Client(Cfg(7209)))
            {
                c.SetTokenStore(new HugeStore());
                Fee(c);
                var s = c.Stats();
                Assert.AreEqual(1, s.AuthExchanges, "authenticated itself: " + s);
                Assert.AreEqual(0, s.StoreAdopted, "adopted nothing: " + s);
            }
        }

        /// <summary>The binding keeps a store referenced while installed and releases it once the
        /// native object is freed: at Dispose for an own handle, at ClearShared for a shared one.</summary>
        [Test]
        public void StoresAreReleasedWithTheirNativeObject()
        {
            int before = TokenStores.Registered;
            var own = AttachAndForget(new Client(Cfg(7210)), true);
            Assert.AreEqual(before, TokenStores.Registered, "no store left registered");
            Collect();
            Assert.IsFalse(own.IsAlive, "released with the native client");

            var cfg = Cfg(7211);
            var shared = AttachAndForget(Client.Shared(cfg), true);
            Collect();
            Assert.IsTrue(shared.IsAlive, "a shared client keeps its store after its handles are disposed");
            int saves = -1;
            OnThread(() =>
            {
                using (var b = Client.Shared(cfg))
                {
                    Fee(b);
                    saves = ((MemoryStore)shared.Target).Saves;
                }
            });
            Assert.AreEqual(1, saves, "b uses the store set through a");
            Assert.GreaterOrEqual(B2cLibrary.ClearShared(), 1, "dropped");
            Assert.AreEqual(before, TokenStores.Registered, "no store left registered");
            Collect();
            Assert.IsFalse(shared.IsAlive, "released by ClearShared");
        }

        /// <summary>Attaches a fresh store to c and disposes c, on a thread of its own (Mono scans
        /// stacks conservatively: a stale reference on this thread's stack would keep the store).</summary>
        static WeakReference AttachAndForget(Client c, bool dispose)
        {
            WeakReference w = null;
            OnThread(() =>
            {
                var m = new MemoryStore();
                c.SetTokenStore(m);
                Collect();
                if (dispose) c.Dispose();
                w = new WeakReference(m);
            });
            return w;
        }

        static void OnThread(Action body)
        {
            Exception failed = null;
            var t = new Thread(() =>
            {
                try { body(); }
                catch (Exception e) { failed = e; }
            });
            t.Start();
            t.Join();
            if (failed != null) throw new Exception("on a thread of its own: " + failed.Message, failed);
        }

        /// <summary>The raw struct: six pointer-sized fields, struct_size set.</summary>
        [Test]
        public void TokenStoreStructLayout()
        {
            Assert.AreEqual(6 * IntPtr.Size, Marshal.SizeOf(typeof(NativeMethods.TokenStoreStruct)), "sizeof(b2c_token_store)");
            var slot = TokenStores.Register(new MemoryStore());
            try
            {
                Assert.AreEqual((ulong)(6 * IntPtr.Size), slot.Struct.struct_size.ToUInt64(), "struct_size");
                Assert.AreNotEqual(IntPtr.Zero, slot.Struct.load);
                Assert.AreNotEqual(IntPtr.Zero, slot.Struct.unlock);
                Assert.AreEqual(slot.Id, slot.Struct.userdata.ToInt64(), "userdata is the slot id");
            }
            finally { TokenStores.Release(slot); }
        }
    }

    /// <summary>Every function of the header is bound in NativeMethods, and the b2c_store_result
    /// values TokenStores answers are the header's. The header is the one the library under test
    /// was built from: $B2C_REL/b2c.h when that exists (a snapshot directory carries it), else
    /// B2C_HEADER (default &lt;root&gt;/include/b2c.h).</summary>
    [TestFixture]
    public class ExportsTests
    {
        static string HeaderPath()
        {
            var rel = Environment.GetEnvironmentVariable("B2C_REL");
            if (!string.IsNullOrEmpty(rel) && File.Exists(Path.Combine(rel, "b2c.h"))) return Path.Combine(rel, "b2c.h");
            return Support.Header();
        }

        static string Header()
        {
            var text = File.ReadAllText(HeaderPath());
            text = Regex.Replace(text, @"/\*.*?\*/", " ", RegexOptions.Singleline);
            return Regex.Replace(text, @"//[^\n]*", " ");
        }

        [Test]
        public void EveryHeaderFunctionIsBound()
        {
            var functions = new SortedSet<string>();
            foreach (Match m in Regex.Matches(Header(), @"^[A-Za-z_][\w \t*]*?\b(b2c_[a-z0-9_]+)\s*\(", RegexOptions.Multiline))
                functions.Add(m.Groups[1].Value);
            Assert.GreaterOrEqual(functions.Count, 45, "parsed only " + functions.Count + " functions");
            Assert.IsTrue(functions.Contains("b2c_client_shared") && functions.Contains("b2c_shared_clear")
                && functions.Contains("b2c_b2binpay_set_token_store") && functions.Contains("b2c_crm_call_with")
                && functions.Contains("b2c_retailcrm_register_account"), "the parser sees the newest ones");
            var bound = new HashSet<string>();
            foreach (var f in typeof(NativeMethods).GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic))
                if (typeof(Delegate).IsAssignableFrom(f.FieldType)) bound.Add(f.Name);
            var missing = functions.Where(f => !bound.Contains(f)).ToList();
            Assert.AreEqual(0, missing.Count, "functions of " + HeaderPath() + " NativeMethods does not bind: " + string.Join(", ", missing.ToArray()));
        }

        /// <summary>NativeMethods.CallOptions has the fields of the header's b2c_call_options, in
        /// order (by offset), with the matching types (size_t: UIntPtr, int32_t: int).</summary>
        [Test]
        public void CallOptionsStructIsTheHeaders()
        {
            var block = Regex.Match(Header(), @"typedef\s+struct\s*\{(?<body>[^{}]*)\}\s*b2c_call_options\s*;", RegexOptions.Singleline);
            Assert.IsTrue(block.Success, "no b2c_call_options in the header");
            var want = new List<string>();
            foreach (Match m in Regex.Matches(block.Groups["body"].Value, @"([a-z0-9_]+)\s+([a-z_][a-z0-9_]*)\s*;"))
                want.Add(m.Groups[2].Value + ":" + m.Groups[1].Value);
            Assert.GreaterOrEqual(want.Count, 3, "parsed " + string.Join(", ", want.ToArray()));
            var t = typeof(NativeMethods.CallOptions);
            var fields = t.GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic
                | System.Reflection.BindingFlags.Public).OrderBy(f => Marshal.OffsetOf(t, f.Name).ToInt64()).ToList();
            var got = fields.Select(f => f.Name + ":" + (f.FieldType == typeof(UIntPtr) ? "size_t"
                : f.FieldType == typeof(int) ? "int32_t" : f.FieldType.Name)).ToList();
            CollectionAssert.AreEqual(want, got, "b2c_call_options: " + string.Join(", ", got.ToArray()));
        }

        [Test]
        public void StoreResultValuesAreTheHeaders()
        {
            var block = Regex.Match(Header(), @"typedef\s+enum\s*\{(?<body>.*?)\}\s*b2c_store_result\s*;", RegexOptions.Singleline);
            Assert.IsTrue(block.Success, "no b2c_store_result in the header");
            var want = new SortedDictionary<string, int>();
            foreach (Match m in Regex.Matches(block.Groups["body"].Value, @"B2C_STORE_([A-Z_]+)\s*=\s*(-?\d+)"))
                want[m.Groups[1].Value] = int.Parse(m.Groups[2].Value);
            var got = new SortedDictionary<string, int> {
                { "OK", TokenStores.Ok }, { "NOT_FOUND", TokenStores.NotFound }, { "BUFFER_TOO_SMALL", TokenStores.BufferTooSmall },
                { "LOCK_TIMEOUT", TokenStores.LockTimeout }, { "ERROR", TokenStores.Error } };
            CollectionAssert.AreEqual(want, got, "b2c_store_result");
        }

        [Test]
        public void JsonEncodesNestedDictionaries()
        {
            var m = new Dictionary<string, object> {
                { "a", 1 }, { "token_store", new Dictionary<string, object> { { "type", "file" }, { "path", "/x \"y\"" } } },
                { "e", new Dictionary<string, string>() } };
            Assert.AreEqual("{\"a\":1,\"token_store\":{\"type\":\"file\",\"path\":\"/x \\\"y\\\"\"},\"e\":{}}", Json.Encode(m));
            Support.Expect<ArgumentException>(null, "a non-string key",
                () => Json.Encode(new Dictionary<string, object> { { "x", new Dictionary<int, int> { { 1, 2 } } } }));
            Support.Expect<ArgumentException>(null, "a list inside",
                () => Json.Encode(new Dictionary<string, object> { { "x", new Dictionary<string, object> { { "y", new List<int>() } } } }));
            var cyclic = new Dictionary<string, object>();
            cyclic["self"] = cyclic;
            Support.Expect<ArgumentException>(null, "a cycle", () => Json.Encode(cyclic));
        }

        [Test]
        public void SharedIdentityIgnoresKeyOrderAndSpacing()
        {
            Assert.AreEqual(SharedHandles.Identity("client", "{\"a\":1,\"b\":{\"y\":[1,2],\"x\":\"s\"}}"),
                SharedHandles.Identity("client", " { \"b\" : { \"x\" : \"s\", \"y\" : [ 1 , 2 ] } , \"a\" : 1 } "));
            Assert.AreNotEqual(SharedHandles.Identity("client", "{\"a\":1}"), SharedHandles.Identity("client", "{\"a\":2}"));
            Assert.AreNotEqual(SharedHandles.Identity("client", "{\"a\":1}"), SharedHandles.Identity("b2binpay", "{\"a\":1}"));
            StringAssert.IsMatch("^client:[0-9a-f]{64}$", SharedHandles.Identity("client", "not json"));
            Assert.IsFalse(SharedHandles.Identity("client", "{\"password\":\"sandbox-password\"}").Contains("sandbox"),
                "the identity holds no secret");
        }
    }
}

// TraceSource.TraceEvent is [Conditional("TRACE")]: without this the compiler drops the calls.
#define TRACE
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Threading;

namespace B2c
{
    /// <summary>
    /// A token store the host provides (Redis, the CRM's database, ...), shared by every process
    /// and handle that uses the same credential: attach it with <see cref="Client.SetTokenStore"/>
    /// or <see cref="B2binpay.SetTokenStore"/>. The library keeps one record per credential under
    /// key (<c>b2copy-&lt;40 hex&gt;</c> or <c>b2binpay-&lt;40 hex&gt;</c>, derived from the base
    /// URL and the account, never from a secret): a handle without tokens adopts a good stored
    /// pair, and every renewal happens under <see cref="Lock"/> after re-reading the record, the
    /// new pair saved before <see cref="Unlock"/>.
    /// <para><b>The values are secrets</b> (they hold the tokens): keep them where only the CRM
    /// can read them, and never log them.</para>
    /// <para>The methods run on the thread that made the library call, possibly on several
    /// threads at once: an implementation must be thread-safe, and must not call the handle that
    /// is using it. An exception a method throws is a store failure: the library logs it (event
    /// <c>store</c>, Warning), counts it in <see cref="Stats.StoreErrors"/> and goes on without
    /// the store for that step; the exception never reaches the library or the caller.</para>
    /// </summary>
    public interface ITokenStore
    {
        /// <summary>The bytes saved under key, or null when nothing is saved there. The library
        /// takes at most 65536 bytes (its records are far smaller): a longer value is ignored as
        /// unreadable, and replaced at the next renewal.</summary>
        byte[] Load(string key);

        /// <summary>Stores value under key, replacing any previous value atomically (a reader sees
        /// the old or the new value). The bytes are JSON text today; treat them as opaque.</summary>
        void Save(string key, byte[] value);

        /// <summary>Takes the lock on key shared by every process using the store, waiting at
        /// most timeoutMs. The library releases it with <see cref="Unlock"/> within leaseMs: use
        /// that as the lock's expiry (e.g. Redis <c>SET key owner NX PX leaseMs</c>) so that a
        /// holder that died does not block the others. True when acquired, false when another
        /// owner held it for the whole timeout. (The library's values are unsigned 32-bit; above
        /// int.MaxValue they arrive as int.MaxValue.)</summary>
        bool Lock(string key, int timeoutMs, int leaseMs);

        /// <summary>Releases the lock this process took on key (only its owner may).</summary>
        void Unlock(string key);
    }

    /// <summary>
    /// The bridge from b2c_token_store to <see cref="ITokenStore"/>. The four delegates are
    /// static (one set for the process, never collected), so the function pointers the library
    /// holds can never dangle. Each attached store is a <see cref="Slot"/> whose id is the
    /// userdata; the callbacks look it up by id. Releasing a slot only removes it from the table:
    /// a late call for it answers B2C_STORE_ERROR and touches nothing freed.
    /// </summary>
    internal static class TokenStores
    {
        internal const int Ok = 0, NotFound = 1, BufferTooSmall = 2, LockTimeout = 3, Error = -1;

        internal sealed class Slot
        {
            internal readonly long Id;
            internal readonly ITokenStore Store;
            /// <summary>The struct handed to the library (kept, although the library copies it).</summary>
            internal readonly NativeMethods.TokenStoreStruct Struct;

            internal Slot(long id, ITokenStore store)
            {
                Id = id;
                Store = store;
                Struct = new NativeMethods.TokenStoreStruct
                {
                    struct_size = (UIntPtr)Marshal.SizeOf(typeof(NativeMethods.TokenStoreStruct)),
                    userdata = new IntPtr(id),
                    load = LoadFn,
                    save = SaveFn,
                    lock_ = LockFn,
                    unlock = UnlockFn,
                };
            }
        }

        static readonly NativeMethods.StoreLoad LoadCb;
        static readonly NativeMethods.StoreSave SaveCb;
        static readonly NativeMethods.StoreLock LockCb;
        static readonly NativeMethods.StoreUnlock UnlockCb;
        static readonly IntPtr LoadFn, SaveFn, LockFn, UnlockFn;

        static readonly ConcurrentDictionary<long, Slot> Slots = new ConcurrentDictionary<long, Slot>();
        static long next;

        static TokenStores()
        {
            LoadCb = OnLoad;
            SaveCb = OnSave;
            LockCb = OnLock;
            UnlockCb = OnUnlock;
            LoadFn = Marshal.GetFunctionPointerForDelegate(LoadCb);
            SaveFn = Marshal.GetFunctionPointerForDelegate(SaveCb);
            LockFn = Marshal.GetFunctionPointerForDelegate(LockCb);
            UnlockFn = Marshal.GetFunctionPointerForDelegate(UnlockCb);
        }

        internal static Slot Register(ITokenStore store)
        {
            var s = new Slot(Interlocked.Increment(ref next), store);
            Slots[s.Id] = s;
            return s;
        }

        internal static void Release(Slot s)
        {
            Slot removed;
            Slots.TryRemove(s.Id, out removed);
        }

        /// <summary>How many stores are registered (tests).</summary>
        internal static int Registered { get { return Slots.Count; } }

        static ITokenStore Find(IntPtr userdata)
        {
            Slot s;
            return Slots.TryGetValue(userdata.ToInt64(), out s) ? s.Store : null;
        }

        /// <summary>A store method threw: one Verbose TraceEvent on <see cref="B2cLibrary.Trace"/>
        /// ("store store_callback: ITokenStore.Load(key) threw Type"; the exception's message is
        /// left out, it could hold anything the store put there). The library logs the failure
        /// itself as a Warning store event. Never throws.</summary>
        static void Thrown(string method, string key, Exception e)
        {
            try
            {
                var t = B2cLibrary.Trace;
                if (t.Switch.ShouldTrace(TraceEventType.Verbose))
                    t.TraceEvent(TraceEventType.Verbose, 0, "store store_callback: ITokenStore." + method + "(" + key
                        + ") threw " + e.GetType().FullName);
            }
            catch
            {
            }
        }

        static int OnLoad(IntPtr userdata, IntPtr key, IntPtr buf, UIntPtr bufLen, IntPtr outLen)
        {
            string k = null;
            try
            {
                var st = Find(userdata);
                if (st == null || outLen == IntPtr.Zero) return Error;
                k = Utf8.Read(key) ?? "";
                byte[] v = st.Load(k);
                if (v == null) return NotFound;
                Marshal.WriteIntPtr(outLen, new IntPtr(v.Length));
                if ((ulong)v.Length > bufLen.ToUInt64()) return BufferTooSmall;
                if (v.Length > 0) Marshal.Copy(v, 0, buf, v.Length);
                return Ok;
            }
            catch (Exception e)
            {
                Thrown("Load", k, e);
                return Error;
            }
        }

        static int OnSave(IntPtr userdata, IntPtr key, IntPtr value, UIntPtr valueLen)
        {
            string k = null;
            try
            {
                var st = Find(userdata);
                if (st == null) return Error;
                k = Utf8.Read(key) ?? "";
                ulong n = valueLen.ToUInt64();
                if (n > int.MaxValue || (n > 0 && value == IntPtr.Zero)) return Error;
                var v = new byte[n];
                if (n > 0) Marshal.Copy(value, v, 0, (int)n);
                st.Save(k, v);
                return Ok;
            }
            catch (Exception e)
            {
                Thrown("Save", k, e);
                return Error;
            }
        }

        static int OnLock(IntPtr userdata, IntPtr key, uint timeoutMs, uint leaseMs)
        {
            string k = null;
            try
            {
                var st = Find(userdata);
                if (st == null) return Error;
                k = Utf8.Read(key) ?? "";
                return st.Lock(k, Clamp(timeoutMs), Clamp(leaseMs)) ? Ok : LockTimeout;
            }
            catch (Exception e)
            {
                Thrown("Lock", k, e);
                return Error;
            }
        }

        static void OnUnlock(IntPtr userdata, IntPtr key)
        {
            string k = null;
            try
            {
                var st = Find(userdata);
                if (st == null) return;
                k = Utf8.Read(key) ?? "";
                st.Unlock(k);
            }
            catch (Exception e)
            {
                Thrown("Unlock", k, e);
            }
        }

        static int Clamp(uint v) { return v > int.MaxValue ? int.MaxValue : (int)v; }
    }

    /// <summary>
    /// What the binding keeps for one native object (a client or a B2BINPAY handle): its log
    /// route and the token stores attached to it. A handle from <c>new Client(...)</c> has its own;
    /// every handle of one shared native object has the same one (held by
    /// <see cref="SharedHandles"/>), because a log route or store set through one handle applies to
    /// all of them. A store, once attached, stays registered until the native object is freed (for
    /// a shared one: until <see cref="B2cLibrary.ClearShared"/> drops it), even after it was
    /// replaced or detached: a call that began before may still use it, and its unlock must reach
    /// the store that took the lock.
    /// </summary>
    internal sealed class HandleState
    {
        /// <summary>The native object's log route (<see cref="Logging.SetHandleSource"/>).</summary>
        internal LogRoute LogRoute;
        internal readonly object LogGate = new object();

        readonly List<TokenStores.Slot> slots = new List<TokenStores.Slot>();
        bool freed;

        /// <summary>The native b2c_*_set_token_store of one handle (store: a b2c_token_store* or
        /// IntPtr.Zero).</summary>
        internal delegate int StoreSetter(IntPtr store, ref IntPtr err);

        internal void SetTokenStore(ITokenStore store, StoreSetter set)
        {
            lock (slots)
            {
                IntPtr err = IntPtr.Zero;
                if (store == null)
                {
                    Errors.Check(set(IntPtr.Zero, ref err), ref err);
                    return;
                }
                var slot = TokenStores.Register(store);
                IntPtr p = Marshal.AllocHGlobal(Marshal.SizeOf(typeof(NativeMethods.TokenStoreStruct)));
                try
                {
                    Marshal.StructureToPtr(slot.Struct, p, false);
                    int rc = set(p, ref err);
                    if (rc != 0)
                    {
                        TokenStores.Release(slot);
                        Errors.Check(rc, ref err);
                    }
                    // A Dispose on another thread may have freed the handle as this call returned.
                    if (freed) TokenStores.Release(slot);
                    else slots.Add(slot);
                }
                finally
                {
                    Marshal.FreeHGlobal(p);
                }
            }
        }

        /// <summary>The native object is gone (final: an own handle, never used again).</summary>
        internal void ReleaseStores(bool final)
        {
            lock (slots)
            {
                foreach (var s in slots) TokenStores.Release(s);
                slots.Clear();
                if (final) freed = true;
            }
        }

        /// <summary>A shared native object without handles was dropped by b2c_shared_clear.</summary>
        internal void Dropped()
        {
            ReleaseStores(false);
            var r = LogRoute;
            if (r != null) r.Source = null;
        }

        /// <summary>Runs and clears a handle's AfterFree (from ReleaseHandle: never throws).</summary>
        internal static void RunAfterFree(ref Action afterFree)
        {
            var a = Interlocked.Exchange(ref afterFree, null);
            if (a == null) return;
            try { a(); }
            catch { }
        }
    }

    /// <summary>
    /// The binding's side of the library's registry of shared handles (b2c_client_shared,
    /// b2c_b2binpay_shared, b2c_shared_clear): one <see cref="HandleState"/> per shared native
    /// object, keyed by the handle kind and a SHA-256 of the configuration in canonical form (keys
    /// sorted, so any key order names the same object, as in the library; the configuration, which
    /// holds the private key or the password, is not kept), with the count of live handles that
    /// tells <see cref="Clear"/> which objects the library may have dropped. An entry's log route
    /// is never released (the library may call it for as long as the shared object lives); its
    /// stores are, by Clear when no handle of the object is left.
    /// </summary>
    internal static class SharedHandles
    {
        internal static readonly object Gate = new object();
        static readonly Dictionary<string, Entry> Entries = new Dictionary<string, Entry>(StringComparer.Ordinal);

        internal sealed class Entry
        {
            internal readonly HandleState State = new HandleState();
            /// <summary>Live handles: incremented with Gate held, decremented by ReleaseHandle
            /// (after the native free) without it, so a finalizer never waits for Gate.</summary>
            internal int Handles;

            internal void Released() { Interlocked.Decrement(ref Handles); }
        }

        /// <summary>The entry of id with one more handle (call with Gate held, after the native
        /// handle was created).</summary>
        internal static Entry Acquire(string id)
        {
            Entry e;
            if (!Entries.TryGetValue(id, out e)) Entries[id] = e = new Entry();
            Interlocked.Increment(ref e.Handles);
            return e;
        }

        internal static long Clear()
        {
            var lib = NativeMethods.Lib;
            lock (Gate)
            {
                // The entries without handles BEFORE the native clear: their handles were all
                // freed (the count drops after the free), so the library drops their objects now.
                // One whose last handle goes during the clear keeps its stores until next time.
                var idle = new List<Entry>();
                foreach (var e in Entries.Values)
                    if (Volatile.Read(ref e.Handles) <= 0) idle.Add(e);
                long n = (long)lib.b2c_shared_clear().ToUInt64();
                foreach (var e in idle) e.State.Dropped();
                return n;
            }
        }

        /// <summary>kind + ":" + SHA-256 (hex) of the canonical configuration (of the text itself
        /// when it is not JSON: the library refuses it anyway).</summary>
        internal static string Identity(string kind, string json)
        {
            string canon;
            try { canon = Json.Canonical(Json.Parse(json)); }
            catch (Exception) { canon = json; }
            using (var sha = SHA256.Create())
            {
                var d = sha.ComputeHash(Encoding.UTF8.GetBytes(canon));
                var sb = new StringBuilder(kind.Length + 65).Append(kind).Append(':');
                foreach (var b in d) sb.Append(b.ToString("x2"));
                return sb.ToString();
            }
        }
    }
}

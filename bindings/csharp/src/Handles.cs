using System;
using System.Runtime.InteropServices;

namespace B2c
{
    /// <summary>Owns a b2c_client*. SafeHandle ref-counts the handle around each P/Invoke, so
    /// Dispose on one thread while another thread is inside a call defers b2c_client_free until
    /// that call returns.</summary>
    public sealed class B2cClientHandle : SafeHandle
    {
        /// <summary>How many client handles were freed (the tests watch the deferred free).</summary>
        internal static int Released;

        public B2cClientHandle() : base(IntPtr.Zero, true) { }

        /// <summary>The native client's log route and token stores (<see cref="HandleState"/>):
        /// referenced here so the delegate lives as long as the native handle can call it; every
        /// handle of one shared client has the same one (also held by <see cref="SharedHandles"/>).</summary>
        internal HandleState State = new HandleState();

        /// <summary>Run right after the native free (releases the stores, or counts the shared
        /// handle out).</summary>
        internal Action AfterFree;

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        protected override bool ReleaseHandle()
        {
            NativeMethods.Lib.b2c_client_free(handle);
            System.Threading.Interlocked.Increment(ref Released);
            HandleState.RunAfterFree(ref AfterFree);
            return true;
        }
    }

    /// <summary>Owns a b2c_key* (freed, and its memory cleansed, with b2c_key_free).</summary>
    public sealed class B2cKeyHandle : SafeHandle
    {
        public B2cKeyHandle() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        protected override bool ReleaseHandle()
        {
            NativeMethods.Lib.b2c_key_free(handle);
            return true;
        }
    }

    /// <summary>Owns a b2c_b2binpay* (tokens and credentials zeroed by b2c_b2binpay_free).</summary>
    public sealed class B2cB2binpayHandle : SafeHandle
    {
        public B2cB2binpayHandle() : base(IntPtr.Zero, true) { }

        /// <summary>As <see cref="B2cClientHandle.State"/>.</summary>
        internal HandleState State = new HandleState();

        internal Action AfterFree;

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        protected override bool ReleaseHandle()
        {
            NativeMethods.Lib.b2c_b2binpay_free(handle);
            HandleState.RunAfterFree(ref AfterFree);
            return true;
        }
    }

    /// <summary>Owns a b2c_crm* (its API key zeroed by b2c_crm_free). As the other handles,
    /// SafeHandle defers the free until calls running on other threads have returned.</summary>
    public sealed class B2cCrmHandle : SafeHandle
    {
        /// <summary>How many CRM handles were freed (the tests watch the deferred free and the
        /// finalizer).</summary>
        internal static int Released;

        public B2cCrmHandle() : base(IntPtr.Zero, true) { }

        /// <summary>The handle's log route (referenced here so its delegate lives as long as the
        /// native handle can call it).</summary>
        internal HandleState State = new HandleState();

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        protected override bool ReleaseHandle()
        {
            NativeMethods.Lib.b2c_crm_free(handle);
            System.Threading.Interlocked.Increment(ref Released);
            return true;
        }
    }
}

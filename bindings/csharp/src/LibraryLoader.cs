using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;

namespace B2c
{
    /// <summary>
    /// Finds and opens libb2c (bindings spec, section A), in this order:
    /// <list type="number">
    /// <item>the <c>B2C_LIBRARY</c> environment variable, a path to the library file (relative
    /// paths are taken from the current directory). Set but not an existing file, or not
    /// loadable: DllNotFoundException naming the variable and its value, never a fallback. An
    /// empty value counts as unset.</item>
    /// <item><c>libb2c.so</c> in the directory of B2c.dll (the bundled copy; the original
    /// directory when the assembly was shadow-copied). Present but not loadable: an error.</item>
    /// <item>the system dynamic loader (LD_LIBRARY_PATH, ldconfig cache, /lib, /usr/lib) by the
    /// SONAME derived from this binding's version (<see cref="Soname(string)"/>, e.g.
    /// <c>libb2c.so.0.1</c>), then by plain <c>libb2c.so</c>.</item>
    /// </list>
    /// None works: DllNotFoundException naming every place tried and why it failed.
    /// The library is opened with dlopen(RTLD_NOW) (local scope: nothing else needs its
    /// symbols) and every export is bound with dlsym on that handle (<see cref="NativeMethods"/>),
    /// so the file chosen here is exactly the code that runs.
    /// </summary>
    internal static class LibraryLoader
    {
        internal const string EnvVar = "B2C_LIBRARY";
        internal const string FileName = "libb2c.so";

        /// <summary>An opened library: the dlopen handle and the file the dynamic loader
        /// reports for it (dladdr), e.g. /usr/local/lib/libb2c.so.0.1 for a system load.</summary>
        internal sealed class Loaded
        {
            internal IntPtr Handle;
            internal string Path;
            internal string How;
        }

        /// <summary>The SONAME for a binding version: libb2c.so.0.MINOR before 1.0, libb2c.so.MAJOR
        /// from 1.0 (the README's SONAME policy; scripts/soname.sh computes the same).</summary>
        internal static string Soname(string version)
        {
            string[] parts = version.Split('.', '-', '+');
            int major = int.Parse(parts[0]);
            if (major == 0)
            {
                if (parts.Length < 2) throw new FormatException("version without a minor part: " + version);
                return FileName + ".0." + int.Parse(parts[1]);
            }
            return FileName + "." + major;
        }

        /// <summary>The directory holding B2c.dll, or null when it has no file location.</summary>
        internal static string AssemblyDirectory()
        {
            var asm = typeof(LibraryLoader).Assembly;
            try
            {
                // CodeBase is the original location even when the assembly was shadow-copied.
                string cb = asm.CodeBase;
                if (!string.IsNullOrEmpty(cb))
                {
                    var u = new Uri(cb);
                    if (u.IsFile) return System.IO.Path.GetDirectoryName(u.LocalPath);
                }
            }
            catch (Exception) { }
            string loc = asm.Location;
            return string.IsNullOrEmpty(loc) ? null : System.IO.Path.GetDirectoryName(loc);
        }

        internal static Loaded Load()
        {
            return Load(Environment.GetEnvironmentVariable(EnvVar), AssemblyDirectory(), Soname(BindingInfo.Version));
        }

        /// <summary>The search itself: env is B2C_LIBRARY's value, dir the directory of B2c.dll
        /// (null: unknown), soname the name for step 3.</summary>
        internal static Loaded Load(string env, string dir, string soname)
        {
            string err;
            IntPtr h;
            if (!string.IsNullOrEmpty(env))
            {
                string full = null;
                try { full = System.IO.Path.GetFullPath(env); }
                catch (Exception) { }
                if (full == null || !File.Exists(full))
                    throw new DllNotFoundException(EnvVar + " is set to \"" + env + "\", which is not an existing file"
                        + " (point it at libb2c.so, or unset it to use the bundled or system library)");
                h = Dl.Open(full, out err);
                if (h == IntPtr.Zero)
                    throw new DllNotFoundException(EnvVar + " is set to \"" + env + "\", which could not be loaded: " + err);
                return Opened(h, full, EnvVar);
            }

            var tried = new List<string> { EnvVar + " (not set)" };
            if (dir != null)
            {
                string bundled = System.IO.Path.Combine(dir, FileName);
                if (File.Exists(bundled))
                {
                    h = Dl.Open(bundled, out err);
                    if (h == IntPtr.Zero)
                        throw new DllNotFoundException("the libb2c bundled next to B2c.dll, " + bundled
                            + ", could not be loaded: " + err);
                    return Opened(h, bundled, "next to B2c.dll");
                }
                tried.Add(bundled + " (next to B2c.dll: no such file)");
            }
            else
            {
                tried.Add(FileName + " next to B2c.dll (the assembly has no file location)");
            }
            foreach (string name in new[] { soname, FileName })
            {
                h = Dl.Open(name, out err);
                if (h != IntPtr.Zero) return Opened(h, name, "system dynamic loader");
                tried.Add(name + " (system dynamic loader: " + err + ")");
            }
            throw new DllNotFoundException("libb2c not found. Tried, in order: " + string.Join("; ", tried.ToArray())
                + ". Set " + EnvVar + " to the library file, or install it (make install && ldconfig).");
        }

        static Loaded Opened(IntPtr h, string what, string how)
        {
            var l = new Loaded { Handle = h, How = how, Path = what };
            string err;
            IntPtr sym = Dl.Sym(h, "b2c_version", out err);
            if (sym == IntPtr.Zero)
            {
                Dl.Close(h);
                throw new DllNotFoundException(what + " (" + how + ") is not libb2c: " + err);
            }
            string file = Dl.FileOf(sym);
            if (!string.IsNullOrEmpty(file)) l.Path = file;
            return l;
        }

        /// <summary>The address of an export; EntryPointNotFoundException when it is missing
        /// (a library older than this binding).</summary>
        internal static IntPtr Symbol(Loaded l, string name)
        {
            string err;
            IntPtr p = Dl.Sym(l.Handle, name, out err);
            if (p == IntPtr.Zero)
                throw new EntryPointNotFoundException("libb2c at " + l.Path + " (" + l.How + ") has no " + name
                    + " (older than this binding, version " + BindingInfo.Version + "?): " + err);
            return p;
        }
    }

    /// <summary>dlopen/dlsym/dlerror/dladdr from libdl.so.2 (glibc), else from libc.so.6
    /// (glibc 2.34+ and other C libraries that have them in libc).</summary>
    internal static class Dl
    {
        const int RTLD_NOW = 2;

        [StructLayout(LayoutKind.Sequential)]
        internal struct DlInfo
        {
            internal IntPtr dli_fname, dli_fbase, dli_sname, dli_saddr;
        }

        static class LibDl
        {
            [DllImport("libdl.so.2")] internal static extern IntPtr dlopen(byte[] file, int mode);
            [DllImport("libdl.so.2")] internal static extern IntPtr dlsym(IntPtr handle, byte[] name);
            [DllImport("libdl.so.2")] internal static extern IntPtr dlerror();
            [DllImport("libdl.so.2")] internal static extern int dlclose(IntPtr handle);
            [DllImport("libdl.so.2")] internal static extern int dladdr(IntPtr addr, out DlInfo info);
        }

        static class LibC
        {
            [DllImport("libc.so.6")] internal static extern IntPtr dlopen(byte[] file, int mode);
            [DllImport("libc.so.6")] internal static extern IntPtr dlsym(IntPtr handle, byte[] name);
            [DllImport("libc.so.6")] internal static extern IntPtr dlerror();
            [DllImport("libc.so.6")] internal static extern int dlclose(IntPtr handle);
            [DllImport("libc.so.6")] internal static extern int dladdr(IntPtr addr, out DlInfo info);
        }

        static int which; // 0 unknown, 1 libdl.so.2, 2 libc.so.6

        static bool UseLibDl()
        {
            if (which == 0)
            {
                try { LibDl.dlerror(); which = 1; }
                catch (DllNotFoundException) { which = 2; }
                catch (EntryPointNotFoundException) { which = 2; }
            }
            return which == 1;
        }

        static string Error()
        {
            IntPtr e = UseLibDl() ? LibDl.dlerror() : LibC.dlerror();
            return e == IntPtr.Zero ? "unknown dlerror" : Utf8.Read(e);
        }

        internal static IntPtr Open(string file, out string err)
        {
            byte[] f = Utf8.Z(file);
            IntPtr h;
            if (UseLibDl()) { LibDl.dlerror(); h = LibDl.dlopen(f, RTLD_NOW); }
            else { LibC.dlerror(); h = LibC.dlopen(f, RTLD_NOW); }
            err = h == IntPtr.Zero ? Error() : null;
            return h;
        }

        internal static IntPtr Sym(IntPtr handle, string name, out string err)
        {
            byte[] n = Utf8.Z(name);
            IntPtr p;
            if (UseLibDl()) { LibDl.dlerror(); p = LibDl.dlsym(handle, n); }
            else { LibC.dlerror(); p = LibC.dlsym(handle, n); }
            err = p == IntPtr.Zero ? Error() : null;
            return p;
        }

        internal static void Close(IntPtr handle)
        {
            if (UseLibDl()) LibDl.dlclose(handle); else LibC.dlclose(handle);
        }

        /// <summary>The file of the loaded object containing addr, as the dynamic loader names it.</summary>
        internal static string FileOf(IntPtr addr)
        {
            DlInfo info;
            int ok = UseLibDl() ? LibDl.dladdr(addr, out info) : LibC.dladdr(addr, out info);
            return ok != 0 && info.dli_fname != IntPtr.Zero ? Utf8.Read(info.dli_fname) : null;
        }
    }
}

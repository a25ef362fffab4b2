// Spec section A: where the binding finds libb2c. The in-process tests check that this very
// process runs the file B2C_LIBRARY names (by /proc/self/maps); the others start LoadProbe.exe
// (test/probe/LoadProbe.cs) in fresh processes with copies of the library in temporary
// directories, to check every step of the order and that it never falls back.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using B2c;
using NUnit.Framework;

namespace B2c.Tests
{
    [TestFixture]
    public class LibraryLoadingInProcessTests
    {
        static List<string> MappedLibb2c()
        {
            var files = new List<string>();
            foreach (var line in File.ReadAllLines("/proc/self/maps"))
            {
                int slash = line.IndexOf('/');
                if (slash < 0) continue;
                var f = line.Substring(slash);
                if (Path.GetFileName(f).StartsWith("libb2c") && !files.Contains(f)) files.Add(f);
            }
            return files;
        }

        [Test]
        public void ThisProcessRunsTheFileB2cLibraryNames()
        {
            var env = Environment.GetEnvironmentVariable("B2C_LIBRARY");
            if (string.IsNullOrEmpty(env)) Assert.Ignore("B2C_LIBRARY not set");
            Assert.IsNotNullOrEmpty(B2cLibrary.Version());
            var want = Support.RealPath(env);
            Assert.AreEqual(want, Support.RealPath(B2cLibrary.LibraryPath), "B2cLibrary.LibraryPath");
            CollectionAssert.AreEqual(new[] { want }, MappedLibb2c(), "the only libb2c mapped in this process");
        }

        [Test]
        public void SonameFollowsTheBindingVersion()
        {
            Assert.AreEqual("libb2c.so.0.1", LibraryLoader.Soname("0.1.0"));
            Assert.AreEqual("libb2c.so.0.12", LibraryLoader.Soname("0.12.3-rc.1"));
            Assert.AreEqual("libb2c.so.1", LibraryLoader.Soname("1.4.2"));
            Assert.AreEqual("libb2c.so.2", LibraryLoader.Soname("2.0.0+build.5"));
            var expected = Environment.GetEnvironmentVariable("B2C_EXPECTED_SONAME");
            if (!string.IsNullOrEmpty(expected))
                Assert.AreEqual(expected, LibraryLoader.Soname(BindingInfo.Version), "scripts/soname.sh agrees");
        }

        static DllNotFoundException LoadFails(string env, string dir)
        {
            return Assert.Throws<DllNotFoundException>(() => LibraryLoader.Load(env, dir, "libb2c-test-none.so.0.999"));
        }

        [Test]
        public void B2cLibraryNotAFileFailsNamingTheVariable()
        {
            var dir = Support.TempDir("load");
            try
            {
                File.Copy(Environment.GetEnvironmentVariable("B2C_LIBRARY") ?? "/dev/null", Path.Combine(dir, "libb2c.so"));
                foreach (var bad in new[] { "/nonexistent/libb2c.so", dir, Path.Combine(dir, "nope.so") })
                {
                    var e = LoadFails(bad, dir); // a usable bundled copy in dir: still no fallback
                    StringAssert.Contains("B2C_LIBRARY", e.Message);
                    StringAssert.Contains("\"" + bad + "\"", e.Message);
                    StringAssert.Contains("not an existing file", e.Message);
                }
                var junk = Path.Combine(dir, "junk.so");
                File.WriteAllText(junk, "not an ELF file");
                var j = LoadFails(junk, dir);
                StringAssert.Contains("B2C_LIBRARY is set to \"" + junk + "\", which could not be loaded", j.Message);
            }
            finally { Directory.Delete(dir, true); }
        }

        [Test]
        public void BrokenBundledCopyFailsWithoutFallback()
        {
            var dir = Support.TempDir("load");
            try
            {
                File.WriteAllText(Path.Combine(dir, "libb2c.so"), "not an ELF file");
                var e = LoadFails(null, dir);
                StringAssert.Contains(Path.Combine(dir, "libb2c.so"), e.Message);
                StringAssert.Contains("could not be loaded", e.Message);
                e = LoadFails("", dir); // empty B2C_LIBRARY counts as unset
                StringAssert.Contains("bundled next to B2c.dll", e.Message);
            }
            finally { Directory.Delete(dir, true); }
        }
    }

    [TestFixture]
    public class LibraryLoadingProbeTests
    {
        string tmp, lib, probeDir, soname;
        bool systemHasLibb2c;
        string systemLibb2c;

        sealed class Result
        {
            public int Exit;
            public string Path, Version, Error, Output;
            public List<string> Mapped = new List<string>();
            public override string ToString() { return "exit " + Exit + ":\n" + Output; }
        }

        string Dir(string name)
        {
            var d = Path.Combine(tmp, name);
            Directory.CreateDirectory(d);
            return d;
        }

        /// <summary>A directory holding B2c.dll and LoadProbe.exe, plus libb2c.so when bundled.</summary>
        string App(string name, string bundled)
        {
            var d = Dir(name);
            foreach (var f in new[] { "B2c.dll", "LoadProbe.exe" })
                File.Copy(Path.Combine(probeDir, f), Path.Combine(d, f), true);
            if (bundled != null) File.WriteAllBytes(Path.Combine(d, "libb2c.so"), File.ReadAllBytes(bundled));
            return d;
        }

        string Copy(string dirName, string fileName)
        {
            var p = Path.Combine(Dir(dirName), fileName);
            File.Copy(lib, p, true);
            return p;
        }

        Result Run(string app, string b2cLibrary, string ldLibraryPath, string cwd = null)
        {
            var mono = Process.GetCurrentProcess().MainModule.FileName;
            var psi = new ProcessStartInfo(mono, "\"" + Path.Combine(app, "LoadProbe.exe") + "\"")
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = cwd ?? tmp,
            };
            psi.EnvironmentVariables.Remove("B2C_LIBRARY");
            psi.EnvironmentVariables.Remove("LD_LIBRARY_PATH");
            if (b2cLibrary != null) psi.EnvironmentVariables["B2C_LIBRARY"] = b2cLibrary;
            if (ldLibraryPath != null) psi.EnvironmentVariables["LD_LIBRARY_PATH"] = ldLibraryPath;
            using (var p = Process.Start(psi))
            {
                var stderr = p.StandardError.ReadToEndAsync();
                var output = p.StandardOutput.ReadToEnd();
                Assert.IsTrue(p.WaitForExit(60000), "probe timed out");
                var r = new Result { Exit = p.ExitCode, Output = output + stderr.Result };
                foreach (var line in output.Split('\n'))
                {
                    if (line.StartsWith("path=")) r.Path = line.Substring(5);
                    else if (line.StartsWith("version=")) r.Version = line.Substring(8);
                    else if (line.StartsWith("error=")) r.Error = line.Substring(6);
                    else if (line.StartsWith("mapped=")) r.Mapped.Add(line.Substring(7));
                }
                return r;
            }
        }

        void AssertLoaded(Result r, string file)
        {
            Assert.AreEqual(0, r.Exit, r.ToString());
            Assert.AreEqual(BindingInfo.Version, r.Version, r.ToString());
            Assert.AreEqual(file, r.Path, "LibraryPath: " + r);
            CollectionAssert.AreEqual(new[] { file }, r.Mapped, "mapped libb2c: " + r);
        }

        void AssertFailed(Result r, params string[] inMessage)
        {
            Assert.AreEqual(3, r.Exit, r.ToString());
            Assert.IsNotNull(r.Error, r.ToString());
            StringAssert.StartsWith("System.DllNotFoundException: ", r.Error);
            foreach (var s in inMessage) StringAssert.Contains(s, r.Error);
            CollectionAssert.IsEmpty(r.Mapped, "nothing loaded: " + r);
        }

        [TestFixtureSetUp]
        public void Prepare()
        {
            lib = Environment.GetEnvironmentVariable("B2C_LIBRARY");
            if (string.IsNullOrEmpty(lib)) Assert.Ignore("B2C_LIBRARY not set (the libb2c to copy)");
            probeDir = Support.TestDir();
            Assert.IsTrue(File.Exists(Path.Combine(probeDir, "LoadProbe.exe")), "LoadProbe.exe next to B2c.Tests.dll (make test)");
            soname = LibraryLoader.Soname(BindingInfo.Version);
            tmp = Support.TempDir("probe");
            var r = Run(App("bare", null), null, null);
            systemHasLibb2c = r.Exit == 0;
            systemLibb2c = r.Path;
        }

        [TestFixtureTearDown]
        public void Cleanup()
        {
            if (tmp != null) try { Directory.Delete(tmp, true); } catch (Exception) { }
        }

        void NeedsNoSystemLibb2c()
        {
            if (systemHasLibb2c) Assert.Ignore("this machine has a libb2c on the system search path: " + systemLibb2c);
        }

        [Test]
        public void B2cLibraryComesFirst()
        {
            var env = Copy("env", "libb2c.so");
            var sys = Copy("sys", soname);
            var app = App("app-env", Copy("bundled-src", "libb2c.so"));
            AssertLoaded(Run(app, env, Path.GetDirectoryName(sys)), env);
        }

        [Test]
        public void FreshProcessRoutesToTraceAtWarning()
        {
            // Logging spec, point 1: B2cLibrary.Trace ("b2c") at Warning unless configured.
            var r = Run(App("app-trace", null), Copy("env-trace", "libb2c.so"), null);
            Assert.AreEqual(0, r.Exit, r.ToString());
            StringAssert.Contains("trace=b2c Warning\n", r.Output);
        }

        [Test]
        public void B2cLibraryAnyFileName()
        {
            var env = Copy("env-named", "libb2c-custom-name.so.7");
            AssertLoaded(Run(App("app-plain", null), env, null), env);
        }

        [Test]
        public void B2cLibraryRelativeToTheCurrentDirectory()
        {
            var env = Copy("env-rel", "libb2c.so");
            var sys = Copy("sys-rel", soname);
            // "libb2c.so" without a slash: the file in the current directory, not a system search.
            AssertLoaded(Run(App("app-rel", null), "libb2c.so", Path.GetDirectoryName(sys), Path.GetDirectoryName(env)), env);
        }

        [Test]
        public void B2cLibraryMissingNeverFallsBack()
        {
            var sys = Copy("sys-missing", soname);
            var app = App("app-missing", Copy("bundled-missing", "libb2c.so"));
            var missing = Path.Combine(tmp, "no-such-dir", "libb2c.so");
            AssertFailed(Run(app, missing, Path.GetDirectoryName(sys)), "B2C_LIBRARY", "\"" + missing + "\"", "not an existing file");
            AssertFailed(Run(app, tmp, Path.GetDirectoryName(sys)), "B2C_LIBRARY", "\"" + tmp + "\"", "not an existing file");
        }

        [Test]
        public void BundledCopyNextToB2cDllIsSecond()
        {
            var sys = Copy("sys-bundled", soname);
            var app = App("app-bundled", lib);
            AssertLoaded(Run(app, null, Path.GetDirectoryName(sys)), Path.Combine(app, "libb2c.so"));
            AssertLoaded(Run(app, "", Path.GetDirectoryName(sys)), Path.Combine(app, "libb2c.so")); // empty = unset
        }

        [Test]
        public void SystemLoaderBySonameBeforePlainName()
        {
            var plain = Copy("plain-first", "libb2c.so");
            var sys = Copy("sys-soname", soname);
            var path = Path.GetDirectoryName(plain) + ":" + Path.GetDirectoryName(sys);
            AssertLoaded(Run(App("app-soname", null), null, path), sys);
        }

        [Test]
        public void SystemLoaderByPlainNameLast()
        {
            NeedsNoSystemLibb2c();
            var plain = Copy("plain-only", "libb2c.so");
            AssertLoaded(Run(App("app-plain-only", null), null, Path.GetDirectoryName(plain)), plain);
        }

        [Test]
        public void NotFoundNamesEveryPlaceTried()
        {
            NeedsNoSystemLibb2c();
            var app = App("app-none", null);
            AssertFailed(Run(app, null, Path.Combine(tmp, "empty")),
                "B2C_LIBRARY (not set)", Path.Combine(app, "libb2c.so"), soname + " (system dynamic loader", "libb2c.so (system dynamic loader");
        }
    }
}

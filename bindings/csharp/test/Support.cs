// Shared helpers of the NUnit fixtures (NUnit 2.6, run by nunit-console: scripts/test-csharp.sh).
// Environment: B2C_LIBRARY (the libb2c under test), B2C_SANDBOX (b2c-sandbox binary),
// B2C_ROOT (repository root, for tests/fixtures and include/b2c.h; found from the test
// assembly's directory when unset), B2C_HEADER (default <root>/include/b2c.h),
// B2C_EXPECTED_VERSION / B2C_EXPECTED_SONAME (scripts/version.sh / scripts/soname.sh).
using System;
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
}

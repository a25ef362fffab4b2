// Spec section B: every b2c_status of include/b2c.h (B2C_HEADER) maps to exactly the class of
// its "Exception family"; the Status enum has exactly the header's names and values; codes
// the header does not name map to B2cException itself. Plus the public names of section C.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using B2c;
using NUnit.Framework;

namespace B2c.Tests
{
    [TestFixture]
    public class StatusMappingTests
    {
        static readonly string[] Families = {
            "InvalidArgument", "Io", "KeyFormat", "Network", "Timeout", "Throttled", "Protocol", "Auth", "Fee",
            "StillPending", "Cancelled", "Signature", "Remote", "Internal",
        };

        sealed class Entry
        {
            public string CName;   // B2C_INVALID_ARGUMENT
            public string Name;    // InvalidArgument
            public int Value;
            public List<string> Families = new List<string>();
        }

        List<Entry> header;

        /// <summary>B2C_INVALID_UTF8 -> InvalidUtf8, B2C_IO -> Io.</summary>
        static string Pascal(string cname)
        {
            var sb = new StringBuilder();
            foreach (var w in cname.Substring(4).Split('_'))
                if (w.Length > 0) sb.Append(char.ToUpperInvariant(w[0])).Append(w.Substring(1).ToLowerInvariant());
            return sb.ToString();
        }

        [TestFixtureSetUp]
        public void ParseHeader()
        {
            var path = Support.Header();
            Assert.IsTrue(File.Exists(path), "header " + path + " (set B2C_HEADER)");
            var text = File.ReadAllText(path);
            var m = Regex.Match(text, @"typedef\s+enum\s*\{(?<body>.*?)\}\s*b2c_status\s*;", RegexOptions.Singleline);
            Assert.IsTrue(m.Success, "no `typedef enum { ... } b2c_status;` in " + path);
            header = new List<Entry>();
            var comments = new StringBuilder();
            // Walk the body: comments accumulate until the next enumerator, which owns them.
            var token = new Regex(@"/\*(?<c>.*?)\*/|//(?<l>[^\n]*)|(?<n>B2C_[A-Z0-9_]+)\s*=\s*(?<v>-?\d+)\s*,?", RegexOptions.Singleline);
            foreach (Match t in token.Matches(m.Groups["body"].Value))
            {
                if (t.Groups["n"].Success)
                {
                    var e = new Entry { CName = t.Groups["n"].Value, Name = Pascal(t.Groups["n"].Value), Value = int.Parse(t.Groups["v"].Value) };
                    foreach (Match f in Regex.Matches(comments.ToString(), @"Exception family:\s*(\w+)\s*\."))
                        e.Families.Add(f.Groups[1].Value);
                    header.Add(e);
                    comments.Clear();
                }
                else
                {
                    comments.Append(t.Groups["c"].Success ? t.Groups["c"].Value : t.Groups["l"].Value).Append('\n');
                }
            }
            Assert.Greater(header.Count, 20, "parsed statuses of " + path);
        }

        static Type FamilyClass(string family)
        {
            return typeof(B2cException).Assembly.GetType("B2c." + family + "Exception");
        }

        [Test]
        public void HeaderNamesOneKnownFamilyPerStatus()
        {
            foreach (var e in header)
            {
                if (e.CName == "B2C_OK") { Assert.IsEmpty(e.Families, "B2C_OK has no family"); continue; }
                Assert.AreEqual(1, e.Families.Count, e.CName + ": one \"Exception family: X.\" line, got [" + string.Join(",", e.Families.ToArray()) + "]");
                CollectionAssert.Contains(Families, e.Families[0], e.CName + ": family of the spec");
            }
        }

        [Test]
        public void EveryStatusMapsToExactlyItsFamilyClass()
        {
            var wrong = new List<string>();
            foreach (var e in header)
            {
                if (e.CName == "B2C_OK") continue;
                var want = FamilyClass(e.Families[0]);
                if (want == null) { wrong.Add(e.CName + ": no class B2c." + e.Families[0] + "Exception"); continue; }
                var got = Errors.Create(e.Value, "m", 0, null);
                if (got.GetType() != want)
                    wrong.Add(e.CName + " (" + e.Value + "): " + got.GetType().FullName + ", want " + want.FullName);
                else if (got.StatusCode != e.Value)
                    wrong.Add(e.CName + ": StatusCode " + got.StatusCode);
            }
            Assert.IsEmpty(wrong, string.Join("\n", wrong.ToArray()));
        }

        [Test]
        public void StatusEnumIsExactlyTheHeaders()
        {
            var fromHeader = header.Select(e => e.Name + "=" + e.Value).OrderBy(s => s).ToArray();
            var fromEnum = Enum.GetNames(typeof(Status)).Select(n => n + "=" + (int)Enum.Parse(typeof(Status), n)).OrderBy(s => s).ToArray();
            CollectionAssert.AreEqual(fromHeader, fromEnum, "Status enum vs b2c_status of " + Support.Header());
        }

        [Test]
        public void UnknownCodesMapToTheBaseClass()
        {
            var known = new HashSet<int>(header.Select(e => e.Value));
            foreach (int code in Enumerable.Range(-3, 300).Concat(new[] { 1000, int.MaxValue, int.MinValue }))
            {
                if (known.Contains(code)) continue;
                var got = Errors.Create(code, "m", 0, null);
                Assert.AreEqual(typeof(B2cException), got.GetType(), "code " + code);
                Assert.AreEqual(code, got.StatusCode, "code " + code);
            }
        }

        [Test]
        public void FamilyClassesDeriveFromTheBase()
        {
            foreach (var f in Families)
            {
                var t = FamilyClass(f);
                Assert.IsNotNull(t, "B2c." + f + "Exception");
                Assert.IsTrue(t.IsPublic && typeof(B2cException).IsAssignableFrom(t), t + " is a public B2cException");
                var parent = f == "Timeout" ? typeof(NetworkException) : typeof(B2cException);
                Assert.AreEqual(parent, t.BaseType, t + " base class");
            }
        }

        [Test]
        public void RealErrorsCarryStatusMessageAndHttp()
        {
            // Through the library's own error object (b2c_error_*), not just Errors.Create.
            var e = Support.Expect<IoException>(Status.Io, "missing file", () => Key.FromFile("/nonexistent/x.pem"));
            Assert.AreEqual(0, e.HttpStatus);
            StringAssert.StartsWith("IoException[Io(6)]: ", e.ToString());
        }
    }

    /// <summary>Spec section C: the public names every binding shares.</summary>
    [TestFixture]
    public class PublicNamesTests
    {
        [Test]
        public void LibraryFunctionsAreStaticMethods()
        {
            var v = typeof(B2cLibrary).GetMethod("Version", BindingFlags.Public | BindingFlags.Static, null, Type.EmptyTypes, null);
            Assert.IsNotNull(v, "B2cLibrary.Version()");
            Assert.AreEqual(typeof(string), v.ReturnType);
            Assert.IsNull(typeof(B2cLibrary).GetProperty("Version"), "the old Version property is gone");
            var s = typeof(B2cLibrary).GetMethod("StatusString", BindingFlags.Public | BindingFlags.Static, null, new[] { typeof(int) }, null);
            Assert.IsNotNull(s, "B2cLibrary.StatusString(int)");
            Assert.AreEqual(typeof(string), s.ReturnType);
        }

        static void AssertProperty(Type t, string name, Type type)
        {
            var p = t.GetProperty(name, BindingFlags.Public | BindingFlags.Instance);
            Assert.IsNotNull(p, t.Name + "." + name);
            Assert.AreEqual(type, p.PropertyType, t.Name + "." + name + " type");
            Assert.IsTrue(p.GetSetMethod() == null, t.Name + "." + name + " has no public setter");
        }

        [Test]
        public void AccessTokenShape()
        {
            Assert.IsTrue(typeof(AccessToken).IsSealed && typeof(AccessToken).IsClass, "sealed class B2c.AccessToken");
            AssertProperty(typeof(AccessToken), "Token", typeof(string));
            AssertProperty(typeof(AccessToken), "Suspicious", typeof(bool));
            var m = typeof(B2binpay).GetMethods().Where(x => x.Name == "AccessToken").ToArray();
            Assert.AreEqual(1, m.Length, "one B2binpay.AccessToken (the out-bool overload is gone)");
            Assert.AreEqual(0, m[0].GetParameters().Length);
            Assert.AreEqual(typeof(AccessToken), m[0].ReturnType);
            var t = new AccessToken("secret-token", true);
            Assert.AreEqual("secret-token", t.Token);
            Assert.IsTrue(t.Suspicious);
            Assert.IsFalse(t.ToString().Contains("secret-token"), "ToString hides the token");
        }

        [Test]
        public void B2binpayCountersShape()
        {
            Assert.IsTrue(typeof(B2binpayCounters).IsSealed, "sealed class B2c.B2binpayCounters");
            AssertProperty(typeof(B2binpayCounters), "Logins", typeof(ulong));
            AssertProperty(typeof(B2binpayCounters), "Refreshes", typeof(ulong));
            AssertProperty(typeof(B2binpayCounters), "Suspicious", typeof(ulong));
            var m = typeof(B2binpay).GetMethods().Where(x => x.Name == "Counters").ToArray();
            Assert.AreEqual(1, m.Length, "one B2binpay.Counters (the out-parameter form is gone)");
            Assert.AreEqual(0, m[0].GetParameters().Length);
            Assert.AreEqual(typeof(B2binpayCounters), m[0].ReturnType);
            var c = new B2binpayCounters(1, 2, 3);
            Assert.AreEqual(new ulong[] { 1, 2, 3 }, new[] { c.Logins, c.Refreshes, c.Suspicious });
        }
    }
}

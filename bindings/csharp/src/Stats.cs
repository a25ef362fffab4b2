using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Text;

namespace B2c
{
    /// <summary>Latency of one endpoint in <see cref="Stats.Latency"/> (microseconds).</summary>
    public sealed class Latency
    {
        public Latency(long count, long p50Us, long p90Us, long p99Us, long maxUs)
        {
            Count = count; P50Us = p50Us; P90Us = p90Us; P99Us = p99Us; MaxUs = maxUs;
        }

        /// <summary>How many exchanges were timed.</summary>
        public long Count { get; private set; }
        public long P50Us { get; private set; }
        public long P90Us { get; private set; }
        public long P99Us { get; private set; }
        public long MaxUs { get; private set; }

        public override string ToString()
        {
            return "Latency{count=" + Count + ", p50=" + P50Us + "us, p90=" + P90Us + "us, p99=" + P99Us
                + "us, max=" + MaxUs + "us}";
        }
    }

    /// <summary>
    /// A handle's statistics since it was created (<see cref="Client.Stats"/>,
    /// <see cref="B2binpay.Stats"/>): the keys of b2c_client_stats as properties (a key the
    /// library did not send is 0), <see cref="RetriesByCause"/> (cause -> retries: dns_not_found,
    /// dns_temporary, connect, reset, read_timeout, deadline, status_5xx, throttled, malformed,
    /// tls, proxy), <see cref="Latency"/> (endpoint -> percentiles; B2COPY: authexternalcrm,
    /// refreshtoken, processext; B2BINPAY: token, token_refresh) and the library's JSON as it
    /// came (<see cref="Json"/>, which also has any key newer than this binding). Immutable.
    /// </summary>
    public sealed class Stats
    {
        static readonly IReadOnlyDictionary<string, long> NoCauses =
            new ReadOnlyDictionary<string, long>(new Dictionary<string, long>());

        Stats() { }

        public long Requests { get; private set; }
        public long Retries { get; private set; }
        /// <summary>Retries by cause. A cause with no entry had none: use TryGetValue (or
        /// <see cref="RetriesFor"/>).</summary>
        public IReadOnlyDictionary<string, long> RetriesByCause { get; private set; }
        public long AuthExchanges { get; private set; }
        public long Refreshes { get; private set; }
        public long Reauths { get; private set; }
        /// <summary>401 answers.</summary>
        public long Unauthorized { get; private set; }
        public long Suspicious { get; private set; }
        public long ConnectionsOpened { get; private set; }
        public long TlsHandshakes { get; private set; }
        public long TlsResumed { get; private set; }
        public long DnsLookups { get; private set; }
        /// <summary>Calls that ended because their deadline ran out.</summary>
        public long DeadlineExceeded { get; private set; }
        /// <summary>Token store reads.</summary>
        public long StoreLoads { get; private set; }
        /// <summary>Token pairs taken over from the store (another handle or process obtained them).</summary>
        public long StoreAdopted { get; private set; }
        /// <summary>Token pairs written to the store.</summary>
        public long StoreSaves { get; private set; }
        /// <summary>Token store failures (each logged as a Warning store event; b2c went on without
        /// the store).</summary>
        public long StoreErrors { get; private set; }
        /// <summary>Endpoint -> latency. An endpoint with no entry was not called.</summary>
        public IReadOnlyDictionary<string, Latency> Latency { get; private set; }
        /// <summary>The JSON object the library returned.</summary>
        public string Json { get; private set; }

        /// <summary>The retries for one cause (0 when it has no entry).</summary>
        public long RetriesFor(string cause)
        {
            long n;
            return cause != null && RetriesByCause.TryGetValue(cause, out n) ? n : 0;
        }

        /// <summary>The JSON text.</summary>
        public override string ToString() { return Json; }

        /// <summary>Parses the library's statistics. Unknown keys (of any JSON type) are ignored;
        /// a known key holding something other than an integer, or text that is not a JSON
        /// object, is an InternalException (the library and this binding disagree).</summary>
        internal static Stats Parse(string json)
        {
            if (json == null) throw new ArgumentNullException("json");
            object root;
            try { root = global::B2c.Json.Parse(json); }
            catch (FormatException e) { throw Bad("are not valid JSON (" + e.Message + ")"); }
            var o = root as Dictionary<string, object>;
            if (o == null) throw Bad("are not a JSON object");
            var s = new Stats { Json = json };
            s.Requests = Int(o, "requests");
            s.Retries = Int(o, "retries");
            s.AuthExchanges = Int(o, "auth_exchanges");
            s.Refreshes = Int(o, "refreshes");
            s.Reauths = Int(o, "reauths");
            s.Unauthorized = Int(o, "unauthorized");
            s.Suspicious = Int(o, "suspicious");
            s.ConnectionsOpened = Int(o, "connections_opened");
            s.TlsHandshakes = Int(o, "tls_handshakes");
            s.TlsResumed = Int(o, "tls_resumed");
            s.DnsLookups = Int(o, "dns_lookups");
            s.DeadlineExceeded = Int(o, "deadline_exceeded");
            s.StoreLoads = Int(o, "store_loads");
            s.StoreAdopted = Int(o, "store_adopted");
            s.StoreSaves = Int(o, "store_saves");
            s.StoreErrors = Int(o, "store_errors");

            s.RetriesByCause = NoCauses;
            var causes = Obj(o, "retries_by_cause");
            if (causes != null)
            {
                var d = new Dictionary<string, long>(StringComparer.Ordinal);
                foreach (var kv in causes) d[kv.Key] = Int(causes, kv.Key, "retries_by_cause.");
                s.RetriesByCause = new ReadOnlyDictionary<string, long>(d);
            }

            var lat = new Dictionary<string, Latency>(StringComparer.Ordinal);
            var endpoints = Obj(o, "latency");
            if (endpoints != null)
            {
                foreach (var kv in endpoints)
                {
                    string where = "latency." + kv.Key;
                    var e = kv.Value as Dictionary<string, object>;
                    if (e == null) throw Bad("have a " + where + " that is not an object");
                    where += ".";
                    lat[kv.Key] = new Latency(Int(e, "count", where), Int(e, "p50_us", where), Int(e, "p90_us", where),
                        Int(e, "p99_us", where), Int(e, "max_us", where));
                }
            }
            s.Latency = new ReadOnlyDictionary<string, Latency>(lat);
            return s;
        }

        static InternalException Bad(string what)
        {
            return new InternalException((int)Status.Panic, "the library's statistics " + what, 0);
        }

        static long Int(Dictionary<string, object> o, string key, string prefix = "")
        {
            object v;
            if (!o.TryGetValue(key, out v)) return 0;
            if (v is long) return (long)v;
            throw Bad("have a " + prefix + key + " that is not an integer");
        }

        static Dictionary<string, object> Obj(Dictionary<string, object> o, string key)
        {
            object v;
            if (!o.TryGetValue(key, out v) || v == null) return null;
            var d = v as Dictionary<string, object>;
            if (d == null) throw Bad("have a " + key + " that is not an object");
            return d;
        }
    }
}

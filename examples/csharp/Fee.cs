// Charge the fees of one withdrawal with the b2c C# binding (bindings/csharp), on Mono.
//
// Build and run (from the repository root; scripts/example-csharp.sh does both):
//   make -C bindings/csharp example          # build/csharp/B2c.dll and build/csharp/Fee.exe
//   B2C_LIBRARY=target/release/libb2c.so \
//   B2C_BASE_URL=http://127.0.0.1:8080 B2C_ADMIN_ID=42 B2C_DEVICE_IP=127.0.0.1 \
//   B2C_KEY_ID=kid1 B2C_PRIVATE_KEY=/path/key.pem  mono build/csharp/Fee.exe
// (Without B2C_LIBRARY the binding loads libb2c.so next to B2c.dll, then libb2c.so.0.1 from
// the system loader: see bindings/csharp/README.md.)
//
// Env: B2C_BASE_URL, B2C_ADMIN_ID, B2C_DEVICE_IP, B2C_KEY_ID, B2C_PRIVATE_KEY (PEM path),
// B2C_ACCOUNT (default 123456), B2C_REQUEST_ID (default example-1), B2C_WAIT_MS (default 60000),
// B2C_POLL_INTERVAL_MS (optional; the library's default otherwise), B2C_LOG_LEVEL (optional:
// error, warning, info or debug; the library's events go to stderr through B2cLibrary.Trace),
// B2C_TOKEN_DIR (optional: an absolute directory, mode 0700 or missing, for the file token
// store: every process of this host using it shares one token pair; see bindings/csharp/README.md,
// "Many processes, one credential"), B2C_CALL_PATH (optional: after the fee, one generic GET
// of that B2COPY path, e.g. /api/admin/v2/accounts/123456, with the client's token; prints the
// HTTP status, whatever it is: see bindings/csharp/README.md, "Calls").
// Prints the client's statistics (requests, retries, processext latency) at the end.
// Exit: 0 SUCCESS, 3 ERROR, 4 still pending, 1 anything else.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using B2c;

static class Fee
{
    static string Env(string name, string dflt = null)
    {
        var v = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrEmpty(v))
        {
            if (dflt == null) throw new ArgumentException("environment variable " + name + " is required");
            return dflt;
        }
        return v;
    }

    /// <summary>B2C_LOG_LEVEL: route the library's events (token exchanges, retries, warnings,
    /// at debug every HTTP exchange) to stderr, at that level.</summary>
    static void SetUpLogging()
    {
        var name = Env("B2C_LOG_LEVEL", "");
        if (name == "") return; // B2cLibrary.Trace stays at Warning
        SourceLevels level;
        switch (name.ToLowerInvariant())
        {
            case "error": level = SourceLevels.Error; break;
            case "warn":
            case "warning": level = SourceLevels.Warning; break;
            case "info": level = SourceLevels.Information; break;
            case "debug":
            case "trace": level = SourceLevels.Verbose; break;
            default: throw new ArgumentException("B2C_LOG_LEVEL must be error, warning, info or debug, not " + name);
        }
        B2cLibrary.Trace.Listeners.Add(new ConsoleTraceListener(true)); // true: stderr
        B2cLibrary.SetLogLevel(level);
    }

    static void PrintStats(Client client)
    {
        var s = client.Stats();
        Latency p;
        var latency = s.Latency.TryGetValue("processext", out p)
            ? ", processext p50 " + p.P50Us + " us, p99 " + p.P99Us + " us (" + p.Count + ")" : "";
        Console.WriteLine("stats: " + s.Requests + " requests, " + s.Retries + " retries, " + s.AuthExchanges
            + " token exchanges, " + s.Refreshes + " refreshes" + latency + "; store: " + s.StoreLoads + " loads, "
            + s.StoreAdopted + " adopted, " + s.StoreSaves + " saves, " + s.StoreErrors + " errors");
    }

    static int Main()
    {
        try
        {
            SetUpLogging();
            var cfg = new Dictionary<string, object> {
                { "base_url", Env("B2C_BASE_URL") },
                { "admin_id", ulong.Parse(Env("B2C_ADMIN_ID")) },
                { "device_ip", Env("B2C_DEVICE_IP") },
                { "key_id", Env("B2C_KEY_ID") },
                { "private_key_path", Env("B2C_PRIVATE_KEY") },
            };
            var poll = Env("B2C_POLL_INTERVAL_MS", "");
            if (poll != "") cfg["poll_interval_ms"] = ulong.Parse(poll);
            var tokenDir = Env("B2C_TOKEN_DIR", "");
            if (tokenDir != "")
                cfg["token_store"] = new Dictionary<string, object> { { "type", "file" }, { "path", tokenDir } };
            var account = Env("B2C_ACCOUNT", "123456");
            var requestId = Env("B2C_REQUEST_ID", "example-1");
            var wait = TimeSpan.FromMilliseconds(double.Parse(Env("B2C_WAIT_MS", "60000")));
            var callPath = Env("B2C_CALL_PATH", "");
            Console.WriteLine("libb2c " + B2cLibrary.Version() + " from " + B2cLibrary.LibraryPath);
            using (var client = new Client(cfg))
            {
                var r = client.FeeProcess(account, requestId, wait, p =>
                {
                    Console.WriteLine("status " + p.Status.ToString().ToUpperInvariant() + " (attempt " + p.Attempt
                        + ", " + (long)p.Elapsed.TotalMilliseconds + " ms)");
                    return true;
                });
                Console.WriteLine("final " + r.Status.ToString().ToUpperInvariant());
                if (callPath != "")
                {
                    var resp = client.Call("GET", callPath); // any status is an answer
                    Console.WriteLine("call GET " + callPath + ": HTTP " + resp.Status + ", " + resp.Body.Length + " bytes");
                }
                PrintStats(client);
                return r.IsSuccess ? 0 : 4;
            }
        }
        catch (FeeException e)
        {
            Console.WriteLine("final ERROR: " + e.Message);
            return 3;
        }
        catch (StillPendingException e)
        {
            Console.WriteLine("final PENDING (still pending): " + e.Message);
            return 4;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine("failed: " + e);
            return 1;
        }
    }
}

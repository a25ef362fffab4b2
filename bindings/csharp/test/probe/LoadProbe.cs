// Used by the LibraryLoading tests: a fresh process that loads libb2c through the binding
// and reports what it got. Prints "path=<B2cLibrary.LibraryPath>", "version=<Version()>" and
// one "mapped=<file>" line per distinct libb2c file in /proc/self/maps; or
// "error=<exception type>: <message>" (exit 3) when loading failed, still followed by the
// mapped= lines (there must be none then). After a load, also "trace=<name> <level>" of
// B2cLibrary.Trace (the level a fresh process routes the library's events at).
using System;
using System.Collections.Generic;
using System.IO;
using B2c;

static class LoadProbe
{
    static int Main()
    {
        int rc = 0;
        try
        {
            string path = B2cLibrary.LibraryPath;
            Console.WriteLine("path=" + path);
            Console.WriteLine("version=" + B2cLibrary.Version());
            Console.WriteLine("trace=" + B2cLibrary.Trace.Name + " " + B2cLibrary.Trace.Switch.Level);
        }
        catch (Exception e)
        {
            var inner = e is TypeInitializationException && e.InnerException != null ? e.InnerException : e;
            Console.WriteLine("error=" + inner.GetType().FullName + ": " + inner.Message.Replace('\n', ' '));
            rc = 3;
        }
        var seen = new HashSet<string>();
        foreach (var line in File.ReadAllLines("/proc/self/maps"))
        {
            int slash = line.IndexOf('/');
            if (slash < 0) continue;
            string file = line.Substring(slash);
            if (Path.GetFileName(file).StartsWith("libb2c") && seen.Add(file)) Console.WriteLine("mapped=" + file);
        }
        return rc;
    }
}

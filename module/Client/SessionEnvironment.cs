// The session's variables a call sends (module/Private/Context.ps1 Get-AzTokenBridgeCallContext),
// compiled (issue K: first call). In script this was a loop over every variable of the process
// and every prefix: on a cmdlet's first call the engine compiled it (the interpreter hands a loop
// that runs long to a background compile) and bound each of its dynamic call sites, ~20-40 ms of
// CPU in a fresh process; here it is one call.
using System;
using System.Collections;
using System.Collections.Specialized;

namespace AzTokenBridge.Client;

public static class SessionEnvironment
{
    /// <summary>
    /// The variables of this process named in <paramref name="names"/> (in that order, those that
    /// are set), then every variable whose name starts with one of <paramref name="prefixes"/>
    /// (case-insensitive on Windows, where variable names are; ordinal elsewhere), in the order the
    /// process lists them. Keys are compared ignoring case, as in a PowerShell [ordered] dictionary:
    /// a later variable whose name differs only in case replaces the value under the first name.
    /// </summary>
    public static OrderedDictionary Capture(string[] names, string[] prefixes)
    {
        var result = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
        foreach (var name in names)
        {
            var value = Environment.GetEnvironmentVariable(name);
            if (value is not null) result[name] = value;
        }
        if (prefixes.Length == 0) return result;
        var comparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            var key = (string)entry.Key;
            foreach (var prefix in prefixes)
            {
                if (key.StartsWith(prefix, comparison))
                {
                    result[key] = entry.Value as string ?? Convert.ToString(entry.Value) ?? "";
                    break;
                }
            }
        }
        return result;
    }
}

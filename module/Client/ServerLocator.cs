// Where the packaged server is (module/Private/Processes.ps1 Resolve-AzTokenBridgeCommand),
// compiled (issue K: first call). The script functions that find it, check it and explain what is
// missing (Get-AzTokenBridgeServerPath, Initialize-AzTokenBridgeServerFile)
// cost a cmdlet's first call ~40-50 ms of CPU in a fresh process, the engine compiling them and
// binding their .NET calls; on the usual path (the binary is there and executable) this one call
// answers instead, and the script runs only when something is to be explained or repaired.
using System;
using System.IO;
using System.Runtime.InteropServices;

namespace AzTokenBridge.Client;

public static class ServerLocator
{
    /// <summary>
    /// This machine's runtime id, as the build names module/bin/&lt;rid&gt;/ (src/build/build.mjs
    /// RIDS): win|osx|linux|freebsd|unknown, then the OS's
    /// architecture (not the process's: an x64 pwsh under emulation on an arm64 Mac still gets the
    /// native binary).
    /// </summary>
    public static string Rid()
    {
        var os = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "win"
            : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "osx"
            : RuntimeInformation.IsOSPlatform(OSPlatform.Linux) ? "linux"
            : RuntimeInformation.IsOSPlatform(OSPlatform.FreeBSD) ? "freebsd"
            : "unknown";
        return $"{os}-{RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()}";
    }

    /// <summary>Where the packaged server for this platform is: &lt;moduleRoot&gt;/bin/&lt;rid&gt;/aztokenbridge[.exe].</summary>
    public static string ServerPath(string moduleRoot)
    {
        var rid = Rid();
        var name = rid.StartsWith("win-", StringComparison.Ordinal) ? "aztokenbridge.exe" : "aztokenbridge";
        return Path.Combine(moduleRoot, "bin", rid, name);
    }

    /// <summary>
    /// The packaged server for this platform (ServerPath), when it exists and, off Windows, has its owner's execute bit (what
    /// Initialize-AzTokenBridgeServerFile would leave as it is); otherwise null, and the module's
    /// script says why or makes it runnable.
    /// </summary>
    public static string? FindReady(string moduleRoot)
    {
        var path = ServerPath(moduleRoot);
        try
        {
            if (!File.Exists(path)) return null;
            if (OperatingSystem.IsWindows()) return path;
            return (File.GetUnixFileMode(path) & UnixFileMode.UserExecute) != 0 ? path : null;
        }
        catch (Exception)
        {
            return null; // the script's path reports it
        }
    }
}

// pwsh: PowerShell's own entry point (what the pwsh executable runs), nothing else.
public static class Program
{
    public static int Main(string[] args) => Microsoft.PowerShell.UnmanagedPSEntry.Start(args, args.Length);
}

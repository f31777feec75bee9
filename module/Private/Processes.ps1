# Processes: what the module starts, and how. The server: its command (the packaged binary for this
# platform, its execute bit and macOS signature repaired when an install lost them; or
# AZTOKENBRIDGE_SERVER), working directory and environment allow-list; the emulator's process and
# its watcher. The connection to the server (framing, the reader, the liveness checks, the request
# ids, one process-wide server shared by every runspace) is the client assembly's: module/Client,
# loaded by the manifest as bin/AzTokenBridge.Client.dll (see the top of ServerConnection.cs).
#
# Lifetime: the server exits when its stdin closes: on Remove-Module (OnRemove: StopShared), and on
# process exit (the OS closes the pipe). The assembly's threads are background threads, which never
# hold up pwsh's exit. Script that runs on a background runspace (the emulator's watcher) must wait
# in short slices: when pwsh closes its primary runspace it disposes every other runspace of the
# process, stopping its pipeline and WAITING for it, so a wait with no timeout would keep pwsh from
# exiting.

$script:StateKey = 'AzTokenBridge.State.v1'
$script:Utf8 = [System.Text.UTF8Encoding]::new($false)

function Get-AzTokenBridgeState {
    # The process-wide state of the script side (the emulator): one ConcurrentDictionary stored in
    # AppDomain data. (The server's connection is the client assembly's: Get-AzTokenBridgeServer.)
    $domain = [System.AppDomain]::CurrentDomain
    $state = $domain.GetData($script:StateKey)
    if ($null -eq $state) {
        [System.Threading.Monitor]::Enter($domain)
        try {
            $state = $domain.GetData($script:StateKey)
            if ($null -eq $state) {
                $state = [System.Collections.Concurrent.ConcurrentDictionary[string, object]]::new()
                $domain.SetData($script:StateKey, $state)
            }
        } finally {
            [System.Threading.Monitor]::Exit($domain)
        }
    }
    $state
}

function Get-AzTokenBridgeServerPath {
    # The packaged server for this platform: <module>/bin/<rid>/aztokenbridge[.exe]. Returns its
    # path, or an exception naming this OS and architecture and the platforms this copy carries.
    # The runtime id and the path are the client's (module/Client/ServerLocator.cs), one rule for both.
    $rid = [AzTokenBridge.Client.ServerLocator]::Rid()
    $bin = [System.IO.Path]::Combine($script:ModuleRoot, 'bin')
    $path = [AzTokenBridge.Client.ServerLocator]::ServerPath($script:ModuleRoot)
    if ([System.IO.File]::Exists($path)) { return $path }
    # (Sorted with .NET: the module keeps to Microsoft.PowerShell.Core's cmdlets.)
    $carried = [System.Collections.Generic.List[string]]::new()
    if ([System.IO.Directory]::Exists($bin)) {
        foreach ($dir in [System.IO.Directory]::GetDirectories($bin)) {
            if ([System.IO.File]::Exists([System.IO.Path]::Combine($dir, 'aztokenbridge')) -or
                [System.IO.File]::Exists([System.IO.Path]::Combine($dir, 'aztokenbridge.exe'))) { $carried.Add([System.IO.Path]::GetFileName($dir)) }
        }
    }
    $carried.Sort([System.StringComparer]::OrdinalIgnoreCase)
    $here = "$([System.Runtime.InteropServices.RuntimeInformation]::OSDescription.Trim()) on $([System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture) ($rid)"
    $message = if ($carried.Count -gt 0) {
        "AzTokenBridge has no server for this platform: $here. This copy of the module (version $($MyInvocation.MyCommand.Module.Version), $script:ModuleRoot) carries servers for $($carried -join ', ') only; '$path' does not exist. Set AZTOKENBRIDGE_SERVER to a command that runs the server (e.g. 'node <clone>/dist/aztokenbridge.js') to use it here."
    } else {
        "The AzTokenBridge server for this platform ($here) is not at '$path', and this copy of the module has none for any platform. Build it with ./build.ps1 (or npm run build), or set AZTOKENBRIDGE_SERVER to a command that runs it."
    }
    [System.IO.FileNotFoundException]::new($message, $path)
}

function Initialize-AzTokenBridgeServerFile {
    # Makes the packaged server runnable before its first start. Install-PSResource (and any zip
    # extraction) writes the package's files without their Unix modes, so the binary arrives without
    # its execute bit: it is set here (the user's, and group's and others' where they may read). On
    # macOS the binary's signature is checked first and, when the build could not sign it (a Mac
    # binary made on Linux: pkg signs with codesign or ldid, which Linux lacks), signed ad hoc with
    # the system's codesign, as Apple silicon runs nothing unsigned. The execute bit is set last: it
    # marks a file that is ready. Returns $null, or the exception saying why it cannot be made ready.
    param([string]$Path)
    if ($IsWindows) { return $null }
    try {
        $mode = [System.IO.File]::GetUnixFileMode($Path)
    } catch {
        return [System.IO.IOException]::new("Could not read the file mode of the AzTokenBridge server '$Path': $($_.Exception.Message)", $_.Exception)
    }
    if ($mode.HasFlag([System.IO.UnixFileMode]::UserExecute)) { return $null }
    $failed = $null
    if ($IsMacOS) {
        $codesign = '/usr/bin/codesign'
        & $codesign --verify $Path 2>$null
        if ($LASTEXITCODE -ne 0) {
            $output = & $codesign --force --sign - $Path 2>&1
            if ($LASTEXITCODE -ne 0) { $failed = "signing it ad hoc ($codesign --force --sign -) failed: $((@($output | ForEach-Object { [string]$_ }) -join "`n").Trim())" }
        }
    }
    if ($null -eq $failed) {
        $add = [System.IO.UnixFileMode]::UserExecute
        if ($mode.HasFlag([System.IO.UnixFileMode]::GroupRead)) { $add = $add -bor [System.IO.UnixFileMode]::GroupExecute }
        if ($mode.HasFlag([System.IO.UnixFileMode]::OtherRead)) { $add = $add -bor [System.IO.UnixFileMode]::OtherExecute }
        try {
            [System.IO.File]::SetUnixFileMode($Path, $mode -bor $add)
            return $null
        } catch {
            $cause = $_.Exception
            if ($cause -is [System.Management.Automation.MethodInvocationException] -and $cause.InnerException) { $cause = $cause.InnerException }
            $failed = "setting its execute bit failed: $($cause.Message)"
        }
    }
    $fix = if ($IsMacOS) { "codesign --force --sign - '$Path' && chmod +x '$Path'" } else { "chmod +x '$Path'" }
    [System.UnauthorizedAccessException]::new(
        "The AzTokenBridge server '$Path' is not executable: the module was installed without Unix file modes (as Install-PSResource installs), and the module could not make it executable before its first start: $failed. The install folder is read-only to this user; have its owner run: $fix (or install the module where you can write, e.g. Install-PSResource AzTokenBridge -Scope CurrentUser).")
}

function Resolve-AzTokenBridgeCommand {
    # The server's command line: $env:AZTOKENBRIDGE_SERVER (e.g. "node dist/aztokenbridge.js") when
    # set, else the packaged binary for this platform under module/bin/<rid>/ (made executable first:
    # Initialize-AzTokenBridgeServerFile). Returns the exception instead when there is none to run.
    param([string[]]$Arguments = @())
    if ($env:AZTOKENBRIDGE_SERVER) {
        $errors = $null
        $tokens = [System.Management.Automation.PSParser]::Tokenize($env:AZTOKENBRIDGE_SERVER, [ref]$errors)
        $parts = [System.Collections.Generic.List[string]]::new()
        foreach ($t in $tokens) { if ($t.Type -ne 'NewLine') { $parts.Add($t.Content) } }
        $rest = [System.Collections.Generic.List[string]]::new()
        for ($i = 1; $i -lt $parts.Count; $i++) { $rest.Add($parts[$i]) }
        foreach ($a in $Arguments) { $rest.Add($a) }
        return [pscustomobject]@{ FileName = $parts[0]; Arguments = $rest }
    }
    # The usual case in one compiled call (module/Client/ServerLocator.cs): the binary for this
    # platform is there and executable. Otherwise the functions below say why, or make it runnable.
    $ready = [AzTokenBridge.Client.ServerLocator]::FindReady($script:ModuleRoot)
    if ($ready) { return [pscustomobject]@{ FileName = $ready; Arguments = $Arguments } }
    $path = Get-AzTokenBridgeServerPath
    if ($path -is [System.Exception]) { return $path }
    $notReady = Initialize-AzTokenBridgeServerFile -Path $path
    if ($null -ne $notReady) { return $notReady }
    [pscustomobject]@{ FileName = $path; Arguments = $Arguments }
}

function Start-AzTokenBridgeProcess {
    # Starts the emulator (the server binary's `emulator` command) with all three standard streams
    # redirected. (The server itself is started by the client assembly: Get-AzTokenBridgeConnection.)
    # Returns the Process, or the exception that kept it from starting.
    param([string[]]$Arguments = @())
    $command = Resolve-AzTokenBridgeCommand -Arguments $Arguments
    if ($command -is [System.Exception]) { return $command }
    $psi = [System.Diagnostics.ProcessStartInfo]::new($command.FileName)
    foreach ($a in $command.Arguments) { $psi.ArgumentList.Add([string]$a) }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.CreateNoWindow = $true
    $psi.StandardOutputEncoding = $script:Utf8
    $psi.StandardErrorEncoding = $script:Utf8
    $location = $ExecutionContext.SessionState.Path.CurrentFileSystemLocation
    if ($location) { $psi.WorkingDirectory = $location.ProviderPath }
    # The emulator starts, as the server does, with the session's variables named in src/protocol.ts
    # SERVER_START_VARIABLES and no others (the client's rule).
    [AzTokenBridge.Client.ServerConnection]::ApplyAllowList($psi, [string[]]$script:ServerStartVariables)

    try {
        [System.Diagnostics.Process]::Start($psi)
    } catch {
        $cause = $_.Exception
        if ($cause -is [System.Management.Automation.MethodInvocationException] -and $cause.InnerException) { $cause = $cause.InnerException }
        [System.IO.FileNotFoundException]::new("Could not start the AzTokenBridge server '$($command.FileName)': $($cause.Message)", [string]$command.FileName, $cause)
    }
}

function Start-AzTokenBridgeBackground {
    # Runs $Script (which must need no cmdlets) with one argument on a runspace of its own, in the
    # background. Returns @{ PowerShell; Result }. Such a runspace is one of those pwsh disposes at
    # exit: the script must wait only in short slices.
    param([scriptblock]$Script, $Argument, [string]$Name)
    # An empty session state (no cmdlets), in full language mode.
    $iss = [System.Management.Automation.Runspaces.InitialSessionState]::Create()
    $iss.LanguageMode = [System.Management.Automation.PSLanguageMode]::FullLanguage
    $runspace = [System.Management.Automation.Runspaces.RunspaceFactory]::CreateRunspace($iss)
    $runspace.Name = $Name
    $runspace.Open()
    $ps = [powershell]::Create()
    $ps.Runspace = $runspace
    [void]$ps.AddScript($Script.ToString()).AddArgument($Argument)
    @{ PowerShell = $ps; Result = $ps.BeginInvoke() }
}

function Get-AzTokenBridgeServer {
    # The process-wide connection to the server (a ServerConnection: ProcessId, IsAlive,
    # PendingCount, DeathReason), or $null before the first call. For diagnostics and tests.
    [AzTokenBridge.Client.ServerConnection]::Shared
}

function Get-AzTokenBridgeConnection {
    # The live connection, started on first use and started again if the server died. Returns the
    # exception instead when no server can be started (no binary, not executable).
    #
    # Starting and storing happen in one .NET call (GetOrStart), so a stop cannot land between them
    # and leave a process to nobody; the trace lines are written after it.
    param([System.Management.Automation.PSCmdlet]$Cmdlet)
    $previous = [AzTokenBridge.Client.ServerConnection]::Shared
    if ($null -ne $previous -and $previous.IsAlive) { return $previous }
    $command = Resolve-AzTokenBridgeCommand
    if ($command -is [System.Exception]) { return $command }
    $info = [AzTokenBridge.Client.ServerStartInfo]::new([string]$command.FileName, [string[]]@($command.Arguments))
    $location = $ExecutionContext.SessionState.Path.CurrentFileSystemLocation
    if ($location) { $info.WorkingDirectory = $location.ProviderPath }
    # The child starts with the session's variables named in src/protocol.ts SERVER_START_VARIABLES
    # and no others: no secret of the session sits in its environment. What sign-in needs arrives
    # with each call (Get-AzTokenBridgeCallContext).
    $info.EnvironmentAllowList = [string[]]$script:ServerStartVariables
    $started = $false
    try {
        $conn = [AzTokenBridge.Client.ServerConnection]::GetOrStart($info, [ref]$started)
    } catch {
        $cause = $_.Exception
        if ($cause -is [System.Management.Automation.MethodInvocationException] -and $cause.InnerException) { $cause = $cause.InnerException }
        return $cause
    }
    if ($started) {
        if ($null -ne $previous) { Write-AzTokenBridgeTrace $Cmdlet "AzTokenBridge: the server (process $($previous.ProcessId)) has exited; starting a new one." }
        Write-AzTokenBridgeTrace $Cmdlet "AzTokenBridge: started the server (process $($conn.ProcessId)) in $([Math]::Round($conn.StartDuration.TotalMilliseconds, 1)) ms."
    }
    $conn
}

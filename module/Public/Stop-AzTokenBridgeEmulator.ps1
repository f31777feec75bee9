function Stop-AzTokenBridgeEmulator {
    # .ExternalHelp AzTokenBridge-help.xml
    [CmdletBinding(PositionalBinding = $false)]
    param()
    # Caller-scope preferences first (module/Private/Preferences.ps1).
    . Use-AzTokenBridgeCallerPreference
    $emulator = Stop-AzTokenBridgeEmulatorProcess
    if ($emulator) { Write-AzTokenBridgeTrace $PSCmdlet ("AzTokenBridge: emulator (process $($emulator.Process.Id)) stopped.") }
}

function Stop-AzTokenBridgeEmulatorProcess {
    # Shared by Stop-AzTokenBridgeEmulator and module removal.
    $state = Get-AzTokenBridgeState
    $emulator = $null
    if (-not $state.TryRemove('Emulator', [ref]$emulator)) { return }
    foreach ($entry in $emulator.PreviousEnvironment.GetEnumerator()) {
        [System.Environment]::SetEnvironmentVariable($entry.Key, $entry.Value)
    }
    try { $emulator.Process.StandardInput.Close() } catch { }
    try { if (-not $emulator.Process.WaitForExit(3000)) { $emulator.Process.Kill($true) } } catch { }
    if ($emulator.Watcher) {
        # The process has gone, so the watcher's loop ends within one slice.
        try {
            [void]$emulator.Watcher.Result.AsyncWaitHandle.WaitOne(1000)
            $rs = $emulator.Watcher.PowerShell.Runspace
            $emulator.Watcher.PowerShell.Dispose()
            $rs.Dispose()
        } catch { }
    }
    $emulator
}

# Watches the emulator from a background runspace (Start-AzTokenBridgeBackground). It only waits, in
# short slices; when PowerShell exits and disposes this runspace, it closes the emulator's stdin on
# its way out, and the emulator exits.
$script:EmulatorWatcherScript = {
    param($emulator)
    [System.Threading.Thread]::CurrentThread.IsBackground = $true
    $process = $emulator.Process
    try {
        while (-not $process.WaitForExit(100)) { }
    } finally {
        if (-not $process.HasExited) { try { $process.StandardInput.Close() } catch { } }
    }
}

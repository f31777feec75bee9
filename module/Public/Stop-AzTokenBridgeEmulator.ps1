function Stop-AzTokenBridgeEmulator {
    <#
    .SYNOPSIS
    Stops the local Azure emulator started by Start-AzTokenBridgeEmulator.

    .DESCRIPTION
    Stops the emulator process and restores the environment variables Start-AzTokenBridgeEmulator
    changed to the values they had before. Does nothing when no emulator is running.

    .EXAMPLE
    Stop-AzTokenBridgeEmulator
    #>
    [CmdletBinding()]
    param()
    $emulator = Stop-AzTokenBridgeEmulatorProcess
    if ($emulator) { $PSCmdlet.WriteVerbose("AzTokenBridge: emulator (process $($emulator.Process.Id)) stopped.") }
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
    $emulator
}

function Start-AzTokenBridgeEmulator {
    # .ExternalHelp AzTokenBridge-help.xml
    [CmdletBinding(PositionalBinding = $false)]
    [OutputType('AzTokenBridge.EmulatorInfo')]
    param(
        [ValidateRange(0, 65535)][int]$Port = 0,
        [ValidateRange(0, 600000)][int]$LatencyMs = 0
    )
    # Caller-scope preferences first (module/Private/Preferences.ps1).
    . Use-AzTokenBridgeCallerPreference
    $state = Get-AzTokenBridgeState
    $running = $state['Emulator']
    if ($null -ne $running -and -not $running.Process.HasExited) {
        $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
            [System.InvalidOperationException]::new("The emulator is already running (process $($running.Process.Id), $($running.Info.ArmEndpoint)). Run Stop-AzTokenBridgeEmulator first."),
            'EmulatorAlreadyRunning', 'ResourceExists', $running.Info))
    }
    $process = Start-AzTokenBridgeProcess -Arguments @('emulator', '--port', "$Port", '--latency-ms', "$LatencyMs")
    if ($process -is [System.Exception]) {
        $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new($process, 'EmulatorStartFailed', 'ObjectNotFound', $null))
    }
    $registered = $false
    try {
        # The emulator writes one JSON line describing itself, then serves until its stdin closes.
        $lineTask = $process.StandardOutput.ReadLineAsync()
        $deadline = [datetime]::UtcNow.AddSeconds(30)
        while (-not $lineTask.AsyncWaitHandle.WaitOne(100)) {
            if ($process.HasExited -or [datetime]::UtcNow -gt $deadline) { break }
        }
        $line = if ($lineTask.IsCompletedSuccessfully) { $lineTask.Result } else { $null }
        if (-not $line) {
            $stderr = ''
            if ($process.HasExited) { $stderr = try { $process.StandardError.ReadToEnd().Trim() } catch { '' } }
            $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
                [System.InvalidOperationException]::new("The emulator did not start. $stderr"), 'EmulatorStartFailed', 'OpenError', $null))
        }
        # From here on its output is not read: drain both streams so it never blocks on a full pipe.
        $null = $process.StandardOutput.BaseStream.CopyToAsync([System.IO.Stream]::Null)
        $null = $process.StandardError.BaseStream.CopyToAsync([System.IO.Stream]::Null)

        $raw = [AzTokenBridge.Client.PSJson]::ParseToPS($line)

        $variables = [ordered]@{
            AZURE_TENANT_ID            = $raw.tenantId
            AZURE_CLIENT_ID            = $raw.clientId
            AZURE_CLIENT_SECRET        = $raw.clientSecret
            AZURE_SUBSCRIPTION_ID      = $raw.subscriptionId
            AZURE_AUTHORITY_HOST       = $raw.authorityHost
            AZTOKENBRIDGE_ARM_ENDPOINT = $raw.armEndpoint
            NODE_EXTRA_CA_CERTS        = $raw.caFile
        }
        # The info object carries no secret: the client secret is only in AZURE_CLIENT_SECRET.
        $info = [pscustomobject]@{
            PSTypeName      = 'AzTokenBridge.EmulatorInfo'
            ProcessId       = $process.Id
            ArmEndpoint     = $raw.armEndpoint
            AuthorityHost   = $raw.authorityHost
            TenantId        = $raw.tenantId
            SubscriptionId  = $raw.subscriptionId
            ClientId        = $raw.clientId
            ResourceGroup   = $raw.resourceGroup
            ApimServiceName = $raw.apimServiceName
            CaFile          = $raw.caFile
            ControlEndpoint = $raw.controlEndpoint
            # New-PartnerAccessToken: a public client app for the user flows, the demo users (the first
            # is the default sign-in), and the demo app's certificate (PEM with its private key).
            PublicClientId  = $raw.publicClientId
            Users           = [string[]]@($raw.users)
            CertificatePath = $raw.certificatePath
        }
        $previous = @{}
        foreach ($name in $variables.Keys) { $previous[$name] = [System.Environment]::GetEnvironmentVariable($name) }
        $emulator = [hashtable]::Synchronized(@{ Process = $process; Info = $info; PreviousEnvironment = $previous })
        # The watcher ends the emulator when PowerShell exits (see Processes.ps1 on how pwsh exits).
        $emulator.Watcher = Start-AzTokenBridgeBackground -Script $script:EmulatorWatcherScript -Argument $emulator -Name 'AzTokenBridge.Emulator'
        $state['Emulator'] = $emulator
        $registered = $true
        foreach ($name in $variables.Keys) { [System.Environment]::SetEnvironmentVariable($name, [string]$variables[$name]) }
    } finally {
        # Failed or stopped before it was registered: nobody else would ever end it.
        if (-not $registered) { try { if (-not $process.HasExited) { $process.Kill($true) } } catch { } }
    }
    Write-AzTokenBridgeTrace $PSCmdlet ("AzTokenBridge: emulator started (process $($process.Id)) at $($raw.armEndpoint); this session now signs in to it.")
    $info
}

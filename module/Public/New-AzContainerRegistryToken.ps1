function New-AzContainerRegistryToken {
    # .ExternalHelp AzTokenBridge-help.xml
    [CmdletBinding(DefaultParameterSetName = 'CreateExpanded', PositionalBinding = $false, SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Microsoft.Azure.PowerShell.Cmdlets.ContainerRegistry.Models.Api20220201Preview.IToken')]
    param(
        [Parameter(ParameterSetName = 'CreateExpanded', Mandatory)]
        [Parameter(ParameterSetName = 'Create', Mandatory)]
        [Alias('TokenName')]
        [ArgumentCompleter([AzTokenBridge.Client.ArgumentCompleter])]
        [string]$Name,

        [Parameter(ParameterSetName = 'CreateExpanded', Mandatory)]
        [Parameter(ParameterSetName = 'Create', Mandatory)]
        [ArgumentCompleter([AzTokenBridge.Client.ArgumentCompleter])]
        [string]$RegistryName,

        [Parameter(ParameterSetName = 'CreateExpanded', Mandatory)]
        [Parameter(ParameterSetName = 'Create', Mandatory)]
        [ArgumentCompleter([AzTokenBridge.Client.ArgumentCompleter])]
        [string]$ResourceGroupName,

        [Parameter(ParameterSetName = 'CreateExpanded')]
        [Parameter(ParameterSetName = 'Create')]
        [string]$SubscriptionId,

        [Parameter(ParameterSetName = 'CreateViaIdentity', Mandatory, ValueFromPipeline)]
        [Parameter(ParameterSetName = 'CreateViaIdentityExpanded', Mandatory, ValueFromPipeline)]
        [ValidateNotNull()]
        $InputObject,

        [Parameter(ParameterSetName = 'Create', Mandatory, ValueFromPipeline)]
        [Parameter(ParameterSetName = 'CreateViaIdentity', Mandatory, ValueFromPipeline)]
        [ValidateNotNull()]
        $TokenCreateParameter,

        [Parameter(ParameterSetName = 'CreateExpanded')]
        [Parameter(ParameterSetName = 'CreateViaIdentityExpanded')]
        [object[]]$CredentialsCertificate,

        [Parameter(ParameterSetName = 'CreateExpanded')]
        [Parameter(ParameterSetName = 'CreateViaIdentityExpanded')]
        [object[]]$CredentialsPassword,

        [Parameter(ParameterSetName = 'CreateExpanded')]
        [Parameter(ParameterSetName = 'CreateViaIdentityExpanded')]
        [ArgumentCompleter([AzTokenBridge.Client.ArgumentCompleter])]
        [string]$ScopeMapId,

        [Parameter(ParameterSetName = 'CreateExpanded')]
        [Parameter(ParameterSetName = 'CreateViaIdentityExpanded')]
        [AzTokenBridge.Models.TokenStatus]$Status,

        [switch]$GeneratePassword,

        [Alias('AzureRMContext', 'AzureCredential')]
        $DefaultProfile,

        [switch]$AsJob,

        [switch]$NoWait,

        # Inputs in flight at once when they are piped (AzTokenBridge; not in Az). Default:
        # $env:AZTOKENBRIDGE_THROTTLE_LIMIT, else 16. Output keeps the input order.
        [ValidateRange(1, 256)]
        [int]$ThrottleLimit
    )
    begin {
        # Caller-scope preferences first (module/Private/Preferences.ps1).
        . Use-AzTokenBridgeCallerPreference
        # Every input is one acr/createToken request (the server polls), in the window.
        $window = New-AzTokenBridgeWindow $PSCmdlet -Limit $ThrottleLimit -Writer ${function:Write-AzTokenBridgeAcrTokenCreated} -ProgressCount 'tokens created'
        # The sign-in context is read once per invocation, not per input (-AsJob reads its own).
        $callContext = if ($AsJob) { $null } else { Get-AzTokenBridgeCallContext -DefaultProfile $DefaultProfile }
    }
    process {
        $set = $PSCmdlet.ParameterSetName
        if ($GeneratePassword -and $NoWait) {
            Write-AzTokenBridgeErrorRecord $PSCmdlet ([System.Management.Automation.ErrorRecord]::new(
                [System.ArgumentException]::new('-GeneratePassword needs the token to exist: it cannot be combined with -NoWait.', 'GeneratePassword'),
                'GeneratePasswordWithNoWait', 'InvalidArgument', $null))
            return
        }
        # Where: the path parameters, or the identity's parts (Az: an Id wins over the parts).
        if ($set -like 'CreateViaIdentity*') {
            $identity = Resolve-AzTokenBridgeAcrIdentity $PSCmdlet $InputObject
            if ($identity -is [System.Management.Automation.ErrorRecord]) { Add-AzTokenBridgeWindowError $PSCmdlet $window $identity; return }
            $ref = @{ resourceGroupName = $identity.ResourceGroupName; registryName = $identity.RegistryName; tokenName = $identity.TokenName; subscriptionId = $identity.SubscriptionId }
        } else {
            $ref = @{ resourceGroupName = $ResourceGroupName; registryName = $RegistryName; tokenName = $Name }
            if ($PSBoundParameters.ContainsKey('SubscriptionId')) { $ref['subscriptionId'] = $SubscriptionId }
        }

        # What: the body from -TokenCreateParameter or the expanded parameters.
        if ($set -in 'Create', 'CreateViaIdentity') {
            $body = ConvertTo-AzTokenBridgeAcrTokenBody -TokenCreateParameter $TokenCreateParameter
        } else {
            $expanded = @{}
            foreach ($k in 'ScopeMapId', 'Status', 'CredentialsCertificate', 'CredentialsPassword') { if ($PSBoundParameters.ContainsKey($k)) { $expanded[$k] = $PSBoundParameters[$k] } }
            $body = ConvertTo-AzTokenBridgeAcrTokenBody -Expanded $expanded
        }
        if ($body -is [System.Exception]) {
            # Not JSON, or a key the model does not have (module/Private/Acr.ps1): refused before any call.
            $badParameter = if ($body -is [System.ArgumentException] -and $body.ParamName) { $body.ParamName } else { 'TokenCreateParameter' }
            $badValue = if ($badParameter -eq 'TokenCreateParameter') { $TokenCreateParameter } else { $PSBoundParameters[$badParameter] }
            Add-AzTokenBridgeWindowError $PSCmdlet $window ([System.Management.Automation.ErrorRecord]::new($body, "Invalid$badParameter", 'InvalidArgument', $badValue))
            return
        }

        # Az's ShouldProcess text (the internal cmdlet's name as the action).
        if (-not $PSCmdlet.ShouldProcess("Call remote 'TokensCreate' operation", "New-AzContainerRegistryToken_$set")) { return }

        if ($AsJob) {
            # A job at once, shaped as Az's (module/Client/CmdletJob.cs): its Command is the line the
            # user typed; the same call runs in a runspace of its own in this process (it shares the
            # server) and writes to the job's streams, so Receive-Job yields the token, or this
            # cmdlet's own error record (the job ends Failed).
            $bound = [ordered]@{}
            foreach ($k in $PSBoundParameters.Keys) { if ($k -notin 'AsJob', 'WhatIf', 'Confirm') { $bound[$k] = $PSBoundParameters[$k] } }
            $bound['Confirm'] = $false
            # Az.Accounts, when this session has it, is loaded in the job too: the job signs in as
            # the session does (its Get-AzContext / Get-AzAccessToken).
            $modules = @(@(Get-Module -Name Az.Accounts)[0].ModuleBase | Where-Object { $_ }) + [System.IO.Path]::Combine($script:ModuleRoot, 'AzTokenBridge.psd1')
            $job = [AzTokenBridge.Client.CmdletJob]::Start($MyInvocation.Line.Trim(), "New-AzContainerRegistryToken_$set", [string[]]$modules, 'AzTokenBridge\New-AzContainerRegistryToken', $bound)
            $PSCmdlet.JobRepository.Add($job)
            $job
            return
        }

        $params = @{}
        foreach ($k in $ref.Keys) { $params[$k] = $ref[$k] }
        $params['token'] = $body
        if ($NoWait) { $params['noWait'] = $true }
        if ($GeneratePassword) { $params['generatePasswords'] = Get-AzTokenBridgeAcrPasswordCalls $body['passwords'] }
        $callTarget = New-AzTokenBridgeAcrCallTarget $params -NameField 'tokenName' -Body $body
        Send-AzTokenBridgeWindowCall $PSCmdlet $window -Method 'acr/createToken' -Params $params -CallContext $callContext -State @{ Target = $callTarget; NoWait = [bool]$NoWait }
    }
    end {
        Complete-AzTokenBridgeWindow $PSCmdlet $window
    }
    clean {
        Stop-AzTokenBridgeWindow $window
    }
}

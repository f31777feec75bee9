function New-AzContainerRegistryToken {
    <#
    .SYNOPSIS
    Creates a token for a container registry with the specified parameters.

    .DESCRIPTION
    Creates a token for a container registry with the specified parameters.

    The creation is a long-running operation: the AzTokenBridge server waits as long as the
    service's Retry-After asks (30 seconds when it names none) before each status request, and the
    cmdlet shows its progress, then writes the token. -NoWait returns as soon as the service has
    accepted the creation; -AsJob returns a job at once. Ctrl+C stops the polling.

    Piped inputs are created concurrently (AzTokenBridge; Az takes one at a time): up to
    -ThrottleLimit tokens at once, each with its own polls, written in input order; a failed input
    is an error for that input and the others go on.

    -GeneratePassword (not in Az) also generates the token's passwords once it exists, as
    `az acr token create` does: both, or those named in -CredentialsPassword (with their Expiry).
    The values are in CredentialsPassword[].Value of the output: the service shows them only once.

    .PARAMETER Name
    The name of the token.

    .PARAMETER RegistryName
    The name of the container registry.

    .PARAMETER ResourceGroupName
    The name of the resource group to which the container registry belongs.

    .PARAMETER SubscriptionId
    The Microsoft Azure subscription ID. Default: the session's subscription (AZURE_SUBSCRIPTION_ID,
    -DefaultProfile, the Az.Accounts context or the Azure CLI's default subscription).

    .PARAMETER InputObject
    Identity Parameter. To construct, see NOTES section for INPUTOBJECT properties and create a
    hash table. A token's resource id (string), or any object with an Id (this cmdlet's output,
    Get-AzContainerRegistryToken's) is accepted too.

    .PARAMETER TokenCreateParameter
    An object that represents a token for a container registry. To construct, see NOTES section
    for TOKENCREATEPARAMETER properties and create a hash table.

    .PARAMETER CredentialsCertificate
    To construct, see NOTES section for CREDENTIALSCERTIFICATE properties and create a hash table.

    .PARAMETER CredentialsPassword
    To construct, see NOTES section for CREDENTIALSPASSWORD properties and create a hash table.

    .PARAMETER ScopeMapId
    The resource ID of the scope map to which the token will be associated with.

    .PARAMETER Status
    The status of the token example enabled or disabled.

    .PARAMETER GeneratePassword
    Generate the token's passwords once it has been created (POST generateCredentials): both
    password1 and password2, or those named in -CredentialsPassword, each with its Expiry. The
    output's CredentialsPassword then carries the values. Not with -NoWait.

    .PARAMETER DefaultProfile
    The credentials, account, tenant, and subscription used for communication with Azure: an Az
    context, or a hashtable with TenantId, SubscriptionId, ClientId, ClientSecret or
    CertificatePath (and CertificatePassword), Environment.

    .PARAMETER AsJob
    Run the command as a job

    .PARAMETER NoWait
    Run the command asynchronously

    .PARAMETER ThrottleLimit
    AzTokenBridge's own (not in Az): how many tokens may be in creation at once (their polls
    included) when inputs are piped. Default: $env:AZTOKENBRIDGE_THROTTLE_LIMIT, else 16. Tokens
    are written in input order.

    .EXAMPLE
    New-AzContainerRegistryToken -Name token2 -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId /subscriptions/9e223dbe-3399-4e19-88eb-0975f02ac87f/resourceGroups/lnxtest/providers/Microsoft.ContainerRegistry/registries/lnxcr/scopeMaps/newmap

    Create new token for certain container registry

    .EXAMPLE
    $token = New-AzContainerRegistryToken -Name ci-pull -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId (Get-AzContainerRegistryScopeMap -RegistryName lnxcr -ResourceGroupName lnxtest -Name _repositories_pull).Id -GeneratePassword
    $token.CredentialsPassword | ForEach-Object { "$($_.Name): $($_.Value)" }

    Creates a pull-only token with both passwords, and shows them (the only time they can be read).

    .INPUTS
    Microsoft.Azure.PowerShell.Cmdlets.ContainerRegistry.Models.Api20220201Preview.IToken

    .INPUTS
    Microsoft.Azure.PowerShell.Cmdlets.ContainerRegistry.Models.IContainerRegistryIdentity

    .OUTPUTS
    Microsoft.Azure.PowerShell.Cmdlets.ContainerRegistry.Models.Api20220201Preview.IToken

    .NOTES
    COMPLEX PARAMETER PROPERTIES

    To create the parameters described below, construct a hash table containing the appropriate
    properties. For information on hash tables, run Get-Help about_Hash_Tables.

    CREDENTIALSCERTIFICATE <ITokenCertificate[]>: .
      [EncodedPemCertificate <String>]: Base 64 encoded string of the public certificate1 in PEM format that will be used for authenticating the token.
      [Expiry <DateTime?>]: The expiry datetime of the certificate.
      [Name <TokenCertificateName?>]:
      [Thumbprint <String>]: The thumbprint of the certificate.

    CREDENTIALSPASSWORD <ITokenPassword[]>: .
      [CreationTime <DateTime?>]: The creation datetime of the password.
      [Expiry <DateTime?>]: The expiry datetime of the password.
      [Name <TokenPasswordName?>]: The password name "password1" or "password2"

    INPUTOBJECT <IContainerRegistryIdentity>: Identity Parameter
      [Id <String>]: Resource identity path
      [RegistryName <String>]: The name of the container registry.
      [ResourceGroupName <String>]: The name of the resource group to which the container registry belongs.
      [SubscriptionId <String>]: The Microsoft Azure subscription ID.
      [TokenName <String>]: The name of the token.
      (AgentPoolName, ConnectedRegistryName, ExportPipelineName, GroupName, ImportPipelineName,
      PipelineRunName, PrivateEndpointConnectionName, ReplicationName, RunId, ScopeMapName,
      TaskName, TaskRunName, WebhookName are accepted and not used here.)

    TOKENCREATEPARAMETER <IToken>: An object that represents a token for a container registry.
      [SystemDataCreatedAt <DateTime?>] … [SystemDataLastModifiedByType <LastModifiedByType?>]: read-only, not sent.
      [CredentialsCertificate <ITokenCertificate[]>]: as CREDENTIALSCERTIFICATE
      [CredentialsPassword <ITokenPassword[]>]: as CREDENTIALSPASSWORD
      [ScopeMapId <String>]: The resource ID of the scope map to which the token will be associated with.
      [Status <TokenStatus?>]: The status of the token example enabled or disabled.
    #>
    [CmdletBinding(DefaultParameterSetName = 'CreateExpanded', PositionalBinding = $false, SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Microsoft.Azure.PowerShell.Cmdlets.ContainerRegistry.Models.Api20220201Preview.IToken')]
    param(
        [Parameter(ParameterSetName = 'CreateExpanded', Mandatory)]
        [Parameter(ParameterSetName = 'Create', Mandatory)]
        [Alias('TokenName')]
        [string]$Name,

        [Parameter(ParameterSetName = 'CreateExpanded', Mandatory)]
        [Parameter(ParameterSetName = 'Create', Mandatory)]
        [string]$RegistryName,

        [Parameter(ParameterSetName = 'CreateExpanded', Mandatory)]
        [Parameter(ParameterSetName = 'Create', Mandatory)]
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
        [string]$ScopeMapId,

        [Parameter(ParameterSetName = 'CreateExpanded')]
        [Parameter(ParameterSetName = 'CreateViaIdentityExpanded')]
        [ArgumentCompleter({ param($c, $p, $word) 'enabled', 'disabled' | Where-Object { $_ -like "$word*" } })]
        [string]$Status,

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
        $window = New-AzTokenBridgeWindow -Limit $ThrottleLimit -Writer ${function:Write-AzTokenBridgeAcrTokenCreated} -ProgressCount 'tokens created'
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
            $identity = Resolve-AzTokenBridgeAcrIdentity $InputObject
            if ($identity -is [System.Management.Automation.ErrorRecord]) { Add-AzTokenBridgeWindowError $PSCmdlet $window $identity; return }
            $ref = @{ resourceGroupName = $identity.ResourceGroupName; registryName = $identity.RegistryName; tokenName = $identity.TokenName; subscriptionId = $identity.SubscriptionId }
        } else {
            $ref = @{ resourceGroupName = $ResourceGroupName; registryName = $RegistryName; tokenName = $Name }
            if ($PSBoundParameters.ContainsKey('SubscriptionId')) { $ref['subscriptionId'] = $SubscriptionId }
        }
        $target = if ($set -like 'CreateViaIdentity*') { $InputObject } else { $ref['tokenName'] }

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
        Wait-AzTokenBridgeWindowRoom $PSCmdlet $window
        $request = Send-AzTokenBridgeRequest -Cmdlet $PSCmdlet -Method 'acr/createToken' -Params $params -CallContext $callContext
        Add-AzTokenBridgeWindowItem $PSCmdlet $window $request @{ Target = $target; NoWait = [bool]$NoWait }
    }
    end {
        Complete-AzTokenBridgeWindow $PSCmdlet $window
    }
    clean {
        Stop-AzTokenBridgeWindow $window
    }
}

function New-AzContainerRegistryCredentials {
    <#
    .SYNOPSIS
    Generate keys for a token of a specified container registry.

    .DESCRIPTION
    Generate keys for a token of a specified container registry: both passwords, or the one named
    by -Name. The values are returned once (Password for password1, Password2 for password2): the
    service never shows them again, but new ones can be generated.

    .PARAMETER RegistryName
    The name of the container registry.

    .PARAMETER ResourceGroupName
    The name of the resource group. The name is case insensitive.

    .PARAMETER SubscriptionId
    The ID of the target subscription. The value must be an UUID. Default: the session's subscription.

    .PARAMETER TokenId
    The resource ID of the token for which credentials have to be generated. Binds by property
    name from a token's Id (New-AzContainerRegistryToken or Get-AzContainerRegistryToken output).

    .PARAMETER Name
    Specifies name of the password which should be regenerated if any -- password1 or password2.

    .PARAMETER Expiry
    The expiry date of the generated credentials after which the credentials become invalid.

    .PARAMETER DefaultProfile
    The credentials, account, tenant, and subscription used for communication with Azure: an Az
    context, or a hashtable with TenantId, SubscriptionId, ClientId, ClientSecret or
    CertificatePath (and CertificatePassword), Environment.

    .PARAMETER ThrottleLimit
    AzTokenBridge's own (not in Az): how many requests may be in flight at once when inputs are
    piped. Default: $env:AZTOKENBRIDGE_THROTTLE_LIMIT, else 16. Output keeps the input order.

    .EXAMPLE
    New-AzContainerRegistryCredentials -TokenId /subscriptions/9e223dbe-3399-4e19-88eb-0975f02ac87f/resourceGroups/lnxtest/providers/Microsoft.ContainerRegistry/registries/lnxcr/tokens/token2 -RegistryName lnxcr -ResourceGroupName lnxtest

    Generates both passwords of token2.

    .EXAMPLE
    Get-AzContainerRegistryToken -RegistryName lnxcr -ResourceGroupName lnxtest -Name token2 | New-AzContainerRegistryCredentials -RegistryName lnxcr -ResourceGroupName lnxtest -Name password2 -Expiry ([datetime]::UtcNow.AddDays(30))

    Regenerates password2 of token2, valid for 30 days.

    .OUTPUTS
    Microsoft.Azure.PowerShell.Cmdlets.ContainerRegistry.Models.PSContainerRegistryCredential
    #>
    [CmdletBinding(DefaultParameterSetName = 'GenerateExpanded', PositionalBinding = $false, SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Microsoft.Azure.PowerShell.Cmdlets.ContainerRegistry.Models.PSContainerRegistryCredential')]
    param(
        [Parameter(ParameterSetName = 'GenerateExpanded', Mandatory)]
        [string]$RegistryName,

        [Parameter(ParameterSetName = 'GenerateExpanded', Mandatory)]
        [string]$ResourceGroupName,

        [Parameter(ParameterSetName = 'GenerateExpanded')]
        [string]$SubscriptionId,

        [Parameter(ParameterSetName = 'GenerateExpanded', Mandatory, ValueFromPipelineByPropertyName)]
        [Alias('Id')]
        [string]$TokenId,

        [Parameter(ParameterSetName = 'GenerateExpanded')]
        [ArgumentCompleter({ param($c, $p, $word) 'password1', 'password2' | Where-Object { $_ -like "$word*" } })]
        [string]$Name,

        [Parameter(ParameterSetName = 'GenerateExpanded')]
        [datetime]$Expiry,

        [Alias('AzureRMContext', 'AzureCredential')]
        $DefaultProfile,

        # Inputs in flight at once when they are piped (AzTokenBridge; not in Az). Default:
        # $env:AZTOKENBRIDGE_THROTTLE_LIMIT, else 16. Output keeps the input order.
        [ValidateRange(1, 256)]
        [int]$ThrottleLimit
    )
    begin {
        # Caller-scope preferences first (module/Private/Preferences.ps1).
        . Use-AzTokenBridgeCallerPreference
        $window = New-AzTokenBridgeWindow -Limit $ThrottleLimit -Writer ${function:Write-AzTokenBridgeAcrCredential}
        $callContext = Get-AzTokenBridgeCallContext -DefaultProfile $DefaultProfile
    }
    process {
        $params = @{ resourceGroupName = $ResourceGroupName; registryName = $RegistryName; tokenId = $TokenId }
        if ($PSBoundParameters.ContainsKey('SubscriptionId')) { $params['subscriptionId'] = $SubscriptionId }
        if ($PSBoundParameters.ContainsKey('Name')) { $params['passwordName'] = $Name }
        if ($PSBoundParameters.ContainsKey('Expiry')) { $params['expiry'] = ConvertTo-AzTokenBridgeWireDate $Expiry }
        if (-not $PSCmdlet.ShouldProcess("Call remote 'RegistriesGenerateCredentials' operation", 'New-AzContainerRegistryCredentials_GenerateExpanded')) { return }
        Wait-AzTokenBridgeWindowRoom $PSCmdlet $window
        $target = New-AzTokenBridgeAcrCallTarget $params -Body ([pscustomobject]@{ TokenId = $TokenId; Name = $params['passwordName']; Expiry = $params['expiry'] })
        $request = Send-AzTokenBridgeRequest -Cmdlet $PSCmdlet -Method 'acr/generateCredentials' -Params $params -CallContext $callContext
        Add-AzTokenBridgeWindowItem $PSCmdlet $window $request @{ Target = $target }
    }
    end {
        Complete-AzTokenBridgeWindow $PSCmdlet $window
    }
    clean {
        Stop-AzTokenBridgeWindow $window
    }
}

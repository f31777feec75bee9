function New-AzContainerRegistryCredentials {
    # .ExternalHelp AzTokenBridge-help.xml
    [CmdletBinding(DefaultParameterSetName = 'GenerateExpanded', PositionalBinding = $false, SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Microsoft.Azure.PowerShell.Cmdlets.ContainerRegistry.Models.PSContainerRegistryCredential')]
    param(
        [Parameter(ParameterSetName = 'GenerateExpanded', Mandatory)]
        [ArgumentCompleter([AzTokenBridge.Client.ArgumentCompleter])]
        [string]$RegistryName,

        [Parameter(ParameterSetName = 'GenerateExpanded', Mandatory)]
        [ArgumentCompleter([AzTokenBridge.Client.ArgumentCompleter])]
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
        $window = New-AzTokenBridgeWindow $PSCmdlet -Limit $ThrottleLimit -Writer ${function:Write-AzTokenBridgeAcrCredential}
        $callContext = Get-AzTokenBridgeCallContext -DefaultProfile $DefaultProfile
    }
    process {
        $params = @{ resourceGroupName = $ResourceGroupName; registryName = $RegistryName; tokenId = $TokenId }
        if ($PSBoundParameters.ContainsKey('SubscriptionId')) { $params['subscriptionId'] = $SubscriptionId }
        if ($PSBoundParameters.ContainsKey('Name')) { $params['passwordName'] = $Name }
        if ($PSBoundParameters.ContainsKey('Expiry')) { $params['expiry'] = ConvertTo-AzTokenBridgeWireDate $Expiry }
        if (-not $PSCmdlet.ShouldProcess("Call remote 'RegistriesGenerateCredentials' operation", 'New-AzContainerRegistryCredentials_GenerateExpanded')) { return }
        $target = New-AzTokenBridgeAcrCallTarget $params -Body ([pscustomobject]@{ TokenId = $TokenId; Name = $params['passwordName']; Expiry = $params['expiry'] })
        Send-AzTokenBridgeWindowCall $PSCmdlet $window -Method 'acr/generateCredentials' -Params $params -CallContext $callContext -State @{ Target = $target }
    }
    end {
        Complete-AzTokenBridgeWindow $PSCmdlet $window
    }
    clean {
        Stop-AzTokenBridgeWindow $window
    }
}

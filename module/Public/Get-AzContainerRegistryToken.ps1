function Get-AzContainerRegistryToken {
    # .ExternalHelp AzTokenBridge-help.xml
    [CmdletBinding(DefaultParameterSetName = 'List', PositionalBinding = $false)]
    [OutputType('Microsoft.Azure.PowerShell.Cmdlets.ContainerRegistry.Models.Api20220201Preview.IToken')]
    param(
        [Parameter(ParameterSetName = 'Get', Mandatory)]
        [Alias('TokenName')]
        [ArgumentCompleter([AzTokenBridge.Client.ArgumentCompleter])]
        [string]$Name,

        [Parameter(ParameterSetName = 'List', Mandatory)]
        [Parameter(ParameterSetName = 'Get', Mandatory)]
        [ArgumentCompleter([AzTokenBridge.Client.ArgumentCompleter])]
        [string]$RegistryName,

        [Parameter(ParameterSetName = 'List', Mandatory)]
        [Parameter(ParameterSetName = 'Get', Mandatory)]
        [ArgumentCompleter([AzTokenBridge.Client.ArgumentCompleter])]
        [string]$ResourceGroupName,

        [Parameter(ParameterSetName = 'List')]
        [Parameter(ParameterSetName = 'Get')]
        [string]$SubscriptionId,

        [Parameter(ParameterSetName = 'GetViaIdentity', Mandatory, ValueFromPipeline)]
        [ValidateNotNull()]
        $InputObject,

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
        $window = New-AzTokenBridgeWindow $PSCmdlet -Limit $ThrottleLimit -Writer ${function:Write-AzTokenBridgeAcrRegistryItem}
        $callContext = Get-AzTokenBridgeCallContext -DefaultProfile $DefaultProfile
    }
    process {
        Send-AzTokenBridgeAcrRegistryItem -Cmdlet $PSCmdlet -Window $window -Kind Token -Bound $PSBoundParameters -CallContext $callContext
    }
    end {
        Complete-AzTokenBridgeWindow $PSCmdlet $window
    }
    clean {
        Stop-AzTokenBridgeWindow $window
    }
}

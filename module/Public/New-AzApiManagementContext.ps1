function New-AzApiManagementContext {
    # .ExternalHelp AzTokenBridge-help.xml
    [CmdletBinding(PositionalBinding = $false, DefaultParameterSetName = 'ContextParameterSet')]
    [OutputType('Microsoft.Azure.Commands.ApiManagement.ServiceManagement.Models.PsApiManagementContext')]
    param(
        [Parameter(ParameterSetName = 'ContextParameterSet', Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [ArgumentCompleter([AzTokenBridge.Client.ArgumentCompleter])]
        [string]$ResourceGroupName,

        [Parameter(ParameterSetName = 'ContextParameterSet', Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [ArgumentCompleter([AzTokenBridge.Client.ArgumentCompleter])]
        [string]$ServiceName,

        [Parameter(ParameterSetName = 'ResourceIdParameterSet', Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string]$ResourceId,

        [Alias('AzContext', 'AzureRmContext', 'AzureCredential')]
        $DefaultProfile
    )
    begin {
        # Caller-scope preferences first (module/Private/Preferences.ps1).
        . Use-AzTokenBridgeCallerPreference
    }
    process {
        # Locals, not the parameters: those carry [ValidateNotNullOrEmpty()], which an assignment
        # of $null (a resource id without that part) would trip as an unclear error.
        $rgName = $ResourceGroupName; $svcName = $ServiceName; $subscriptionId = $null
        if ($PSCmdlet.ParameterSetName -eq 'ResourceIdParameterSet') {
            # The server reads the id (module/Private/ResourceId.ps1): Az.ApiManagement's lenient
            # parse, each part $null when the id lacks it.
            $parsed = Get-AzTokenBridgeResourceIdParts -Cmdlet $PSCmdlet -Params @{ kind = 'ApiManagementService'; resourceId = $ResourceId } -Target $null
            if ($parsed -is [System.Management.Automation.ErrorRecord]) { Write-AzTokenBridgeErrorRecord $PSCmdlet $parsed; return }
            $rgName = $parsed.resourceGroupName; $svcName = $parsed.serviceName; $subscriptionId = $parsed.subscriptionId
        }
        New-AzTokenBridgeApimContext -ResourceGroupName $rgName -ServiceName $svcName -SubscriptionId $subscriptionId
    }
}

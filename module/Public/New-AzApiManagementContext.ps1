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
            if ($ResourceId.Length -gt $script:MaxApimResourceIdLength) {
                Write-AzTokenBridgeErrorRecord $PSCmdlet ([System.Management.Automation.ErrorRecord]::new(
                    [System.ArgumentException]::new("-ResourceId is $($ResourceId.Length) characters long: an API Management resource id (/subscriptions/…/resourceGroups/…/providers/Microsoft.ApiManagement/service/…) is at most $script:MaxApimResourceIdLength characters.", 'ResourceId'),
                    'InvalidResourceId', 'InvalidArgument', $null))
                return
            }
            $parsed = ConvertFrom-AzTokenBridgeApimResourceId $ResourceId
            $rgName = $parsed.ResourceGroupName; $svcName = $parsed.ServiceName; $subscriptionId = $parsed.SubscriptionId
        }
        New-AzTokenBridgeApimContext -ResourceGroupName $rgName -ServiceName $svcName -SubscriptionId $subscriptionId
    }
}

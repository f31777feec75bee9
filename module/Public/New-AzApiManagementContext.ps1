function New-AzApiManagementContext {
    <#
    .SYNOPSIS
    Creates an instance of PsAzureApiManagementContext.

    .DESCRIPTION
    The New-AzApiManagementContext cmdlet creates an instance of PsAzureApiManagementContext. The
    context is used by all API Management service cmdlets. It makes no call to Azure.

    Unlike Az.ApiManagement, a context made from -ResourceId keeps the subscription named in the id
    (property SubscriptionId, not shown by default), and the cmdlets that take the context work in
    that subscription.

    .PARAMETER ResourceGroupName
    Specifies the name of resource group under which API Management service is deployed.

    .PARAMETER ServiceName
    Specifies the name of the deployed API Management service.

    .PARAMETER ResourceId
    Arm ResourceId of the API Management service.

    .PARAMETER DefaultProfile
    The credentials, account, tenant, and subscription used for communication with azure. Accepted
    for compatibility: this cmdlet makes no call.

    .EXAMPLE
    New-AzApiManagementContext -ResourceGroupName "ContosoResourceGroup" -ServiceName "ContosoApi"

    This command creates an instance of PsAzureApiManagementContext.

    .EXAMPLE
    New-AzApiManagementContext -ResourceId /subscriptions/subid/resourceGroups/ContosoResourceGroup/providers/Microsoft.ApiManagement/service/ContosoApi

    This command creates an instance of PsAzureApiManagementContext from an ARM resource id.

    .OUTPUTS
    Microsoft.Azure.Commands.ApiManagement.ServiceManagement.Models.PsApiManagementContext
    #>
    [CmdletBinding(PositionalBinding = $false, DefaultParameterSetName = 'ContextParameterSet')]
    [OutputType('Microsoft.Azure.Commands.ApiManagement.ServiceManagement.Models.PsApiManagementContext')]
    param(
        [Parameter(ParameterSetName = 'ContextParameterSet', Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string]$ResourceGroupName,

        [Parameter(ParameterSetName = 'ContextParameterSet', Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
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

function New-AzApiManagementContext {
    <#
    .SYNOPSIS
    Creates an instance of PsAzureApiManagementContext.

    .DESCRIPTION
    The New-AzApiManagementContext cmdlet creates an instance of PsAzureApiManagementContext. The
    context is used by all API Management service cmdlets. It makes no call to Azure.

    .PARAMETER ResourceGroupName
    Specifies the name of resource group under which API Management service is deployed.

    .PARAMETER ServiceName
    Specifies the name of the deployed API Management service.

    .PARAMETER ResourceId
    Arm ResourceId of the API Management service.

    .EXAMPLE
    New-AzApiManagementContext -ResourceGroupName "ContosoResourceGroup" -ServiceName "ContosoApi"

    .OUTPUTS
    Microsoft.Azure.Commands.ApiManagement.ServiceManagement.Models.PsApiManagementContext
    #>
    [CmdletBinding(DefaultParameterSetName = 'ContextParameterSet')]
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
        [string]$ResourceId
    )
    process {
        if ($PSCmdlet.ParameterSetName -eq 'ResourceIdParameterSet') {
            # Az.ApiManagement's parser (PsApiManagementArmResource): case-insensitive, and a
            # ResourceId it cannot read gives empty fields rather than an error.
            $rg = [regex]::Match($ResourceId, '(?i)(.*?)/resourcegroups/(?<rgname>\S+)/providers/(.*?)')
            $svc = [regex]::Match($ResourceId, '(?i)(.*?)/providers/microsoft.apimanagement/service/(?<serviceName>[^/]+)')
            $ResourceGroupName = if ($rg.Success) { $rg.Groups['rgname'].Value } else { $null }
            $ServiceName = if ($svc.Success) { $svc.Groups['serviceName'].Value } else { $null }
        }
        $PSCmdlet.WriteObject([pscustomobject]@{
            PSTypeName        = 'Microsoft.Azure.Commands.ApiManagement.ServiceManagement.Models.PsApiManagementContext'
            ResourceGroupName = $ResourceGroupName
            ServiceName       = $ServiceName
        })
    }
}

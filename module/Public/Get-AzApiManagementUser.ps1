function Get-AzApiManagementUser {
    <#
    .SYNOPSIS
    Gets a user or users.

    .DESCRIPTION
    The Get-AzApiManagementUser cmdlet gets a specified user, or all users, if no user is
    specified. All pages of the service's answer are read.

    .PARAMETER Context
    Specifies a PsApiManagementContext object.

    .PARAMETER UserId
    Specifies the user ID. If specified, finds the user by the identifier.

    .PARAMETER FirstName
    Specifies the first name. If specified, finds users by the first name.

    .PARAMETER LastName
    Specifies the last name. If specified, finds users by the last name.

    .PARAMETER State
    Specifies the user state: Active, Blocked, Pending or Deleted. If specified, finds users in
    that state.

    .PARAMETER Email
    Specifies the email address of the user. If specified, finds the user by email.

    .PARAMETER GroupId
    Specifies the group ID. If specified, finds users in the group.

    .PARAMETER ResourceId
    Arm Resource Identifier of a user. If specified, finds the user by it.

    .PARAMETER DefaultProfile
    The credentials, account, tenant, and subscription used for communication with azure: an Az
    context, or a hashtable with TenantId, SubscriptionId, ClientId, ClientSecret or
    CertificatePath (and CertificatePassword), Environment.

    .PARAMETER ThrottleLimit
    AzTokenBridge's own (not in Az): how many requests may be in flight at once when inputs are
    piped. Default: $env:AZTOKENBRIDGE_THROTTLE_LIMIT, else 16. Output keeps the input order.

    .EXAMPLE
    $apimContext = New-AzApiManagementContext -ResourceGroupName "Api-Default-WestUS" -ServiceName "contoso"
    Get-AzApiManagementUser -Context $apimContext

    This command gets all users.

    .EXAMPLE
    Get-AzApiManagementUser -Context $apimContext -FirstName "Patti" -LastName "Fuller"

    This command gets users by name.

    .EXAMPLE
    Get-AzApiManagementUser -Context $apimContext -GroupId "0001"

    This command gets all the users in the specified group.

    .EXAMPLE
    Get-AzApiManagementUser -Context $apimContext | New-AzApiManagementUserToken -Context $apimContext

    This command makes a Shared Access Token for every user: UserId binds by property name.

    .INPUTS
    Microsoft.Azure.Commands.ApiManagement.ServiceManagement.Models.PsApiManagementContext

    .OUTPUTS
    Microsoft.Azure.Commands.ApiManagement.ServiceManagement.Models.PsApiManagementUser
    #>
    [CmdletBinding(PositionalBinding = $false, DefaultParameterSetName = 'GetAllUsers')]
    [OutputType('Microsoft.Azure.Commands.ApiManagement.ServiceManagement.Models.PsApiManagementUser')]
    param(
        [Parameter(ParameterSetName = 'GetAllUsers', Mandatory, ValueFromPipeline)]
        [Parameter(ParameterSetName = 'GetByUserId', Mandatory, ValueFromPipeline)]
        [ValidateNotNullOrEmpty()]
        [PSTypeName('Microsoft.Azure.Commands.ApiManagement.ServiceManagement.Models.PsApiManagementContext')]
        $Context,

        [Parameter(ParameterSetName = 'GetByUserId', Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string]$UserId,

        [Parameter(ParameterSetName = 'GetAllUsers')]
        [string]$FirstName,

        [Parameter(ParameterSetName = 'GetAllUsers')]
        [string]$LastName,

        [Parameter(ParameterSetName = 'GetAllUsers')]
        [ValidateSet('Active', 'Blocked', 'Pending', 'Deleted')]
        [string]$State,

        [Parameter(ParameterSetName = 'GetAllUsers')]
        [string]$Email,

        [Parameter(ParameterSetName = 'GetAllUsers')]
        [string]$GroupId,

        [Parameter(ParameterSetName = 'ByResourceIdParameterSet', Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string]$ResourceId,

        [Alias('AzContext', 'AzureRmContext', 'AzureCredential')]
        $DefaultProfile,

        # Inputs in flight at once when they are piped (AzTokenBridge; not in Az). Default:
        # $env:AZTOKENBRIDGE_THROTTLE_LIMIT, else 16. Output keeps the input order.
        [ValidateRange(1, 256)]
        [int]$ThrottleLimit
    )
    begin {
        # Caller-scope preferences first (module/Private/Preferences.ps1).
        . Use-AzTokenBridgeCallerPreference
        $window = New-AzTokenBridgeWindow -Limit $ThrottleLimit -Writer ${function:Write-AzTokenBridgeApimUsers}
        $callContext = Get-AzTokenBridgeCallContext -DefaultProfile $DefaultProfile
    }
    process {
        $ctx = $Context
        $params = @{}
        if ($PSCmdlet.ParameterSetName -eq 'ByResourceIdParameterSet') {
            $m = [regex]::Match($ResourceId, '(?i)^/subscriptions/(?<sub>[^/]+)/resourcegroups/(?<rg>[^/]+)/providers/microsoft\.apimanagement/service/(?<svc>[^/]+)/users/(?<uid>[^/]+)$')
            if (-not $m.Success) {
                Add-AzTokenBridgeWindowError $PSCmdlet $window ([System.Management.Automation.ErrorRecord]::new(
                    [System.ArgumentException]::new("$(Format-AzTokenBridgeInput $ResourceId) is not the resource id of an API Management user (/subscriptions/…/resourceGroups/…/providers/Microsoft.ApiManagement/service/…/users/…).", 'ResourceId'),
                    'InvalidResourceId', 'InvalidArgument', $ResourceId))
                return
            }
            $ctx = New-AzTokenBridgeApimContext -ResourceGroupName $m.Groups['rg'].Value -ServiceName $m.Groups['svc'].Value -SubscriptionId $m.Groups['sub'].Value
            $params['userId'] = $m.Groups['uid'].Value
        } elseif ($PSCmdlet.ParameterSetName -eq 'GetByUserId') {
            $params['userId'] = $UserId
        } else {
            foreach ($name in 'FirstName', 'LastName', 'Email', 'State', 'GroupId') {
                $value = $PSBoundParameters[$name]
                if ($value) { $params[$name.Substring(0, 1).ToLowerInvariant() + $name.Substring(1)] = [string]$value }
            }
        }
        foreach ($entry in (Get-AzTokenBridgeServiceParams $ctx).GetEnumerator()) { $params[$entry.Key] = $entry.Value }
        $target = if ($params['userId']) { $params['userId'] } else { $ctx }
        Wait-AzTokenBridgeWindowRoom $PSCmdlet $window
        $request = Send-AzTokenBridgeRequest -Cmdlet $PSCmdlet -Method 'apim/getUsers' -Params $params -CallContext $callContext
        Add-AzTokenBridgeWindowItem $PSCmdlet $window $request @{ Context = $ctx; Target = $target }
    }
    end {
        Complete-AzTokenBridgeWindow $PSCmdlet $window
    }
    clean {
        Stop-AzTokenBridgeWindow $window
    }
}

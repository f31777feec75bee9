# API Management helpers shared by the cmdlets: the context type, output objects, wire params.

$script:ApimModels = 'Microsoft.Azure.Commands.ApiManagement.ServiceManagement.Models'

# New-AzApiManagementUserToken's -Expiry default (now + 8 hours, -Expiry $null too): the
# compiled [AzTokenBridge.Client.TokenExpiryAttribute] (module/Client/Attributes.cs).

function New-AzTokenBridgeApimContext {
    # A PsApiManagementContext. SubscriptionId (from a -ResourceId) is kept but, like the other
    # extra members, not shown: the default display is ResourceGroupName and ServiceName, as in Az.
    param([string]$ResourceGroupName, [string]$ServiceName, [string]$SubscriptionId)
    $o = [pscustomobject]@{
        PSTypeName        = "$script:ApimModels.PsApiManagementContext"
        ResourceGroupName = $ResourceGroupName
        ServiceName       = $ServiceName
        SubscriptionId    = $SubscriptionId
    }
    $display = [System.Management.Automation.PSPropertySet]::new('DefaultDisplayPropertySet', [string[]]@('ResourceGroupName', 'ServiceName'))
    $o.psobject.Members.Add([System.Management.Automation.PSMemberSet]::new('PSStandardMembers', [System.Management.Automation.PSMemberInfo[]]@($display)))
    $o
}

# The longest -ResourceId New-AzApiManagementContext reads: a service's id is at most about 250
# characters (resource group 90, service 50), a user's about 340; longer is not an id.
$script:MaxApimResourceIdLength = 2048
$script:Whitespace = [regex]::new('\s')

function ConvertFrom-AzTokenBridgeApimResourceId {
    # Az.ApiManagement's parse of a service's resource id, case-insensitive, each field $null when
    # absent: the resource group is what lies between the first '/resourcegroups/' and the last
    # '/providers/' after it (without whitespace), the service the segment after
    # '/providers/microsoft.apimanagement/service/', the subscription the first segment after a
    # leading '/subscriptions/'. Az matches unanchored regular expressions that backtrack
    # (quadratic and worse: 20 KB took 10 s); this is one pass, in linear time.
    param([string]$Id)
    $ic = [System.StringComparison]::OrdinalIgnoreCase
    $rg = $null
    $i = $Id.IndexOf('/resourcegroups/', $ic)
    while ($i -ge 0) {
        $start = $i + '/resourcegroups/'.Length
        $space = $script:Whitespace.Match($Id, $start)
        $end = if ($space.Success) { $space.Index } else { $Id.Length }
        # The last '/providers/' wholly inside [start + 1, end): the name is at least one character.
        $p = if ($end - ($start + 1) -ge '/providers/'.Length) { $Id.LastIndexOf('/providers/', $end - 1, $end - ($start + 1), $ic) } else { -1 }
        if ($p -ge 0) { $rg = $Id.Substring($start, $p - $start); break }
        # A later '/resourcegroups/' before the whitespace has a shorter run with no '/providers/' either.
        $i = if ($end -lt $Id.Length) { $Id.IndexOf('/resourcegroups/', $end, $ic) } else { -1 }
    }
    $svc = $null
    $marker = '/providers/microsoft.apimanagement/service/'
    $i = $Id.IndexOf($marker, $ic)
    while ($i -ge 0) {
        $start = $i + $marker.Length
        $slash = $Id.IndexOf('/', $start)
        $end = if ($slash -ge 0) { $slash } else { $Id.Length }
        if ($end -gt $start) { $svc = $Id.Substring($start, $end - $start); break }
        $i = $Id.IndexOf($marker, $start, $ic)
    }
    $sub = $null
    if ($Id.StartsWith('/subscriptions/', $ic)) {
        $start = '/subscriptions/'.Length
        $slash = $Id.IndexOf('/', $start)
        if ($slash -gt $start) { $sub = $Id.Substring($start, $slash - $start) }
    }
    [pscustomobject]@{ ResourceGroupName = $rg; ServiceName = $svc; SubscriptionId = $sub }
}

function Get-AzTokenBridgeServiceParams {
    # The ApimServiceRef fields of a request, from a context.
    param($Context)
    $p = @{ resourceGroupName = [string]$Context.ResourceGroupName; serviceName = [string]$Context.ServiceName }
    if ($Context.psobject.Properties['SubscriptionId'] -and $Context.SubscriptionId) { $p['subscriptionId'] = [string]$Context.SubscriptionId }
    $p
}

function ConvertTo-AzTokenBridgeApimUser {
    # ApimUser (src/protocol.ts) → PsApiManagementUser, properties in Az's order: the model's own,
    # then those of its base PsApiManagementArmResource.
    param($User, $Context)
    $identities = [System.Collections.Generic.Dictionary[string, string]]::new()
    foreach ($i in @($User.identities)) { if ($i) { $identities[[string]$i.provider] = [string]$i.id } }
    $registered = $null
    if ($User.registrationDate) {
        $registered = [datetime]::Parse([string]$User.registrationDate, [cultureinfo]::InvariantCulture, [System.Globalization.DateTimeStyles]::AdjustToUniversal -bor [System.Globalization.DateTimeStyles]::AssumeUniversal)
    }
    [pscustomobject]@{
        PSTypeName        = "$script:ApimModels.PsApiManagementUser"
        UserId            = [string]$User.userId
        FirstName         = [string]$User.firstName
        LastName          = [string]$User.lastName
        Email             = [string]$User.email
        State             = [string]$User.state
        RegistrationDate  = $registered
        Note              = $User.note
        Identities        = $identities
        Id                = [string]$User.id
        ResourceGroupName = [string]$Context.ResourceGroupName
        ServiceName       = [string]$Context.ServiceName
    }
}

function Send-AzTokenBridgeTenantAccess {
    # Shared by Get-AzApiManagementTenantAccess and …GitAccess (they differ in AccessName only), in
    # `process`: one context's request into the window; Write-AzTokenBridgeTenantAccess writes it.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Window, $Context, [string]$AccessName, $CallContext)
    $params = Get-AzTokenBridgeServiceParams $Context
    $params['accessName'] = $AccessName
    Wait-AzTokenBridgeWindowRoom $Cmdlet $Window
    $request = Send-AzTokenBridgeRequest -Cmdlet $Cmdlet -Method 'apim/getTenantAccess' -Params $params -CallContext $CallContext
    Add-AzTokenBridgeWindowItem $Cmdlet $Window $request @{ Context = $Context }
}

function Write-AzTokenBridgeTenantAccess {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Item)
    if ($Item.Call.Failure) { Write-AzTokenBridgeError -Cmdlet $Cmdlet -Exception $Item.Call.Failure -Target $Item.State.Context; return }
    $r = $Item.Call.Result
    # Id is the principal the access issues tokens for (integration / git), as the API returned it
    # before 2019-12-01 and as seed 000's example uses it; keys are never returned (Az 2.0+).
    [pscustomobject]@{
        PSTypeName   = "$script:ApimModels.PsApiManagementAccessInformation"
        Enabled      = [bool]$r.enabled
        Id           = [string]$r.principalId
        PrimaryKey   = $null
        SecondaryKey = $null
    }
}

function Write-AzTokenBridgeApimUsers {
    # One answered input of Get-AzApiManagementUser: its users, or its error.
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Item)
    $s = $Item.State
    if ($Item.Call.Failure) { Write-AzTokenBridgeError -Cmdlet $Cmdlet -Exception $Item.Call.Failure -Target $s.Target; return }
    foreach ($user in @($Item.Call.Result.users)) {
        if ($null -ne $user) { ConvertTo-AzTokenBridgeApimUser -User $user -Context $s.Context }
    }
}

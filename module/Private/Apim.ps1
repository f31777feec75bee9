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
    Send-AzTokenBridgeWindowCall $Cmdlet $Window -Method 'apim/getTenantAccess' -Params $params -CallContext $CallContext -State @{ Context = $Context }
}

function Write-AzTokenBridgeTenantAccess {
    param([System.Management.Automation.PSCmdlet]$Cmdlet, $Item)
    if ($Item.Failure) { Write-AzTokenBridgeError -Cmdlet $Cmdlet -Exception $Item.Failure -Target $Item.State.Context; return }
    $r = $Item.Result
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
    if ($Item.Failure) { Write-AzTokenBridgeError -Cmdlet $Cmdlet -Exception $Item.Failure -Target $s.Target; return }
    foreach ($user in @($Item.Result.users)) {
        if ($null -ne $user) { ConvertTo-AzTokenBridgeApimUser -User $user -Context $s.Context }
    }
}

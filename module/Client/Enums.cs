// The value types of the cmdlets' enum parameters, named as the real cmdlets' types are (the seeds'
// SYNTAX blocks: `-KeyType <PsApiManagementUserKeyType>`, `-Status <TokenStatus>`,
// `-Environment <EnvironmentName>`, `-Module <ModuleName>`), so that `Get-Command -Syntax` reads as
// Az's. In this project's namespace, not Az's: a session that has Az loaded too sees no ambiguous
// type name. PowerShell binds a name in any case, or the number, as it does for Az's enums, and
// refuses any other value listing these names.
//
// The names are the wire strings (src/protocol.ts): the module sends `[string]$value`.

namespace AzTokenBridge.Models
{
    /// <summary>New-AzApiManagementUserToken -KeyType (Az.ApiManagement's PsApiManagementUserKeyType).</summary>
    public enum PsApiManagementUserKeyType
    {
        Primary = 0,
        Secondary = 1,
    }

    /// <summary>
    /// New-AzContainerRegistryToken -Status (Az.ContainerRegistry's TokenStatus). Lower case, as the
    /// service and Az.ContainerRegistry's completer name them (src/protocol.ts AcrTokenProperties.status).
    /// </summary>
    public enum TokenStatus
    {
        enabled = 0,
        disabled = 1,
    }

    /// <summary>New-PartnerAccessToken -Environment (PartnerCenter's EnvironmentName; src/protocol.ts PartnerEnvironmentName).</summary>
    public enum EnvironmentName
    {
        AzureCloud = 0,
        AzureChinaCloud = 1,
        AzureGermanCloud = 2,
        AzurePPE = 3,
        AzureUSGovernment = 4,
    }

    /// <summary>New-PartnerAccessToken -Module (PartnerCenter's ModuleName).</summary>
    public enum ModuleName
    {
        ExchangeOnline = 0,
    }
}

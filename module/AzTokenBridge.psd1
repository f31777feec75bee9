@{
    RootModule           = 'AzTokenBridge.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = '6f3b8a52-1d7e-4c39-9a0e-2b5d7c41e8f3'
    Author               = 'AzTokenBridge developers'
    Description          = 'Az-compatible token cmdlets (New-AzApiManagementUserToken, New-AzContainerRegistryToken, New-PartnerAccessToken) served by a packaged Node.js server, with a local Azure emulator.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    # The client for the server connection (module/Client, built into bin/ by the build).
    RequiredAssemblies   = @('bin/AzTokenBridge.Client.dll')
    FormatsToProcess     = @('AzTokenBridge.format.ps1xml')
    FunctionsToExport    = @(
        'New-AzApiManagementContext'
        'Get-AzApiManagementTenantAccess'
        'Get-AzApiManagementTenantGitAccess'
        'Get-AzApiManagementUser'
        'New-AzApiManagementUserToken'
        'Start-AzTokenBridgeEmulator'
        'Stop-AzTokenBridgeEmulator'
        'New-AzContainerRegistryToken'
        'Get-AzContainerRegistryToken'
        'Get-AzContainerRegistryScopeMap'
        'New-AzContainerRegistryCredentials'
        'New-PartnerAccessToken'
    )
    CmdletsToExport      = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags = @('Azure', 'ApiManagement', 'ContainerRegistry', 'PartnerCenter', 'Token')
        }
    }
}

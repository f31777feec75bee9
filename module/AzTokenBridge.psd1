@{
    RootModule           = 'AzTokenBridge.psm1'
    # Written by src/build/build.mjs from package.json's "version" (the one place for it): edit that.
    ModuleVersion        = '0.1.0'
    GUID                 = '6f3b8a52-1d7e-4c39-9a0e-2b5d7c41e8f3'
    Author               = 'AzTokenBridge developers'
    CompanyName          = 'AzTokenBridge developers'
    Copyright            = '(c) AzTokenBridge developers. MIT License.'
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
        # What the package's .nuspec says (src/build/New-Nuspec.ps1 reads it, as Publish-PSResource
        # does). ReleaseNotes are added to the packaged copy from CHANGELOG.md by the build.
        PSData = @{
            Tags       = @('Azure', 'ApiManagement', 'ContainerRegistry', 'PartnerCenter', 'Token', 'Windows', 'Linux', 'MacOS')
            # The address the project is to be published under (none exists yet: README, Install).
            ProjectUri = 'https://github.com/aztokenbridge/AzTokenBridge'
            LicenseUri = 'https://github.com/aztokenbridge/AzTokenBridge/blob/main/LICENSE'
        }
    }
}

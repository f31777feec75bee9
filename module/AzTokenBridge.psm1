# AzTokenBridge: Az-compatible token cmdlets whose work is done by a packaged Node server.
# Import does nothing but define functions (format data comes from the manifest); the server
# starts on the first call that needs it.

$script:ModuleRoot = $PSScriptRoot

. $PSScriptRoot/Private/Protocol.generated.ps1
. $PSScriptRoot/Private/Preferences.ps1
. $PSScriptRoot/Private/Processes.ps1
. $PSScriptRoot/Private/Context.ps1
. $PSScriptRoot/Private/Window.ps1
. $PSScriptRoot/Private/Errors.ps1
. $PSScriptRoot/Private/ResourceId.ps1
. $PSScriptRoot/Private/Apim.ps1
. $PSScriptRoot/Private/Completers.ps1
. $PSScriptRoot/Private/Acr.ps1

. $PSScriptRoot/Public/New-AzApiManagementContext.ps1
. $PSScriptRoot/Public/Get-AzApiManagementTenantAccess.ps1
. $PSScriptRoot/Public/Get-AzApiManagementTenantGitAccess.ps1
. $PSScriptRoot/Public/Get-AzApiManagementUser.ps1
. $PSScriptRoot/Public/New-AzApiManagementUserToken.ps1
. $PSScriptRoot/Public/Start-AzTokenBridgeEmulator.ps1
. $PSScriptRoot/Public/Stop-AzTokenBridgeEmulator.ps1
. $PSScriptRoot/Public/New-AzContainerRegistryToken.ps1
. $PSScriptRoot/Public/Get-AzContainerRegistryToken.ps1
. $PSScriptRoot/Public/Get-AzContainerRegistryScopeMap.ps1
. $PSScriptRoot/Public/New-AzContainerRegistryCredentials.ps1
. $PSScriptRoot/Private/Partner.ps1
. $PSScriptRoot/Public/New-PartnerAccessToken.ps1


# Remove-Module ends the server and the emulator (process exit ends them too: both exit when
# their stdin closes).
# The server is the process's, shared by every runspace that imported the module: Remove-Module
# stops it only when no other open runspace still has the module (issue R item 9).
[AzTokenBridge.Client.ServerConnection]::AddModuleUser([runspace]::DefaultRunspace)
# The compiled argument completer (module/Client/Attributes.cs) runs this runspace's
# Get-AzTokenBridgeArgumentCompletion (module/Private/Completers.ps1).
[AzTokenBridge.Client.ArgumentCompleter]::Register([runspace]::DefaultRunspace, ${function:Get-AzTokenBridgeArgumentCompletion})
function Write-AzTokenBridgeRemovalWarning {
    # A warning from OnRemove into the removing command's warning stream (-WarningVariable,
    # -WarningAction apply), through an advanced function's own runtime: Write-Warning is
    # Microsoft.PowerShell.Utility's, and the module keeps to Microsoft.PowerShell.Core.
    [CmdletBinding()]
    param([string]$Message)
    $PSCmdlet.WriteWarning($Message)
}
$ExecutionContext.SessionState.Module.OnRemove = {
    # The emulator goes with the module (Remove-Module, Import-Module -Force): said, as the session's
    # variables that pointed at it are restored too, so the next call goes to the real endpoints.
    $emulator = Stop-AzTokenBridgeEmulatorProcess
    if ($emulator) {
        Write-AzTokenBridgeRemovalWarning "AzTokenBridge: the module was removed (Remove-Module, or Import-Module -Force), so its emulator (process $($emulator.Process.Id)) was stopped and the environment variables it set were restored. Run Start-AzTokenBridgeEmulator again to use it."
    }
    [AzTokenBridge.Client.ArgumentCompleter]::Unregister([runspace]::DefaultRunspace)
    $open = 0
    foreach ($other in [AzTokenBridge.Client.ServerConnection]::ReleaseModuleUser([runspace]::DefaultRunspace)) {
        $state = $other.RunspaceStateInfo.State
        if ($state -eq 'Opened' -or $state -eq 'BeforeOpen' -or $state -eq 'Opening' -or $state -eq 'Disconnected') { $open++ }
        else { [AzTokenBridge.Client.ServerConnection]::ForgetModuleUser($other) }
    }
    if ($open -eq 0) { [AzTokenBridge.Client.ServerConnection]::StopShared() }
}

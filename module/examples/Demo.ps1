# The README demo: seed 000's Example 1, verbatim, against the local Azure emulator.
#   npm run demo      (builds everything first)
#   pwsh -NoProfile -File module/examples/Demo.ps1
$ErrorActionPreference = 'Stop'
Import-Module "$PSScriptRoot/../AzTokenBridge.psd1"

Start-AzTokenBridgeEmulator | Out-Host
try {
    # --- New-AzApiManagementUserToken, Example 1 ---
    $context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
    $gitAccess=Get-AzApiManagementTenantAccess -Context $context
    New-AzApiManagementUserToken -Context $context -UserId $gitAccess.Id
} finally {
    Stop-AzTokenBridgeEmulator
}

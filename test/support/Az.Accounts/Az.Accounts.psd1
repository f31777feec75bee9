# Test double of Az.Accounts (not installable here): the two cmdlets AzTokenBridge reads, returning
# objects shaped like the real ones. Imported by name "Az.Accounts" so that `Get-Module Az.Accounts`
# finds it as it would the real module. See Az.Accounts.psm1 for how a test sets the signed-in state.
@{
    RootModule        = 'Az.Accounts.psm1'
    ModuleVersion     = '5.3.0'
    GUID              = '17a2feff-488b-47f9-8729-e2cec094624c'
    Author            = 'AzTokenBridge tests'
    Description       = 'Test double of Az.Accounts: Get-AzContext and Get-AzAccessToken.'
    PowerShellVersion = '7.4'
    FunctionsToExport = @('Get-AzContext', 'Get-AzAccessToken')
    CmdletsToExport   = @()
    AliasesToExport   = @()
    VariablesToExport = @()
}

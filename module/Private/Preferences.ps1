# Caller-scope preferences (issue Z item 1): a compiled cmdlet (Az's) reads $ErrorActionPreference,
# $WhatIfPreference, … where it was called; a script module's function sees its module's scope,
# so a caller's `$ErrorActionPreference = 'Stop'` or `$WhatIfPreference = $true` would not reach it.
#
# Every public cmdlet starts its `begin` (or its body) with
#
#   . Use-AzTokenBridgeCallerPreference
#
# dot-sourced, so that it runs in the cmdlet's own scope: for each preference whose common parameter
# was not given, the caller's value ($PSCmdlet.SessionState is the caller's session state, and its
# lookup starts at the caller's scope) becomes the cmdlet's local variable. It must run before anything
# reads a preference: the command runtime reads $ErrorActionPreference, $WhatIfPreference,
# $ConfirmPreference, $DebugPreference, $ProgressPreference and $InformationPreference once, on first
# use (WriteError, ShouldProcess, WriteDebug, …), from the scope current at that moment, and keeps the
# value for the rest of the command (MshCommandRuntime's _is…PreferenceCached); a later change of the
# variable does not reach it. A common parameter that was given wins: the engine has already set the
# local variable from it (PSScriptCmdlet.SetPreferenceVariables), as it does for a compiled cmdlet.

# Common parameter → the preference variable it overrides.
$script:CallerPreferenceVariables = [ordered]@{
    ErrorAction       = 'ErrorActionPreference'
    WhatIf            = 'WhatIfPreference'
    Confirm           = 'ConfirmPreference'
    Verbose           = 'VerbosePreference'
    Debug             = 'DebugPreference'
    WarningAction     = 'WarningPreference'
    InformationAction = 'InformationPreference'
    ProgressAction    = 'ProgressPreference'
}

function Use-AzTokenBridgeCallerPreference {
    # Dot-sourced by the cmdlet (see above): $PSCmdlet is the cmdlet's, and the current scope of the
    # module's session state is the cmdlet's own, where the preferences become locals. The loop is
    # compiled (module/Client/CallerPreference.cs): in script, its dynamic call sites cost each
    # cmdlet's first call their binding. Nothing of the cmdlet's own (its parameters) is touched.
    [AzTokenBridge.Client.CallerPreference]::Apply($PSCmdlet, $ExecutionContext.SessionState, $script:CallerPreferenceVariables)
}

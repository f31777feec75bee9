// The caller's preference variables taken into a cmdlet's scope (module/Private/Preferences.ps1
// Use-AzTokenBridgeCallerPreference), compiled (issue K: first call). In script, the loop's
// dynamic call sites ($PSCmdlet.MyInvocation.BoundParameters, SessionState.PSVariable) were bound on
// each cmdlet's first call, ~30-50 ms of CPU in a fresh process; here it is one call.
using System.Collections;
using System.Management.Automation;

namespace AzTokenBridge.Client;

public static class CallerPreference
{
    /// <summary>
    /// For each common parameter in <paramref name="variables"/> (parameter name → preference
    /// variable name, in order) that the cmdlet was not given, copies the caller's preference
    /// variable, when the caller's scope has one, into the current scope of
    /// <paramref name="target"/> (the module's session state, while the cmdlet's own scope is the
    /// current one: the function that calls this is dot-sourced into the cmdlet).
    /// </summary>
    public static void Apply(PSCmdlet? cmdlet, SessionState target, IDictionary variables)
    {
        if (cmdlet is null) return;
        var bound = cmdlet.MyInvocation.BoundParameters;
        var caller = cmdlet.SessionState.PSVariable;
        foreach (DictionaryEntry entry in variables)
        {
            if (bound.ContainsKey((string)entry.Key)) continue;
            var variable = caller.Get((string)entry.Value!);
            if (variable is not null) target.PSVariable.Set(variable.Name, variable.Value);
        }
    }
}

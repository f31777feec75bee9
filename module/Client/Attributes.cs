// The module's parameter attributes, compiled (issue K: Import-Module). They were PowerShell
// classes in module/Private/Apim.ps1 and Completers.ps1; a script class costs every import the
// engine's type definition (a dynamic assembly, Reflection.Emit of each member: ~30 ms in a fresh
// process), a compiled one nothing until it is used.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Internal;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;

namespace AzTokenBridge.Client;

/// <summary>
/// New-AzApiManagementUserToken's -Expiry (issue Z item 5): Az's is a Nullable&lt;DateTime&gt;, so
/// `-Expiry $null`, or a piped object whose Expiry is $null, means the default (8 hours from now).
/// The parameter stays [datetime], so that help shows `-Expiry &lt;DateTime&gt;` as Az's does (a
/// [Nullable[datetime]] parameter of a function shows as `Nullable`1`); this transformation, which
/// the binder runs before converting to [datetime], turns $null into that default. Compiled, it has
/// no runspace affinity: every runspace that imports the module (ForEach-Object -Parallel, jobs)
/// shares the function's compiled attributes.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class TokenExpiryAttribute : ArgumentTransformationAttribute
{
    /// <summary>The expiry when none is given: now + 8 hours (Az.ApiManagement), computed when asked.</summary>
    public static DateTime Default() => DateTime.UtcNow.AddHours(8);

    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData) =>
        inputData is null || ReferenceEquals(inputData, AutomationNull.Value) ? Default() : inputData;
}

/// <summary>
/// The completer of the parameters that complete from Azure (`[ArgumentCompleter([AzTokenBridge.Client.ArgumentCompleter])]`):
/// it runs the module's own script function Get-AzTokenBridgeArgumentCompletion
/// (module/Private/Completers.ps1), which the module registers for its runspace at import
/// (Register) and forgets on removal (Unregister). An IArgumentCompleter, not
/// Register-ArgumentCompleter: when a registered script block offers nothing, PowerShell falls back
/// to file names; an IArgumentCompleter's empty answer is final. Any failure offers nothing.
/// </summary>
public sealed class ArgumentCompleter : IArgumentCompleter
{
    // Per runspace: each runspace that imports the module has its own module instance (session
    // state), and completion runs on the pipeline thread of the runspace that asks.
    private static readonly ConditionalWeakTable<Runspace, ScriptBlock> s_completions = new();

    /// <summary>
    /// Records the module's completion function (a script block bound to the module's session
    /// state: `${function:Get-AzTokenBridgeArgumentCompletion}`) for a runspace that imported it.
    /// </summary>
    public static void Register(Runspace runspace, ScriptBlock completion)
    {
        if (runspace is null) throw new ArgumentNullException(nameof(runspace));
        if (completion is null) throw new ArgumentNullException(nameof(completion));
        s_completions.AddOrUpdate(runspace, completion);
    }

    /// <summary>Forgets a runspace's completion function (module removal).</summary>
    public static void Unregister(Runspace runspace)
    {
        if (runspace is not null) s_completions.Remove(runspace);
    }

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var list = new List<CompletionResult>();
        var runspace = Runspace.DefaultRunspace;
        if (runspace is null || !s_completions.TryGetValue(runspace, out var completion)) return list;
        try
        {
            foreach (var r in completion.Invoke(commandName, parameterName, wordToComplete, commandAst, fakeBoundParameters))
            {
                if (r?.BaseObject is CompletionResult c) list.Add(c);
            }
        }
        catch
        {
            // A completion that fails offers nothing (as the script class did).
        }
        return list;
    }
}

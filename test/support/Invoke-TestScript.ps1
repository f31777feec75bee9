# Runs one test script in this pwsh and writes everything it produced, in order, as JSON records
# on stdout, for the e2e tests (test/support/pwsh.ts, `json: true`):
#
#   pwsh -NoProfile -NonInteractive -File Invoke-TestScript.ps1 <script.ps1>
#
# The script is dot-sourced here (`. <script.ps1> *>&1`), so that it runs in the global scope as
# `pwsh -File <script.ps1>` runs it (its preference variables are the session's). Its output, errors, warnings, verbose, debug and
# information records come down the pipeline here and are written one per line, each line starting
# with the record separator U+001E:
#
#   {"kind":"object","typeNames":[...],"value":<value>}
#   {"kind":"error","message","errorDetails","fullyQualifiedErrorId","category","categoryReason",
#    "targetObject","exceptionType","exceptionMessage","invocation","terminating","rendered"}
#   {"kind":"verbose"|"warning"|"debug","message"}     {"kind":"information","message","tags"}
#   {"kind":"host","text"}                              Write-Host
#
# What the script writes to the console itself (Out-Default, Out-Host, -WhatIf, [Console]::Out) is
# pwsh's own output: plain lines without the separator (pwsh.ts reads them as "host" records).
#
# Values: null, booleans, numbers, strings as JSON; objects as {"$typeNames":[...], prop: value};
# lists as arrays; dictionaries as objects; tagged {"$type":"System.DateTime","value":<o>,"kind"},
# {"$type":"System.DateTimeOffset","value"}, {"$type":"System.TimeSpan","value":<c>},
# {"$type":<enum type>,"value":<name>}, {"$type":"System.Security.SecureString"} (never revealed).
# Deeper than 4 levels, a value is its ToString().
#
# A terminating error that ends the script is written as an error record with "terminating": true,
# and pwsh exits 1 (as `pwsh -File` does); `exit N` in the script exits N.
param([Parameter(Mandatory)][string]$TestScriptPath)

$TestRecordSeparator = [char]0x1e

function ConvertTo-TestValue {
    param($Value, [int]$Depth)
    if ($null -eq $Value) { return $null }
    # .psobject: the wrapper's own members (a member access on a PSObject reaches its base object's).
    $pso = $Value.psobject
    $v = $pso.BaseObject
    if ($v -is [string]) { return $v }
    if ($v -is [char] -or $v -is [guid] -or $v -is [uri] -or $v -is [version] -or $v -is [scriptblock] -or $v -is [System.Numerics.BigInteger]) { return $v.ToString() }
    if ($v -is [type]) { return $v.FullName }
    if ($v -is [bool]) { return $v }
    if ($v -is [double] -or $v -is [float]) {
        if ([double]::IsNaN($v) -or [double]::IsInfinity($v)) { return $v.ToString([cultureinfo]::InvariantCulture) }
        return $v
    }
    if ($v -is [byte] -or $v -is [sbyte] -or $v -is [int16] -or $v -is [uint16] -or $v -is [int] -or $v -is [uint32] -or $v -is [long] -or $v -is [uint64] -or $v -is [decimal]) { return $v }
    if ($v -is [datetime]) { return [ordered]@{ '$type' = 'System.DateTime'; value = $v.ToString('o', [cultureinfo]::InvariantCulture); kind = $v.Kind.ToString() } }
    if ($v -is [datetimeoffset]) { return [ordered]@{ '$type' = 'System.DateTimeOffset'; value = $v.ToString('o', [cultureinfo]::InvariantCulture) } }
    if ($v -is [timespan]) { return [ordered]@{ '$type' = 'System.TimeSpan'; value = $v.ToString('c', [cultureinfo]::InvariantCulture) } }
    if ($v -is [enum]) { return [ordered]@{ '$type' = $v.GetType().FullName; value = $v.ToString() } }
    if ($v -is [securestring]) { return [ordered]@{ '$type' = 'System.Security.SecureString' } }
    if ($Depth -ge 4) { try { return [string]$Value } catch { return "<$($_.Exception.GetType().Name)>" } }

    if ($v -is [System.Collections.IDictionary]) {
        $out = [ordered]@{}
        foreach ($entry in $v.GetEnumerator()) { $out[[string]$entry.Key] = ConvertTo-TestValue $entry.Value ($Depth + 1) }
        return $out
    }
    if ($v -is [System.Collections.IEnumerable]) {
        $items = [System.Collections.Generic.List[object]]::new()
        foreach ($item in $v) {
            if ($items.Count -eq 10000) { break }
            $items.Add((ConvertTo-TestValue $item ($Depth + 1)))
        }
        return , $items.ToArray()
    }
    # Any other object: its PowerShell view (note properties, adapted .NET properties, script
    # properties of type data); a property whose getter throws is left out, as ConvertTo-Json does.
    $out = [ordered]@{ '$typeNames' = @($pso.TypeNames) }
    foreach ($p in $pso.Properties) {
        if (-not $p.IsGettable) { continue }
        try { $pv = $p.Value } catch { continue }
        $out[$p.Name] = ConvertTo-TestValue $pv ($Depth + 1)
    }
    $out
}

function Write-TestRecord {
    param([System.Collections.IDictionary]$Record)
    [Console]::Out.WriteLine($TestRecordSeparator + (ConvertTo-Json -InputObject $Record -Compress -Depth 64))
}

function ConvertTo-TestErrorRecord {
    param([System.Management.Automation.ErrorRecord]$ErrorRecord, [bool]$Terminating)
    $details = if ($ErrorRecord.ErrorDetails) { $ErrorRecord.ErrorDetails.Message } else { $null }
    $rendered = $null
    try { $rendered = ($ErrorRecord | Out-String -Width 500).Trim() } catch { $rendered = $null }
    [ordered]@{
        kind                  = 'error'
        message               = if ($details) { $details } else { $ErrorRecord.Exception.Message }
        errorDetails          = $details
        fullyQualifiedErrorId = $ErrorRecord.FullyQualifiedErrorId
        category              = $ErrorRecord.CategoryInfo.Category.ToString()
        categoryReason        = $ErrorRecord.CategoryInfo.Reason
        targetObject          = ConvertTo-TestValue $ErrorRecord.TargetObject 1
        exceptionType         = if ($ErrorRecord.Exception) { $ErrorRecord.Exception.GetType().FullName } else { $null }
        exceptionMessage      = if ($ErrorRecord.Exception) { $ErrorRecord.Exception.Message } else { $null }
        invocation            = if ($ErrorRecord.InvocationInfo -and $ErrorRecord.InvocationInfo.MyCommand) { $ErrorRecord.InvocationInfo.MyCommand.Name } else { $null }
        terminating           = $Terminating
        rendered              = $rendered
    }
}

$global:LASTEXITCODE = 0
try {
    . $TestScriptPath *>&1 | ForEach-Object {
        $item = $_
        if ($item -is [System.Management.Automation.ErrorRecord]) { Write-TestRecord (ConvertTo-TestErrorRecord $item $false) }
        elseif ($item -is [System.Management.Automation.WarningRecord]) { Write-TestRecord ([ordered]@{ kind = 'warning'; message = $item.Message }) }
        elseif ($item -is [System.Management.Automation.VerboseRecord]) { Write-TestRecord ([ordered]@{ kind = 'verbose'; message = $item.Message }) }
        elseif ($item -is [System.Management.Automation.DebugRecord]) { Write-TestRecord ([ordered]@{ kind = 'debug'; message = $item.Message }) }
        elseif ($item -is [System.Management.Automation.InformationRecord]) {
            if ($item.Tags -contains 'PSHOST') { Write-TestRecord ([ordered]@{ kind = 'host'; text = [string]$item.MessageData }) }
            else { Write-TestRecord ([ordered]@{ kind = 'information'; message = [string]$item.MessageData; tags = @($item.Tags) }) }
        }
        else {
            $typeNames = if ($null -eq $item) { @() } else { @($item.psobject.TypeNames) }
            Write-TestRecord ([ordered]@{ kind = 'object'; typeNames = $typeNames; value = ConvertTo-TestValue $item 0 })
        }
    }
} catch {
    Write-TestRecord (ConvertTo-TestErrorRecord $_ $true)
    exit 1
}
exit $LASTEXITCODE

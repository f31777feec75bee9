#Requires -Version 7.4
<#
.SYNOPSIS
Builds AzTokenBridge: the packaged server under module/bin/<rid>/, the test host, the tests.

.DESCRIPTION
The same build as `npm run build|test|demo` (src/build/build.mjs does the work): installs the npm
packages, fetches the pinned Node 22 from the npm registry, type-checks, bundles with esbuild and
packages with pkg --sea, offline. Steps whose inputs did not change are skipped.

.PARAMETER Task
build (default), host (the PowerShell test host), test (build, then every test), demo.

.PARAMETER Target
Runtime ids to package for, e.g. linux-x64, linux-arm64, win-x64. Default: this machine's.

.EXAMPLE
./build.ps1

.EXAMPLE
./build.ps1 -Target linux-x64, win-x64
#>
[CmdletBinding()]
param(
    [ValidateSet('build', 'host', 'test', 'demo')]
    [string]$Task = 'build',

    [string[]]$Target,

    # Passed on to jest for -Task test (e.g. a test path pattern).
    [Parameter(ValueFromRemainingArguments)]
    [string[]]$TestArgument
)
$ErrorActionPreference = 'Stop'
$node = @(Get-Command node -CommandType Application -ErrorAction Stop)[0].Source
$arguments = @("$PSScriptRoot/src/build/build.mjs", $Task)
if ($Target) { $arguments += @('--target', ($Target -join ',')) }
if ($TestArgument) { $arguments += $TestArgument }
& $node @arguments
exit $LASTEXITCODE

#Requires -Version 7.4
<#
.SYNOPSIS
Builds AzTokenBridge: the packaged server under module/bin/<rid>/, the pwsh the tests run in, the tests.

.DESCRIPTION
The same build as `npm run build|test|demo` (src/build/build.mjs does the work): installs the npm
packages, fetches the pinned Node 22 from the npm registry, type-checks, bundles with esbuild and
packages with pkg --sea, offline. Steps whose inputs did not change are skipped.

.PARAMETER Task
build (default), package (build for every platform, then dist/AzTokenBridge.<version>.nupkg, the
PowerShell Gallery package), pwsh (the pwsh the tests run in: on PATH, else built from NuGet's
Microsoft.PowerShell.SDK into test/pwsh/out), test (package, then every test in that pwsh), demo.

.PARAMETER Target
Runtime ids to package for, e.g. linux-x64, linux-arm64, win-x64. Default: this machine's.

.EXAMPLE
./build.ps1

.EXAMPLE
./build.ps1 -Target linux-x64, win-x64
#>
[CmdletBinding()]
param(
    [ValidateSet('build', 'package', 'pwsh', 'test', 'demo', 'bench')]
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

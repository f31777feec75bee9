#Requires -Version 7.4
<#
.SYNOPSIS
Writes the .nuspec of the AzTokenBridge Gallery package from the module's own manifest, as
Publish-PSResource does (run by src/build/build.mjs, step `package`, in the staged module folder).

.DESCRIPTION
Publish-PSResource validates the manifest (Test-ModuleManifest), reads it, and writes a .nuspec whose
id is the manifest's file name and whose version, authors, owners (CompanyName), description,
copyright, projectUrl, licenseUrl, releaseNotes and tags come from the manifest; it then packs the
module folder as it is, at the package root. This script writes the same .nuspec, plus the tags the
PowerShell Gallery derives from a module (as PowerShellGet's Publish-Module writes them):
PSModule, PSEdition_<edition> for each of CompatiblePSEditions, PSFunction_<name> and
PSCommand_<name> for each exported function, PSIncludes_Function; then the manifest's own Tags.
The package is made by `dotnet pack` of this .nuspec (build.mjs), with every file of the folder.

.PARAMETER ModuleFolder
The staged module folder: the manifest AzTokenBridge.psd1 and everything the package carries.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [string]$ModuleFolder
)
$ErrorActionPreference = 'Stop'
$manifestPath = Join-Path $ModuleFolder 'AzTokenBridge.psd1'
$id = [System.IO.Path]::GetFileNameWithoutExtension($manifestPath)

# The checks Publish-PSResource makes first: a manifest PowerShell accepts, with what the Gallery needs.
$module = Test-ModuleManifest -Path $manifestPath
$data = Import-PowerShellDataFile -Path $manifestPath
$psData = $data.PrivateData.PSData
foreach ($required in 'Author', 'Description') {
    if (-not $data[$required]) { throw "$manifestPath has no $required (the Gallery requires it)." }
}
if ($data.FunctionsToExport -contains '*' -or -not $data.FunctionsToExport) {
    throw "$manifestPath must list FunctionsToExport by name (no '*'): the Gallery's tags and command autoloading read the list."
}

$tags = [System.Collections.Generic.List[string]]::new()
$tags.Add('PSModule')
foreach ($edition in @($data.CompatiblePSEditions)) { if ($edition) { $tags.Add("PSEdition_$edition") } }
foreach ($name in @($data.FunctionsToExport)) {
    $tags.Add("PSFunction_$name")
    $tags.Add("PSCommand_$name")
}
if (@($data.FunctionsToExport).Count -gt 0) { $tags.Add('PSIncludes_Function') }
foreach ($tag in @($psData.Tags)) { if ($tag -and -not $tags.Contains($tag)) { $tags.Add($tag) } }
foreach ($tag in $tags) {
    if ($tag -match '\s') { throw "Tag '$tag' has white space: nuspec tags are separated by spaces." }
}

$ns = 'http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd'
$settings = [System.Xml.XmlWriterSettings]::new()
$settings.Indent = $true
$settings.Encoding = [System.Text.UTF8Encoding]::new($false)
$nuspecPath = Join-Path $ModuleFolder "$id.nuspec"
$writer = [System.Xml.XmlWriter]::Create($nuspecPath, $settings)
try {
    $writer.WriteStartDocument()
    $writer.WriteStartElement('package', $ns)
    $writer.WriteStartElement('metadata', $ns)
    $element = {
        param([string]$Name, $Value)
        if ($null -ne $Value -and "$Value" -ne '') { $writer.WriteElementString($Name, $ns, ([string]$Value).Trim()) }
    }
    & $element 'id' $id
    & $element 'version' $module.Version.ToString()
    & $element 'authors' $data.Author
    & $element 'owners' $data.CompanyName
    & $element 'requireLicenseAcceptance' ([string][bool]$psData.RequireLicenseAcceptance).ToLowerInvariant()
    & $element 'licenseUrl' $psData.LicenseUri
    & $element 'projectUrl' $psData.ProjectUri
    & $element 'iconUrl' $psData.IconUri
    & $element 'description' $data.Description
    & $element 'releaseNotes' (@($psData.ReleaseNotes) -join "`n")
    & $element 'copyright' $data.Copyright
    & $element 'tags' ($tags -join ' ')
    $writer.WriteEndElement() # metadata
    # Every file of the module folder, at the package root (the nuspec itself is the package's own).
    $writer.WriteStartElement('files', $ns)
    $writer.WriteStartElement('file', $ns)
    $writer.WriteAttributeString('src', '**')
    $writer.WriteAttributeString('target', '')
    $writer.WriteAttributeString('exclude', "$id.nuspec")
    $writer.WriteEndElement()
    $writer.WriteEndElement() # files
    $writer.WriteEndElement() # package
    $writer.WriteEndDocument()
} finally {
    $writer.Dispose()
}
$nuspecPath

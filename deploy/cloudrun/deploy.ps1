<#
.SYNOPSIS
  Builds the image with Cloud Build, runs the migrations as a Cloud Run Job,
  then deploys the Cloud Run service from deploy/cloudrun/service.yaml.
  The PowerShell twin of deploy.sh (same steps, same defaults).
  -SkipBuild needs -Image (the default tag is the one this run would build).
  -DryRun prints the gcloud commands and the rendered service.yaml; it runs no gcloud.

.EXAMPLE
  ./deploy/cloudrun/deploy.ps1 -ProjectId my-project -ServiceName capsules-api
.EXAMPLE
  ./deploy/cloudrun/deploy.ps1 -ProjectId my-project -Region us-central1 -Image us-central1-docker.pkg.dev/my-project/capsules/capsules-api:1.2.0 -SkipBuild
#>
[CmdletBinding()]
param(
  [Parameter(Mandatory = $true)][string]$ProjectId,
  [string]$ServiceName = 'capsules-api',
  [string]$Region = 'europe-west1',
  # Default: REGION-docker.pkg.dev/PROJECT/capsules/SERVICE:<git describe>
  [string]$Image = '',
  # Default: PROJECT:REGION:capsules
  [string]$CloudSqlInstance = '',
  # Default: SERVICE@PROJECT.iam.gserviceaccount.com
  [string]$ServiceAccount = '',
  [switch]$SkipBuild,
  [switch]$SkipMigrate,
  [switch]$AllowUnauthenticated,
  [switch]$DryRun
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# The default tag names this checkout, which only the build step pushes.
if ($SkipBuild -and -not $Image) {
  throw '-SkipBuild needs -Image (the default tag would name an image that was never built)'
}

$Root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
if (-not $Image) {
  # Like deploy.sh: git describe, or the date when git or the checkout is missing. A missing
  # git throws (so may git's stderr under 'Stop' in Windows PowerShell 5.1): hence the catch.
  $tag = $null
  try {
    $tag = & git -C $Root describe --always --dirty --abbrev=12 2>$null
    if ($LASTEXITCODE -ne 0) { $tag = $null }
  }
  catch {
    $tag = $null
  }
  if (-not $tag) { $tag = Get-Date -Format 'yyyyMMddHHmmss' }
  $Image = "$Region-docker.pkg.dev/$ProjectId/capsules/${ServiceName}:$tag"
}
if (-not $CloudSqlInstance) { $CloudSqlInstance = "${ProjectId}:${Region}:capsules" }
if (-not $ServiceAccount) { $ServiceAccount = "$ServiceName@$ProjectId.iam.gserviceaccount.com" }
$Job = "$ServiceName-migrate"

# A simple function (no param block): "--flag" arguments reach $args as text.
function Invoke-Gcloud {
  $gcloudArgs = @($args | ForEach-Object { "$_" })
  Write-Host "+ gcloud $($gcloudArgs -join ' ')"
  if ($DryRun) { return }
  & gcloud @gcloudArgs
  if ($LASTEXITCODE -ne 0) { throw "gcloud $($gcloudArgs[0..2] -join ' ') failed (exit $LASTEXITCODE)" }
}

Write-Host "project $ProjectId, region $Region, service $ServiceName"
Write-Host "image $Image"
Write-Host "Cloud SQL $CloudSqlInstance, service account $ServiceAccount"

# 1. Build (Cloud Build reads the Dockerfile).
if (-not $SkipBuild) {
  Invoke-Gcloud builds submit $Root --project $ProjectId --tag $Image
}

# 2. Migrations: a Cloud Run Job on the same image, then wait for it.
if (-not $SkipMigrate) {
  Invoke-Gcloud run jobs deploy $Job --project $ProjectId --region $Region `
    --image $Image `
    --command node --args dist/apps/api/src/migrate.js `
    --set-cloudsql-instances $CloudSqlInstance `
    --set-secrets 'DATABASE_URL=capsules-database-url:latest' `
    --set-env-vars 'LOG_LEVEL=info' `
    --service-account $ServiceAccount `
    --tasks 1 --max-retries 0 --task-timeout 10m `
    --cpu 1 --memory 512Mi
  Invoke-Gcloud run jobs execute $Job --project $ProjectId --region $Region --wait
}

# 3. The service, from service.yaml with the placeholders filled in.
$values = @{
  'SERVICE'           = $ServiceName
  'REGION'            = $Region
  'IMAGE'             = $Image
  'CLOUDSQL_INSTANCE' = $CloudSqlInstance
  'SERVICE_ACCOUNT'   = $ServiceAccount
  'PROJECT_ID'        = $ProjectId
}
$yaml = Get-Content -Raw -Path (Join-Path $Root 'deploy/cloudrun/service.yaml')
foreach ($name in $values.Keys) {
  $yaml = $yaml.Replace('${' + $name + '}', $values[$name])
}
$left = $yaml -split "`n" | Where-Object { $_ -match '^[^#]*\$\{' }
if ($left) { throw "service.yaml still has placeholders: $($left -join '; ')" }

$rendered = Join-Path ([System.IO.Path]::GetTempPath()) ("capsules-service-{0}.yaml" -f [guid]::NewGuid())
try {
  # UTF-8 without a byte order mark (Windows PowerShell's Set-Content would write one).
  [System.IO.File]::WriteAllText($rendered, $yaml)
  if ($DryRun) {
    Write-Host '# rendered service.yaml (dry run):'
    Write-Host $yaml
  }
  Invoke-Gcloud run services replace $rendered --project $ProjectId --region $Region
}
finally {
  Remove-Item -Path $rendered -ErrorAction SilentlyContinue
}

# The API checks its own keys; Cloud Run's IAM check stays on unless asked otherwise.
if ($AllowUnauthenticated) {
  Invoke-Gcloud run services add-iam-policy-binding $ServiceName --project $ProjectId --region $Region `
    --member allUsers --role roles/run.invoker
}

if (-not $DryRun) {
  $url = & gcloud run services describe $ServiceName --project $ProjectId --region $Region --format 'value(status.url)'
  Write-Host "deployed: $url (probe: $url/health/ready)"
}

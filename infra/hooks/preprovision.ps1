# azd's preprovision hook on Windows: the same check as preprovision.sh (read that for why).
$key = azd env get-value FAL_KEY 2>$null
if ($LASTEXITCODE -ne 0 -or [string]::IsNullOrWhiteSpace($key)) {
  Write-Error ("FAL_KEY is not set in this azd environment, and the app cannot call fal.ai without it.`n" +
    "Set it (a key from https://fal.ai/dashboard/keys, `"id:secret`"), then run azd up again:`n" +
    "  azd env set FAL_KEY <id:secret>")
  exit 1
}

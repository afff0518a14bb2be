# Shared by the DaskPS Pester tests: the built module, a real scheduler with DaskPS workers, and waiting with deadlines.

$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

function Get-DaskPSManifest { Join-Path $script:RepoRoot 'out/DaskPS/DaskPS.psd1' }

function Import-DaskPSUnderTest {
    $manifest = Get-DaskPSManifest
    if (-not (Test-Path $manifest)) { throw "Build the module first (dotnet build): $manifest is missing." }
    # -Global: imported from inside this module, it would otherwise be visible only here.
    Import-Module $manifest -Force -Global
}

# Polls until the condition holds. The condition runs in a scope of its own: a variable it assigns is not the caller's.
function Wait-Until {
    param([scriptblock] $Condition, [timespan] $Timeout = [timespan]::FromSeconds(60), [string] $Because = 'the condition')
    $deadline = [datetime]::UtcNow + $Timeout
    while (-not (& $Condition)) {
        if ([datetime]::UtcNow -gt $deadline) { throw "Timed out after $Timeout waiting for $Because." }
        Start-Sleep -Milliseconds 50
    }
}

<#
.SYNOPSIS
    Starts a real dask-scheduler (a job) and DaskPS workers (jobs), connects, and waits until the scheduler sees them all.
#>
function Start-TestCluster {
    param([int] $WorkerCount = 2, [int] $Slots = 2, [string] $Name = 'pester', [hashtable] $WorkerParameters = @{}, [switch] $NoDefault)
    $scheduler = Start-DaskScheduler
    $workers = Start-DaskWorker -Scheduler $scheduler.Address -Count $WorkerCount -ThrottleLimit $Slots -Name $Name @WorkerParameters
    $session = Connect-DaskScheduler -Address $scheduler.Address -NoDefault:$NoDefault
    Wait-Until { @(Get-DaskWorker -Client $session).Count -eq $WorkerCount } -Because "$WorkerCount workers to register"
    [pscustomobject]@{ Scheduler = $scheduler; Workers = @($workers); Session = $session }
}

<#
.SYNOPSIS
    Stops what Start-TestCluster started, also after a failure, and removes every DaskPS job of this runspace.
#>
function Stop-TestCluster {
    param($Cluster)
    if ($Cluster -and $Cluster.Session -and $Cluster.Session.IsConnected) { Stop-DaskClient -Client $Cluster.Session -Confirm:$false }
    Get-Job | Where-Object PSJobTypeName -In 'DaskWorkerJob', 'DaskRemoteWorkerJob', 'DaskSchedulerJob' | Remove-Job -Force
}

<#
.SYNOPSIS
    A loopback port nothing listens on, below Linux's ephemeral range (32768 and up), so no outgoing connection
    takes it between this check and its use.
#>
function Get-UnusedTcpPort {
    for ($attempt = 0; $attempt -lt 100; $attempt++) {
        $port = Get-Random -Minimum 20000 -Maximum 32000
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $port)
        try {
            $listener.Start()
            return $port
        }
        catch [System.Net.Sockets.SocketException] {
            continue
        }
        finally {
            $listener.Stop()
        }
    }
    throw 'No unused loopback port found between 20000 and 32000.'
}

<#
.SYNOPSIS
    Starts another PowerShell engine like the one running this session, with redirected output; returns the Process.
.DESCRIPTION
    The engine is the process that runs this session, whatever launched it: pwsh's own executable (a package
    install), powershell.exe (Windows PowerShell), or the dotnet host running $PSHOME/pwsh.dll (the dotnet tool,
    whose 'pwsh' command is only a launcher: its process id is not the engine's, and signals sent to it do not
    reach the engine). The returned process is the engine itself, so tests can signal and wait on it.
#>
function Start-PowerShellProcess {
    # -Environment: variables to set for it; a $null value removes one. -RedirectInput: its standard input is a pipe
    # from here (otherwise it shares this one's).
    param([string[]] $ArgumentList, [hashtable] $Environment = @{}, [switch] $RedirectInput)
    $engine = @(Get-PowerShellEngine)
    $info = [System.Diagnostics.ProcessStartInfo]::new($engine[0])
    foreach ($argument in $engine | Select-Object -Skip 1) { $info.ArgumentList.Add($argument) }
    foreach ($argument in $ArgumentList) { $info.ArgumentList.Add($argument) }
    foreach ($name in $Environment.Keys) {
        if ($null -eq $Environment[$name]) { $null = $info.Environment.Remove($name) } else { $info.Environment[$name] = $Environment[$name] }
    }
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.RedirectStandardInput = $RedirectInput
    $info.UseShellExecute = $false
    [System.Diagnostics.Process]::Start($info)
}

<#
.SYNOPSIS
    The command that starts the PowerShell engine running this session: its program, then the arguments it needs
    first (the dotnet host takes $PSHOME/pwsh.dll). See Start-PowerShellProcess.
#>
function Get-PowerShellEngine {
    $engine = if ($PSVersionTable.PSEdition -eq 'Desktop') { (Get-Process -Id $PID).Path } else { [Environment]::ProcessPath }
    if ([IO.Path]::GetFileNameWithoutExtension($engine) -eq 'dotnet') { $engine, (Join-Path $PSHOME 'pwsh.dll') } else { $engine }
}

<#
.SYNOPSIS
    Hosts in network namespaces that take ssh logins (DaskPS.Testing's SshHosts): sshd on each of -WithSsh, nothing
    on -WithoutSsh. Needs root, iproute2 and openssh-server; fails saying which is missing. Dispose it (Stop-TestSshHosts).
#>
function Start-TestSshHosts {
    param([string[]] $WithSsh, [string[]] $WithoutSsh = @())
    Add-Type -Path (Join-Path $script:RepoRoot 'tests/DaskPS.Testing/bin/Release/net10.0/DaskPS.Testing.dll')
    [DaskPS.Testing.SshHosts]::StartAsync($WithSsh, $WithoutSsh).GetAwaiter().GetResult()
}

function Stop-TestSshHosts {
    param($SshHosts)
    if ($SshHosts) { $SshHosts.DisposeAsync().AsTask().GetAwaiter().GetResult() }
}

<#
.SYNOPSIS
    Ends a process from Start-PowerShellProcess (and what it started) if it is still running, and releases it.
#>
function Stop-PowerShellProcess {
    param([System.Diagnostics.Process] $Process)
    if (-not $Process) { return }
    if (-not $Process.HasExited) { $Process.Kill($true) }
    $Process.Dispose()
}

<#
.SYNOPSIS
    Starts a DaskPS worker in the foreground (Start-DaskWorker -Wait) in another PowerShell engine; returns its Process.
#>
function Start-ForegroundWorker {
    # -StopWhenInputEnds: passed on, with the worker's standard input a pipe from here.
    param([string] $Scheduler, [string] $Name, [switch] $StopWhenInputEnds)
    $command = "Import-Module '$(Get-DaskPSManifest)'; Start-DaskWorker -Scheduler $Scheduler -Name $Name -Wait -StopWhenInputEnds:`$$StopWhenInputEnds"
    Start-PowerShellProcess '-NoProfile', '-NonInteractive', '-Command', $command -RedirectInput:$StopWhenInputEnds
}

<#
.SYNOPSIS
    Child processes of this PowerShell process (a dask-scheduler it started shows up here until it is stopped).
#>
function Get-ChildProcess {
    Get-Process | Where-Object { $_.Parent -and $_.Parent.Id -eq $PID -and -not $_.HasExited }
}

<#
.SYNOPSIS
    Writes a throw-away CA and, signed by it, a certificate for 127.0.0.1/localhost usable by servers and clients, as
    PEM files in -Path: <Name>-ca.pem, <Name>-cert.pem and <Name>-key.pem (.NET's own APIs, PowerShell 7 only).
#>
function New-TestCertificateFiles {
    param([string] $Path, [string] $Name)
    $sha256 = [System.Security.Cryptography.HashAlgorithmName]::SHA256
    $pkcs1 = [System.Security.Cryptography.RSASignaturePadding]::Pkcs1
    $now = [datetimeoffset]::UtcNow
    $caKey = [System.Security.Cryptography.RSA]::Create(2048)
    $caRequest = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new("CN=$Name CA", $caKey, $sha256, $pkcs1)
    $caRequest.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($true, $false, 0, $true))
    $ca = $caRequest.CreateSelfSigned($now.AddMinutes(-5), $now.AddHours(2))

    $key = [System.Security.Cryptography.RSA]::Create(2048)
    $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new("CN=127.0.0.1", $key, $sha256, $pkcs1)
    $usages = [System.Security.Cryptography.OidCollection]::new()
    $null = $usages.Add([System.Security.Cryptography.Oid]::new('1.3.6.1.5.5.7.3.1'))
    $null = $usages.Add([System.Security.Cryptography.Oid]::new('1.3.6.1.5.5.7.3.2'))
    $request.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension]::new($usages, $false))
    $names = [System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder]::new()
    $names.AddIpAddress([System.Net.IPAddress]::Loopback)
    $names.AddDnsName('localhost')
    $request.CertificateExtensions.Add($names.Build())
    $certificate = $request.Create($ca, $now.AddMinutes(-5), $now.AddHours(1), [byte[]](1..8))

    $files = [pscustomobject]@{
        CAFile          = Join-Path $Path "$Name-ca.pem"
        CertificateFile = Join-Path $Path "$Name-cert.pem"
        KeyFile         = Join-Path $Path "$Name-key.pem"
    }
    Set-Content -LiteralPath $files.CAFile -Value $ca.ExportCertificatePem()
    Set-Content -LiteralPath $files.CertificateFile -Value $certificate.ExportCertificatePem()
    Set-Content -LiteralPath $files.KeyFile -Value $key.ExportPkcs8PrivateKeyPem()
    $files
}

Export-ModuleMember -Function Start-PowerShellProcess, Get-PowerShellEngine, Start-TestSshHosts, Stop-TestSshHosts, Stop-PowerShellProcess, Start-ForegroundWorker, Get-UnusedTcpPort, Get-DaskPSManifest, Import-DaskPSUnderTest, Wait-Until, Start-TestCluster, Stop-TestCluster, Get-ChildProcess, New-TestCertificateFiles

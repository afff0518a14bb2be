# TLS from the cmdlets: a real dask-scheduler over mutual TLS with a DaskPS worker and a Python worker, and the
# ErrorRecords for missing or untrusted certificates.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-DaskPSUnderTest
    $script:folder = Join-Path ([IO.Path]::GetTempPath()) "daskps-tls-$([guid]::NewGuid().ToString('N'))"
    $null = New-Item -ItemType Directory -Path $folder
    # Files as dask's --tls-ca-file, --tls-cert and --tls-key take them; "other" is a second, unrelated CA.
    $script:trusted = New-TestCertificateFiles -Path $folder -Name trusted
    $script:other = New-TestCertificateFiles -Path $folder -Name other
    $script:tls = @{ CAFile = $trusted.CAFile; CertificateFile = $trusted.CertificateFile; KeyFile = $trusted.KeyFile }
    $script:scheduler = Start-DaskScheduler @tls
}

AfterAll {
    Get-Job | Where-Object PSJobTypeName -In 'DaskWorkerJob', 'DaskSchedulerJob' | Remove-Job -Force
    Remove-Item -LiteralPath $folder -Recurse -Force -ErrorAction Ignore
}

Describe 'Mutual TLS with a real scheduler' {
    BeforeAll {
        $script:pythonWorker = Start-Process /usr/bin/python3 -PassThru `
            -RedirectStandardOutput (Join-Path $folder 'python-worker.out') -RedirectStandardError (Join-Path $folder 'python-worker.log') `
            -ArgumentList '-m', 'distributed.cli.dask_worker', $scheduler.Address, '--tls-ca-file', $trusted.CAFile,
            '--tls-cert', $trusted.CertificateFile, '--tls-key', $trusted.KeyFile, '--nthreads', '1', '--no-nanny', '--name', 'python-tls'
        $script:daskpsWorker = Start-DaskWorker $scheduler.Address -Name daskps-tls @tls
        $script:session = Connect-DaskScheduler $scheduler.Address -NoDefault @tls
        Wait-Until { @(Get-DaskWorker -Client $session).Count -eq 2 } -Because 'the Python and the DaskPS worker to register over TLS'
    }

    AfterAll {
        if ($script:session) { Stop-DaskClient -Client $session -Confirm:$false }
        if ($script:pythonWorker) {
            if (-not $pythonWorker.HasExited) { $pythonWorker.Kill($true) }
            $pythonWorker.WaitForExit()
            $pythonWorker.Dispose()
        }
    }

    It 'listens on tls:// only: the scheduler and both workers' {
        $scheduler.Address | Should -Match '^tls://127\.0\.0\.1:\d+$'
        $session.Address | Should -Be $scheduler.Address
        Get-DaskWorker -Client $session | ForEach-Object Address | Should -Match '^tls://'
        $daskpsWorker.Address | Should -Match '^tls://'
    }

    It 'runs a task graph over TLS, fetching a value held by the Python worker' {
        $python = (Get-DaskWorker -Client $session | Where-Object Name -EQ 'python-tls').Address
        $held = Send-DaskData 21 -Workers $python -Client $session
        $doubled = Submit-DaskTask { param($x) $x * 2 } -ArgumentList $held -Client $session
        $sum = Submit-DaskTask { param($x, $y) $x + $y } -ArgumentList $doubled, $held -Client $session
        Get-DaskResult $sum, $doubled -Client $session -Timeout '00:00:30' | Should -Be 63, 42
    }

    It 'takes the client certificate as an X509Certificate2 or as a PKCS#12 file' {
        $certificate = [System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPemFile($trusted.CertificateFile, $trusted.KeyFile)
        $pfx = Join-Path $folder 'trusted.pfx'
        [IO.File]::WriteAllBytes($pfx, $certificate.Export('Pkcs12'))
        foreach ($settings in @{ Certificate = $certificate }, @{ CertificateFile = $pfx }) {
            $other = Connect-DaskScheduler $scheduler.Address -NoDefault -CAFile $trusted.CAFile @settings
            try { @(Get-DaskWorker -Client $other).Count | Should -Be 2 }
            finally { Stop-DaskClient -Client $other -Confirm:$false }
        }
        { Connect-DaskScheduler $scheduler.Address -NoDefault -Certificate $certificate @tls -ErrorAction Stop } |
            Should -Throw -ErrorId 'DaskTlsSettingsInvalid,*' -ExpectedMessage '*either a certificate object or a certificate file*'
    }

    It 'refuses tcp:// with -RequireEncryption, naming the address' {
        { Connect-DaskScheduler tcp://127.0.0.1:8786 -NoDefault -RequireEncryption @tls -ErrorAction Stop } |
            Should -Throw -ErrorId 'DaskTlsEncryptionRequired,*' -ExpectedMessage '*tcp://127.0.0.1:8786*encryption is required*'
    }
}

Describe 'Connect-DaskScheduler -Local with TLS settings' {
    It 'starts the scheduler and its workers on tls:// and runs tasks' {
        $local = Connect-DaskScheduler -Local -WorkerCount 1 -NoDefault @tls
        try {
            $local.Address | Should -Match '^tls://127\.0\.0\.1:\d+$'
            Get-DaskWorker -Client $local | ForEach-Object Address | Should -Match '^tls://'
            1..3 | Submit-DaskTask { $_ * 3 } -Client $local | Get-DaskResult -Client $local | Should -Be 3, 6, 9
        }
        finally { Stop-DaskClient -Client $local -Confirm:$false }
    }
}

Describe 'TLS settings that cannot work' {
    It 'says which parameters to pass for a tls:// address without settings' {
        $failure = { Connect-DaskScheduler $scheduler.Address -NoDefault -ErrorAction Stop } | Should -Throw -PassThru
        $failure.FullyQualifiedErrorId | Should -BeLike 'DaskTlsSettingsMissing,*'
        $failure.CategoryInfo.Category | Should -Be 'InvalidArgument'
        "$failure" | Should -BeLike '*Pass -CAFile and either -CertificateFile (with -KeyFile*) or -Certificate.'
    }

    It '<Case> gives <ErrorId> within -TimeoutSeconds' -ForEach @(
        @{ Case = 'no client certificate'; ErrorId = 'DaskTlsClientCertificateMissing'; Message = '*requires a client certificate*'
            Settings = { @{ CAFile = $trusted.CAFile } } }
        @{ Case = 'a certificate from another CA'; ErrorId = 'DaskTlsClientCertificateRefused'; Message = '*does not trust that certificate''s CA*'
            Settings = { @{ CAFile = $trusted.CAFile; CertificateFile = $other.CertificateFile; KeyFile = $other.KeyFile } } }
        @{ Case = 'the wrong CA file'; ErrorId = 'DaskTlsServerCertificateUntrusted'; Message = '*not signed by the trusted CA ''CN=other CA''*check the CA file*'
            Settings = { @{ CAFile = $other.CAFile; CertificateFile = $trusted.CertificateFile; KeyFile = $trusted.KeyFile } } }
    ) {
        $settings = & $Settings
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $failure = { Connect-DaskScheduler $scheduler.Address -NoDefault -TimeoutSeconds 5 @settings -ErrorAction Stop } | Should -Throw -PassThru
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 5
        $failure.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        $failure.CategoryInfo.Category | Should -Be 'SecurityError'
        $failure.Exception.Message | Should -BeLike $Message
    }

    It 'names the file that cannot be read' {
        $missing = Join-Path $folder 'missing.pem'
        { Start-DaskWorker $scheduler.Address -CAFile $trusted.CAFile -CertificateFile $missing -KeyFile $trusted.KeyFile -ErrorAction Stop } |
            Should -Throw -ErrorId 'DaskTlsSettingsInvalid,*' -ExpectedMessage "*certificate file '$missing'*"
        { Start-DaskScheduler -CAFile $trusted.CAFile -CertificateFile $trusted.CertificateFile -KeyFile $missing -ErrorAction Stop } |
            Should -Throw -ErrorId 'DaskTlsSettingsInvalid,*' -ExpectedMessage "*key file '$missing'*"
    }

    It 'refuses a PEM certificate without its key' {
        { Connect-DaskScheduler $scheduler.Address -NoDefault -CAFile $trusted.CAFile -CertificateFile $trusted.CertificateFile -ErrorAction Stop } |
            Should -Throw -ErrorId 'DaskTlsSettingsInvalid,*' -ExpectedMessage "*certificate '$($trusted.CertificateFile)' with its private key (no key file given)*"
    }
}

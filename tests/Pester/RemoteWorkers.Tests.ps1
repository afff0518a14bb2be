# Start-DaskWorker -HostName: workers on other hosts over ssh. The hosts are network namespaces, each with its own
# sshd and throw-away keys (needs root, iproute2 and openssh-server, as CI has; without them the tests fail saying
# which is missing). The scheduler listens on this process's address on their network.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-DaskPSUnderTest
    $script:sshHosts = Start-TestSshHosts -WithSsh a, b, cut -WithoutSsh nossh
    $script:network = $sshHosts.Network
    $script:scheduler = Start-DaskScheduler -HostName $network.LocalAddress
    $script:session = Connect-DaskScheduler -Address $scheduler.Address
    # The hosts run this machine's PowerShell engine and the module under test, as root with the test key.
    $script:ssh = @{
        Port             = $sshHosts.Port
        KeyFilePath      = $sshHosts.KeyFile
        SshOption        = $sshHosts.ClientOptions
        RemotePowerShell = @(Get-PowerShellEngine)
        RemoteModulePath = Get-DaskPSManifest
    }

    # The IPv4 addresses of the host a task runs on (the argument only tells the tasks apart: equal tasks share a key).
    $script:hostAddresses = {
        param($for)
        @([System.Net.NetworkInformation.NetworkInterface]::GetAllNetworkInterfaces() | ForEach-Object { $_.GetIPProperties().UnicastAddresses } |
                Where-Object { $_.Address.AddressFamily -eq 'InterNetwork' } | ForEach-Object { $_.Address.ToString() })
    }
}

AfterAll {
    if ($script:session) { Stop-DaskClient -Client $script:session -Confirm:$false }
    Get-Job | Where-Object PSJobTypeName -In 'DaskWorkerJob', 'DaskRemoteWorkerJob', 'DaskSchedulerJob' | Remove-Job -Force
    Stop-TestSshHosts $script:sshHosts
}

Describe 'Start-DaskWorker -HostName' {
    It 'starts a worker on each host with one command; tasks run there, Receive-Job shows their log, Stop-Job ends them' {
        $a = $network.AddressOf('a')
        $b = $network.AddressOf('b')
        $jobs = $a, $b | Start-DaskWorker -Scheduler $scheduler.Address -Name remote -ThrottleLimit 2 @ssh
        try {
            $jobs | Should -HaveCount 2
            $jobs | ForEach-Object { $_.PSJobTypeName | Should -Be 'DaskRemoteWorkerJob'; $_.State | Should -Be 'Running' }
            $jobs.Name | Should -Be 'remote-1', 'remote-2'
            $jobs.Location | Should -Be $a, $b
            $jobs[0].Address | Should -Match "^tcp://$([regex]::Escape($a)):\d+$"
            $jobs[1].Address | Should -Match "^tcp://$([regex]::Escape($b)):\d+$"

            # Registered from their hosts' addresses, with the settings passed on.
            Wait-Until { @(Get-DaskWorker -Name 'remote-*').Count -eq 2 } -Because 'both remote workers to register'
            $workers = Get-DaskWorker -Name 'remote-*' | Sort-Object Name
            # (ForEach-Object: an array's own Address method would hide the property.)
            $workers | ForEach-Object Address | Should -Be ($jobs | ForEach-Object Address)
            $workers.Slots | Should -Be 2, 2

            # A task pinned to each runs in that host's namespace.
            $onA = Submit-DaskTask $hostAddresses -ArgumentList a -Workers $jobs[0].Address
            $onB = Submit-DaskTask $hostAddresses -ArgumentList b -Workers $jobs[1].Address
            Get-DaskResult $onA -Timeout '00:00:30' | Should -Contain $a
            Get-DaskResult $onB -Timeout '00:00:30' | Should -Contain $b
            Get-DaskResult $onA | Should -Not -Contain $b

            $log = @($jobs[0] | Receive-Job -Keep)
            $log -match "Worker 'remote-1' at tcp://$([regex]::Escape($a)):\d+ registered with $([regex]::Escape($scheduler.Address))" | Should -HaveCount 1
            $jobs[0].HasMoreData | Should -BeTrue
            # The test command says which scheduler release it runs against.
            if ($env:DASKPS_DASK_VERSION) { $log -match "dask\.distributed $([regex]::Escape($env:DASKPS_DASK_VERSION))" | Should -HaveCount 1 }

            foreach ($hostName in 'a', 'b') { @($sshHosts.ProcessesLeftAsync($hostName).GetAwaiter().GetResult()) | Should -Not -BeNullOrEmpty }
            $jobs | Stop-Job
            $jobs.State | Should -Be 'Stopped', 'Stopped'
            Wait-Until { @(Get-DaskWorker -Name 'remote-*').Count -eq 0 } -Because 'the scheduler to see both workers leave'
            # Nothing of the logins is left on either host: the remote PowerShell exited with the ssh session.
            foreach ($hostName in 'a', 'b') {
                Wait-Until { @($sshHosts.ProcessesLeftAsync($hostName).GetAwaiter().GetResult()).Count -eq 0 } -Because "no process to remain on host $hostName"
            }
            # What the worker wrote to standard error as it stopped is shown, not taken as the test's failure.
            $rest = @($jobs[1] | Receive-Job -ErrorAction SilentlyContinue -ErrorVariable restErrors)
            $restErrors | ForEach-Object { Write-Warning "remote-2 wrote to standard error: $_" }
            $rest -match "Worker 'remote-2' stopped" | Should -HaveCount 1 -Because "its log ends with it: $($rest -join ' | ')"
        }
        finally {
            $jobs | Remove-Job -Force
        }
    }

    It 'takes hosts from the pipeline by property and starts -Count workers on each' {
        $hostObject = [pscustomobject]@{ HostName = $network.AddressOf('a') }
        $jobs = $hostObject | Start-DaskWorker $scheduler.Address -Count 2 -Name counted @ssh
        try {
            $jobs.Name | Should -Be 'counted-1', 'counted-2'
            $jobs.HostName | Should -Be $hostObject.HostName, $hostObject.HostName
            Wait-Until { @(Get-DaskWorker -Name 'counted-*').Count -eq 2 } -Because 'both workers on host a'
        }
        finally {
            $jobs | Remove-Job -Force
        }
        Wait-Until { @(Get-DaskWorker -Name 'counted-*').Count -eq 0 } -Because 'Remove-Job to stop them'
    }

    It 'ends the remote worker when ssh itself goes away, as when this PowerShell dies' {
        $job = Start-DaskWorker $scheduler.Address -HostName $network.AddressOf('b') -Name orphan @ssh
        try {
            Wait-Until { Get-DaskWorker -Name 'orphan' } -Because 'the worker to register'
            $sshClient = Get-ChildProcess | Where-Object { $_.ProcessName -eq 'ssh' -and $_.CommandLine -like "*$($network.AddressOf('b'))*" }
            $sshClient | Should -HaveCount 1
            $sshClient.Kill()
            Wait-Until { -not (Get-DaskWorker -Name 'orphan') } -Because 'the scheduler to see the worker leave'
            Wait-Until { @($sshHosts.ProcessesLeftAsync('b').GetAwaiter().GetResult()).Count -eq 0 } -Because 'no process to remain on host b'
            Wait-Until { $job.State -eq 'Failed' } -Because 'the job to fail'
            $job | Receive-Job -ErrorAction SilentlyContinue -ErrorVariable failure
            ($failure | Where-Object FullyQualifiedErrorId -EQ 'DaskJobFailed').Exception.Message | Should -BeLike "*$($network.AddressOf('b'))*"
        }
        finally {
            $job | Remove-Job -Force
        }
    }

    It 'fails the job, naming the host, when the connection to it breaks' {
        # Keep-alives every second: ssh gives up after two unanswered ones.
        $parameters = $ssh.Clone()
        $parameters.SshOption = @($ssh.SshOption) + 'ServerAliveInterval=1', 'ServerAliveCountMax=2'
        $job = Start-DaskWorker $scheduler.Address -HostName $network.AddressOf('cut') -Name 'cut' @parameters
        try {
            Wait-Until { Get-DaskWorker -Name 'cut' } -Because 'the worker to register'
            $network.CutAsync('cut').GetAwaiter().GetResult()
            Wait-Until { $job.State -eq 'Failed' } -Timeout '00:00:30' -Because 'ssh to notice the dead link'
            $job | Receive-Job -ErrorAction SilentlyContinue -ErrorVariable failure
            ($failure | Where-Object FullyQualifiedErrorId -EQ 'DaskJobFailed').Exception.Message |
                Should -BeLike "The ssh connection to '$($network.AddressOf('cut'))' broke (exit code 255).*"
        }
        finally {
            $job | Remove-Job -Force
        }
    }

    It 'writes an error naming the host and a Failed job when ssh cannot connect' {
        $unreachable = $network.AddressOf('nossh')
        $job = Start-DaskWorker $scheduler.Address -HostName $unreachable @ssh -ErrorAction SilentlyContinue -ErrorVariable failure
        try {
            $failure | Should -HaveCount 1
            $failure[0].FullyQualifiedErrorId | Should -Be 'DaskRemoteWorkerStartFailed,DaskPS.Cmdlets.Commands.StartDaskWorkerCommand'
            $failure[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            $failure[0].TargetObject | Should -Be $unreachable
            $failure[0].Exception.Message | Should -BeLike "ssh could not connect or log in to '$unreachable'*Connection refused*"
            $job.State | Should -Be 'Failed'
            $job.Location | Should -Be $unreachable
        }
        finally {
            $job | Remove-Job -Force
        }
    }

    It 'writes an error naming the host when PowerShell is not there' {
        $parameters = $ssh.Clone()
        $parameters.RemotePowerShell = '/nonexistent/pwsh'
        $job = Start-DaskWorker $scheduler.Address -HostName $network.AddressOf('a') @parameters -ErrorAction SilentlyContinue -ErrorVariable failure
        try {
            $failure | Should -HaveCount 1
            $failure[0].Exception.Message | Should -BeLike "'/nonexistent/pwsh' was not found on '$($network.AddressOf('a'))'*"
            $job.State | Should -Be 'Failed'
        }
        finally {
            $job | Remove-Job -Force
        }
        Wait-Until { @($sshHosts.ProcessesLeftAsync('a').GetAwaiter().GetResult()).Count -eq 0 } -Because 'no process to remain on host a'
    }

    It 'carries what the remote PowerShell writes to standard error as plain lines, such as a module it cannot import' {
        $parameters = $ssh.Clone()
        $parameters.RemoteModulePath = '/nonexistent/DaskPS.psd1'
        $job = Start-DaskWorker $scheduler.Address -HostName $network.AddressOf('a') @parameters -ErrorAction SilentlyContinue -ErrorVariable failure
        try {
            Wait-Until { $job.State -eq 'Failed' } -Because 'the remote PowerShell to exit'
            $null = $job | Receive-Job -Keep -ErrorAction SilentlyContinue -ErrorVariable remoteErrors
            $said = (@($failure) + @($remoteErrors) | ForEach-Object { "$_" }) -join "`n"
            $said | Should -Match '/nonexistent/DaskPS\.psd1'
            $said | Should -Not -Match 'CLIXML'
        }
        finally {
            $job | Remove-Job -Force
        }
    }

    It 'refuses a host name that ssh could read as an option, and starts nothing for it' {
        $before = @(Get-Job).Count
        Start-DaskWorker $scheduler.Address -HostName '-oProxyCommand=touch /tmp/daskps-injected', 'a b' @ssh -ErrorAction SilentlyContinue -ErrorVariable failure |
            Should -BeNullOrEmpty
        $failure | Should -HaveCount 2
        $failure | ForEach-Object { $_.FullyQualifiedErrorId | Should -Be 'DaskWorkerHostNameInvalid,DaskPS.Cmdlets.Commands.StartDaskWorkerCommand' }
        $failure[0].Exception.Message | Should -BeLike "*'-oProxyCommand=touch /tmp/daskps-injected' is not a host name*"
        @(Get-Job).Count | Should -Be $before
        '/tmp/daskps-injected' | Should -Not -Exist
    }

    It 'refuses an ssh setting that is not Name=value' {
        { Start-DaskWorker $scheduler.Address -HostName $network.AddressOf('a') -SshOption '-oProxyCommand=touch /tmp/daskps-injected' } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,DaskPS.Cmdlets.Commands.StartDaskWorkerCommand'
        '/tmp/daskps-injected' | Should -Not -Exist
    }

    It 'passes names and settings with quotes and spaces through unchanged' {
        $name = "it's `"quoted`" `$(whoami); `$env:HOME"
        $job = Start-DaskWorker $scheduler.Address -HostName $network.AddressOf('a') -Name $name -Resources @{ "G'PU" = 1.5 } @ssh
        try {
            Wait-Until { Get-DaskWorker -Name $name } -Because 'the worker with that name to register'
            (Get-DaskWorker -Name $name).Resources["G'PU"] | Should -Be 1.5
            $job.WorkerName | Should -Be $name
        }
        finally {
            $job | Remove-Job -Force
        }
    }

    It 'passes the TLS files on: the remote worker listens on tls:// and serves results over TLS' {
        # One certificate for this machine and the host, as a cluster's nodes may share one; the files are where the
        # host finds them too (the hosts share this file system).
        $folder = Join-Path ([IO.Path]::GetTempPath()) "daskps-ssh-tls-$([guid]::NewGuid().ToString('N'))"
        $null = New-Item -ItemType Directory -Path $folder
        $certificates = [DaskPS.Testing.TestCertificates]::new()
        try {
            $addresses = [System.Net.IPAddress[]]@($network.LocalAddress, $network.AddressOf('a'))
            $files = $certificates.WritePem($certificates.IssuePeer($addresses), $folder)
            $tls = @{ CAFile = $files.CAFile; CertificateFile = $files.CertificateFile; KeyFile = $files.KeyFile }
            $tlsScheduler = Start-DaskScheduler -HostName $network.LocalAddress @tls
            $tlsSession = Connect-DaskScheduler $tlsScheduler.Address -NoDefault @tls
            $job = Start-DaskWorker $tlsScheduler.Address -HostName $network.AddressOf('a') -Name 'secure' -RequireEncryption @tls @ssh
            $job.Address | Should -Match "^tls://$([regex]::Escape($network.AddressOf('a'))):\d+$"
            Wait-Until { Get-DaskWorker -Name 'secure' -Client $tlsSession } -Because 'the worker to register over TLS'
            Submit-DaskTask $hostAddresses -ArgumentList tls -Client $tlsSession | Get-DaskResult -Client $tlsSession | Should -Contain $network.AddressOf('a')
        }
        finally {
            if ($tlsSession) { Stop-DaskClient -Client $tlsSession -Confirm:$false }
            $job, $tlsScheduler | Where-Object { $_ } | Remove-Job -Force
            $certificates.Dispose()
            Remove-Item $folder -Recurse -Force
        }
    }

    It 'starts nothing with -WhatIf' {
        $before = @(Get-Job).Count
        Start-DaskWorker $scheduler.Address -HostName $network.AddressOf('a') -Name 'whatif' @ssh -WhatIf | Should -BeNullOrEmpty
        @(Get-Job).Count | Should -Be $before
        Get-ChildProcess | Where-Object ProcessName -EQ 'ssh' | Should -BeNullOrEmpty
    }

    It 'refuses -Certificate, which cannot go to another host' {
        $key = [System.Security.Cryptography.ECDsa]::Create()
        $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=worker', $key, [System.Security.Cryptography.HashAlgorithmName]::SHA256)
        $certificate = $request.CreateSelfSigned([datetimeoffset]::UtcNow, [datetimeoffset]::UtcNow.AddHours(1))
        { Start-DaskWorker $scheduler.Address -HostName $network.AddressOf('a') -Certificate $certificate @ssh -ErrorAction Stop } |
            Should -Throw -ErrorId 'DaskWorkerRemoteCertificate,DaskPS.Cmdlets.Commands.StartDaskWorkerCommand'
    }
}

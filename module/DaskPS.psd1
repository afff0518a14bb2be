@{
    RootModule           = 'DaskPS.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6f1c2d0e-8a4b-4f7e-9c3d-2b5a7e9f1d40'
    Author               = 'DaskPS contributors'
    Copyright            = '(c) DaskPS contributors. MIT License.'
    Description          = 'Run PowerShell work on a dask.distributed cluster: connect to a dask-scheduler, start workers as jobs, submit script blocks as task graphs.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    DotNetFrameworkVersion = '4.7.2'
    # Explicit lists: nothing is exported by accident. Cmdlets are added here as they are implemented.
    FormatsToProcess     = @('DaskPS.format.ps1xml')
    CmdletsToExport      = @(
        'Connect-DaskScheduler', 'Start-DaskScheduler', 'Start-DaskWorker', 'Submit-DaskTask', 'Get-DaskResult',
        'Copy-DaskData', 'Send-DaskData', 'Stop-DaskTask', 'Wait-DaskTask', 'Get-DaskTask', 'Get-DaskWorker', 'Stop-DaskClient',
        'Send-DaskQueueItem', 'Receive-DaskQueueItem', 'Get-DaskQueue', 'Set-DaskVariable', 'Get-DaskVariable',
        'Remove-DaskVariable', 'Enter-DaskLock', 'Exit-DaskLock', 'Enter-DaskSemaphore', 'Exit-DaskSemaphore',
        'Enter-DaskMultiLock', 'Exit-DaskMultiLock',
        'Set-DaskEvent', 'Clear-DaskEvent', 'Wait-DaskEvent', 'Test-DaskEvent'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('dask', 'distributed', 'parallel', 'cluster', 'jobs')
        }
    }
}

using System.Runtime.CompilerServices;

// PowerShell resolves type names in scripts ([DaskPS.Client.DaskNode], catch [DaskPS.Client.DaskTaskException]) only
// in assemblies of the default load context, where DaskPS.Core is not; it follows forwarders, so this assembly names
// the core types that PowerShell users meet: what the cmdlets take and write, the properties of DaskPS's own objects,
// and the errors they report.
[assembly: TypeForwardedTo(typeof(DaskPS.Client.DaskNode))]
[assembly: TypeForwardedTo(typeof(DaskPS.Client.DaskWorkerInfo))]
[assembly: TypeForwardedTo(typeof(DaskPS.Client.DaskClient))]
[assembly: TypeForwardedTo(typeof(DaskPS.Diagnostics.DaskLogger))]
[assembly: TypeForwardedTo(typeof(DaskPS.DaskException))]
[assembly: TypeForwardedTo(typeof(DaskPS.DaskTimeoutException))]
[assembly: TypeForwardedTo(typeof(DaskPS.Client.DaskTaskException))]
[assembly: TypeForwardedTo(typeof(DaskPS.Client.DaskDependencyException))]
[assembly: TypeForwardedTo(typeof(DaskPS.Client.DaskCancelledException))]
[assembly: TypeForwardedTo(typeof(DaskPS.Client.DaskSchedulerLostException))]
[assembly: TypeForwardedTo(typeof(DaskPS.Client.KeysUnavailableException))]
[assembly: TypeForwardedTo(typeof(DaskPS.Client.DaskValueTooDeepException))]
[assembly: TypeForwardedTo(typeof(DaskPS.Client.DaskNodeState))]
[assembly: TypeForwardedTo(typeof(DaskPS.Client.Coordination.DaskValueNotPlainException))]
[assembly: TypeForwardedTo(typeof(DaskPS.Client.Coordination.DaskNotHeldException))]
[assembly: TypeForwardedTo(typeof(DaskPS.Comm.CommClosedException))]
[assembly: TypeForwardedTo(typeof(DaskPS.Comm.DaskAddressException))]
[assembly: TypeForwardedTo(typeof(DaskPS.Comm.DaskTlsException))]
[assembly: TypeForwardedTo(typeof(DaskPS.Dialects.UnsupportedSchedulerException))]
[assembly: TypeForwardedTo(typeof(DaskPS.Protocol.DaskProtocolException))]
[assembly: TypeForwardedTo(typeof(DaskPS.Rpc.DaskRemoteException))]
[assembly: TypeForwardedTo(typeof(DaskPS.Tasks.TaskFailureException))]
[assembly: TypeForwardedTo(typeof(DaskPS.Tasks.TaskNotRunnableException))]

using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Cmdlets.Sessions;

namespace DaskPS.Cmdlets.Commands
{
    /// <summary>What every DaskPS cmdlet shares: finding the session, waiting on the core, and error records.</summary>
    public abstract class DaskCmdlet : PSCmdlet
    {
        private readonly CancellationTokenSource _stopping = new CancellationTokenSource();

        /// <summary>Cancelled when the user presses Ctrl+C (StopProcessing).</summary>
        protected CancellationToken Cancellation => _stopping.Token;

        protected override void StopProcessing() => _stopping.Cancel();

        /// <summary>The explicit session, else this runspace's default; a terminating error when there is none.</summary>
        protected DaskSession ResolveSession(DaskSession? explicitSession)
        {
            DaskSession? session = explicitSession ?? SessionRegistry.Default;
            if (session is null)
            {
                ThrowTerminatingError(new ErrorRecord(
                    new InvalidOperationException("No Dask session: run Connect-DaskScheduler first, or pass -Client."),
                    "NoDaskSession", ErrorCategory.ConnectionError, null));
            }

            if (!session!.IsConnected)
            {
                ThrowTerminatingError(new ErrorRecord(
                    new InvalidOperationException($"The Dask session to {session.Address} is closed; connect again with Connect-DaskScheduler."),
                    "DaskSessionClosed", ErrorCategory.ConnectionError, session));
            }

            return session;
        }

        /// <summary>Waits for core work on the pipeline thread (cmdlets must write from it).</summary>
        protected T Await<T>(Func<CancellationToken, Task<T>> work) =>
            Task.Run(() => work(Cancellation)).GetAwaiter().GetResult();

        protected void Await(Func<CancellationToken, Task> work) =>
            Task.Run(() => work(Cancellation)).GetAwaiter().GetResult();

        protected static ErrorRecord Error(Exception exception, string errorId, ErrorCategory category, object? target) =>
            new ErrorRecord(exception, errorId, category, target);

        /// <summary>The category users filter on, from what went wrong.</summary>
        protected static ErrorCategory CategoryOf(Exception exception) => exception switch
        {
            DaskPS.Client.DaskCancelledException => ErrorCategory.OperationStopped,
            DaskPS.Client.DaskSchedulerLostException => ErrorCategory.ConnectionError,
            DaskPS.Comm.DaskTlsException { Failure: DaskPS.Comm.DaskTlsFailure.SettingsMissing or DaskPS.Comm.DaskTlsFailure.SettingsInvalid } => ErrorCategory.InvalidArgument,
            DaskPS.Comm.DaskTlsException => ErrorCategory.SecurityError,
            DaskPS.Comm.CommClosedException => ErrorCategory.ConnectionError,
            DaskPS.Comm.DaskAddressException => ErrorCategory.InvalidArgument,
            DaskPS.Dialects.UnsupportedSchedulerException => ErrorCategory.NotImplemented,
            DaskTimeoutException or TimeoutException => ErrorCategory.OperationTimeout,
            DaskPS.Client.DaskTaskException => ErrorCategory.InvalidResult,
            ArgumentException => ErrorCategory.InvalidArgument,
            _ => ErrorCategory.NotSpecified,
        };
    }
}

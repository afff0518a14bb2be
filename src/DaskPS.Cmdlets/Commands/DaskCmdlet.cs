using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Cmdlets.Scripts;
using DaskPS.Cmdlets.Sessions;
using DaskPS.Tasks;

namespace DaskPS.Cmdlets.Commands
{
    /// <summary>What every DaskPS cmdlet shares: finding the session, waiting on the core, and error records.</summary>
    public abstract class DaskCmdlet : PSCmdlet
    {
        private readonly CancellationTokenSource _stopping = new CancellationTokenSource();

        /// <summary>Cancelled when the user presses Ctrl+C (StopProcessing).</summary>
        protected CancellationToken Cancellation => _stopping.Token;

        protected override void StopProcessing() => _stopping.Cancel();

        /// <summary>
        /// The explicit session, else this runspace's default, else (in a task) the task's own cluster; a terminating error
        /// when there is none.
        /// </summary>
        protected DaskSession ResolveSession(DaskSession? explicitSession)
        {
            DaskSession? session = explicitSession ?? SessionRegistry.Default ?? TaskSession();
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

        /// <summary>
        /// For a cmdlet that waits for other tasks: inside a task, its slot is given up until disposed (dask's secede and
        /// rejoin), so tasks that wait for the tasks they submitted never hold every slot.
        /// </summary>
        protected IDisposable WaitingForTasks() => RunningTasks.Current is TaskRun run ? new SlotGivenUp(run, Cancellation) : NoSlot.Instance;

        private DaskSession? TaskSession()
        {
            if (RunningTasks.Current is not TaskRun run)
            {
                return null;
            }

            try
            {
                return Await(ct => SessionRegistry.ForTaskAsync(run, ct));
            }
            catch (DaskPS.DaskException e)
            {
                ThrowTerminatingError(Error(e, "DaskTaskSessionFailed", CategoryOf(e), run.Key));
                return null;
            }
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

        private sealed class SlotGivenUp : IDisposable
        {
            private readonly TaskRun _run;
            private readonly CancellationToken _stopping;

            public SlotGivenUp(TaskRun run, CancellationToken stopping)
            {
                _run = run;
                _stopping = stopping;
                run.Secede();
            }

            public void Dispose() => _run.RejoinAsync(_stopping).GetAwaiter().GetResult();
        }

        private sealed class NoSlot : IDisposable
        {
            public static readonly NoSlot Instance = new NoSlot();

            public void Dispose() { }
        }
    }
}

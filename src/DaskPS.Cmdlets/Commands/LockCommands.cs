using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Client.Coordination;

namespace DaskPS.Cmdlets.Commands
{
    /// <summary>
    /// Enter-DaskLock, Enter-DaskMultiLock and Enter-DaskSemaphore: take the lock(s) or a lease, waiting up to
    /// -Timeout; with -ScriptBlock, run it while held and release afterwards, whatever happens (an error, Ctrl+C).
    /// Each declares its own -Name (one name, or several for the multi-lock).
    /// </summary>
    public abstract class EnterCoordinationCmdlet : CoordinationCmdlet
    {
        // A release after Ctrl+C must not be cancelled itself, nor wait on a scheduler that does not answer.
        private static readonly TimeSpan ReleaseLimit = TimeSpan.FromSeconds(10);

        /// <summary>How long to wait; by default, until it is free (or Ctrl+C).</summary>
        [Parameter]
        public TimeSpan? Timeout { get; set; }

        /// <summary>Runs while held, then releases; its output is written when it ends.</summary>
        [Parameter(Position = 1)]
        public ScriptBlock? ScriptBlock { get; set; }

        protected abstract Task<bool> AcquireAsync(DaskClient client, TimeSpan? timeout, CancellationToken cancellationToken);

        protected abstract Task ReleaseAsync(DaskClient client, CancellationToken cancellationToken);

        /// <summary>What is taken, for messages: "the lock 'x'".</summary>
        protected abstract string Described { get; }

        protected override void EndProcessing()
        {
            // Resolved here: the default session belongs to the pipeline thread's runspace.
            DaskClient client = Session;
            if (!TryRun(token => AcquireAsync(client, Timeout, token), out bool acquired))
            {
                return;
            }

            if (!acquired)
            {
                WriteTimeout($"Dask{Primitive}Timeout", $"{Described} was not free within {Timeout}.");
                return;
            }

            if (ScriptBlock is null)
            {
                return;
            }

            try
            {
                // The caller's scope, as ForEach-Object runs its blocks.
                foreach (PSObject output in InvokeCommand.InvokeScript(false, ScriptBlock, null))
                {
                    WriteObject(output);
                }
            }
            finally
            {
                Release(client);
            }
        }

        /// <summary>Releases after the block; a failed release is an error record, unless the pipeline is stopping.</summary>
        private void Release(DaskClient client)
        {
            using var limit = new CancellationTokenSource(ReleaseLimit);
            try
            {
                Task.Run(() => ReleaseAsync(client, limit.Token)).GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is DaskException or OperationCanceledException)
            {
                // A stopping pipeline takes no records.
                if (!Cancellation.IsCancellationRequested)
                {
                    WriteError(Error(e, $"Dask{Primitive}Failed", CategoryOf(e), Target));
                }
            }
        }
    }

    /// <summary>Takes a dask lock (distributed.Lock.acquire).</summary>
    [Cmdlet(VerbsCommon.Enter, "DaskLock")]
    [OutputType(typeof(object))]
    public sealed class EnterDaskLockCommand : EnterCoordinationCmdlet
    {
        /// <summary>The lock's name, shared with every client of the scheduler.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = null!;

        protected override string Primitive => "Lock";

        protected override object Target => Name;

        protected override string Described => $"The lock '{Name}'";

        protected override Task<bool> AcquireAsync(DaskClient client, TimeSpan? timeout, CancellationToken cancellationToken) =>
            new DaskLock(client, Name).AcquireAsync(timeout, cancellationToken);

        protected override Task ReleaseAsync(DaskClient client, CancellationToken cancellationToken) =>
            new DaskLock(client, Name).ReleaseAsync(cancellationToken);
    }

    /// <summary>Releases a dask lock this session holds (distributed.Lock.release).</summary>
    [Cmdlet(VerbsCommon.Exit, "DaskLock")]
    [OutputType(typeof(void))]
    public sealed class ExitDaskLockCommand : NamedCoordinationCmdlet
    {
        protected override string Primitive => "Lock";

        protected override void EndProcessing()
        {
            var theLock = new DaskLock(Session, Name);
            TryRun(token => theLock.ReleaseAsync(token));
        }
    }

    /// <summary>Takes a lease of a dask semaphore (distributed.Semaphore.acquire).</summary>
    [Cmdlet(VerbsCommon.Enter, "DaskSemaphore")]
    [OutputType(typeof(object))]
    public sealed class EnterDaskSemaphoreCommand : EnterCoordinationCmdlet
    {
        /// <summary>The semaphore's name, shared with every client of the scheduler.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = null!;

        /// <summary>How many leases the semaphore grants at once; every user of the name must agree.</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int MaxLeases { get; set; } = 1;

        protected override string Primitive => "Semaphore";

        protected override object Target => Name;

        protected override string Described => $"The semaphore '{Name}'";

        protected override Task<bool> AcquireAsync(DaskClient client, TimeSpan? timeout, CancellationToken cancellationToken) =>
            new DaskSemaphore(client, Name, MaxLeases).AcquireAsync(timeout, cancellationToken);

        protected override Task ReleaseAsync(DaskClient client, CancellationToken cancellationToken) =>
            new DaskSemaphore(client, Name, MaxLeases).ReleaseAsync(cancellationToken);
    }

    /// <summary>Releases a lease of a dask semaphore this session holds (distributed.Semaphore.release).</summary>
    [Cmdlet(VerbsCommon.Exit, "DaskSemaphore")]
    [OutputType(typeof(void))]
    public sealed class ExitDaskSemaphoreCommand : NamedCoordinationCmdlet
    {
        protected override string Primitive => "Semaphore";

        protected override void EndProcessing()
        {
            var semaphore = new DaskSemaphore(Session, Name);
            TryRun(token => semaphore.ReleaseAsync(token));
        }
    }

    /// <summary>Takes several dask locks together (distributed.MultiLock.acquire).</summary>
    [Cmdlet(VerbsCommon.Enter, "DaskMultiLock")]
    [OutputType(typeof(object))]
    public sealed class EnterDaskMultiLockCommand : EnterCoordinationCmdlet
    {
        /// <summary>The locks' names, shared with every client of the scheduler.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string[] Name { get; set; } = null!;

        /// <summary>How many of the locks to take (dask's num_locks); all of them by default.</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int? Count { get; set; }

        protected override string Primitive => "MultiLock";

        protected override object Target => Name;

        protected override string Described => $"The multi-lock of {new DaskMultiLock(Session, Name).Describe()}";

        protected override Task<bool> AcquireAsync(DaskClient client, TimeSpan? timeout, CancellationToken cancellationToken) =>
            new DaskMultiLock(client, Name).AcquireAsync(Count, timeout, cancellationToken);

        protected override Task ReleaseAsync(DaskClient client, CancellationToken cancellationToken) =>
            new DaskMultiLock(client, Name).ReleaseAsync(cancellationToken);
    }

    /// <summary>Releases several dask locks this session took together (distributed.MultiLock.release).</summary>
    [Cmdlet(VerbsCommon.Exit, "DaskMultiLock")]
    [OutputType(typeof(void))]
    public sealed class ExitDaskMultiLockCommand : CoordinationCmdlet
    {
        /// <summary>The locks' names, as Enter-DaskMultiLock took them (in any order).</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string[] Name { get; set; } = null!;

        protected override string Primitive => "MultiLock";

        protected override object Target => Name;

        protected override void EndProcessing()
        {
            var locks = new DaskMultiLock(Session, Name);
            TryRun(token => locks.ReleaseAsync(token));
        }
    }
}

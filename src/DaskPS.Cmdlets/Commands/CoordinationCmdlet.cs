using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Client.Coordination;
using DaskPS.Cmdlets.Sessions;
using DaskPS.Cmdlets.Values;

namespace DaskPS.Cmdlets.Commands
{
    /// <summary>
    /// What the queue, variable, lock, semaphore and event cmdlets share: -Client, and one way of turning failures into
    /// error records (Dask{Primitive}Failed unless the failure has an id of its own), whose target is the name(s).
    /// </summary>
    public abstract class CoordinationCmdlet : DaskCmdlet
    {
        [Parameter]
        public DaskSession? Client { get; set; }

        /// <summary>"Queue", "Variable", "Lock", "MultiLock", "Semaphore" or "Event": the middle of the error ids.</summary>
        protected abstract string Primitive { get; }

        /// <summary>The primitive's name or names, the target of its error records.</summary>
        protected abstract object Target { get; }

        /// <summary>The client of -Client or of the default session.</summary>
        protected DaskClient Session => ResolveSession(Client).Client;

        /// <summary>
        /// Runs core work; true with its result, or false after writing its failure as an error record. Ctrl+C stops the
        /// pipeline (the core gives back what it was handed as the wait ended).
        /// </summary>
        protected bool TryRun<T>(Func<CancellationToken, Task<T>> work, out T result)
        {
            try
            {
                result = Await(work);
                return true;
            }
            catch (OperationCanceledException) when (Cancellation.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
            catch (Exception e) when (e is DaskException or ArgumentException)
            {
                WriteError(ErrorFor(e));
                result = default!;
                return false;
            }
        }

        protected bool TryRun(Func<CancellationToken, Task> work) =>
            TryRun(async token =>
            {
                await work(token).ConfigureAwait(false);
                return true;
            }, out _);

        /// <summary>The value as a queue or variable holds it (plain msgpack or a node); false after writing why it cannot be.</summary>
        protected bool TryPlain(PSObject? value, out object? plain)
        {
            try
            {
                plain = PSValueConverter.ToPlain(value);
                return true;
            }
            catch (DaskValueTooDeepException e)
            {
                WriteError(ErrorFor(e));
                plain = null;
                return false;
            }
        }

        /// <summary>An OperationTimeout error, with its own id, for a wait that ran out.</summary>
        protected void WriteTimeout(string errorId, string message) =>
            WriteError(Error(new TimeoutException(message), errorId, ErrorCategory.OperationTimeout, Target));

        private ErrorRecord ErrorFor(Exception e) => e switch
        {
            DaskValueNotPlainException => Error(e, "DaskValueNotPlain", ErrorCategory.InvalidArgument, Target),
            DaskValueTooDeepException => Error(e, "DaskValueTooDeep", ErrorCategory.LimitsExceeded, Target),
            DaskNotHeldException => Error(e, $"Dask{Primitive}NotHeld", ErrorCategory.InvalidOperation, Target),
            ArgumentException => Error(e, $"Dask{Primitive}Mismatch", ErrorCategory.InvalidArgument, Target),
            _ => Error(e, $"Dask{Primitive}Failed", CategoryOf(e), Target),
        };
    }

    /// <summary>A coordination cmdlet for one primitive, named by -Name.</summary>
    public abstract class NamedCoordinationCmdlet : CoordinationCmdlet
    {
        /// <summary>The primitive's name, shared with every client of the scheduler (Python's name argument).</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = null!;

        protected override object Target => Name;
    }
}

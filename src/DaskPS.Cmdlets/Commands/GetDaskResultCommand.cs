using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Cmdlets.Sessions;
using DaskPS.Cmdlets.Values;
using DaskPS.Tasks;

namespace DaskPS.Cmdlets.Commands
{
    /// <summary>
    /// Waits for nodes and writes their results in input order. A failed node writes a non-terminating error
    /// (the node as its target) and the others still come out.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "DaskResult")]
    [OutputType(typeof(object))]
    public sealed class GetDaskResultCommand : DaskCmdlet
    {
        private const int ProgressThreshold = 10;
        private readonly List<DaskNode> _nodes = new List<DaskNode>();

        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
        [ValidateNotNull]
        public DaskNode[] Node { get; set; } = null!;

        /// <summary>How long to wait for all results; nodes not done by then write a timeout error.</summary>
        [Parameter]
        public TimeSpan? Timeout { get; set; }

        [Parameter]
        public DaskSession? Client { get; set; }

        protected override void ProcessRecord() => _nodes.AddRange(Node);

        protected override void EndProcessing()
        {
            DaskSession session = ResolveSession(Client);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
            if (Timeout is TimeSpan limit)
            {
                deadline.CancelAfter(limit);
            }

            WaitWithProgress(session.Client, deadline.Token);
            IReadOnlyList<DaskOutcome> outcomes;
            try
            {
                outcomes = Await(ct => session.Client.GatherOutcomesAsync(_nodes.Where(n => !TimedOut(session.Client, n)), ct));
            }
            catch (DaskException e)
            {
                ThrowTerminatingError(Error(e, "DaskGatherFailed", CategoryOf(e), null));
                return;
            }

            var byNode = new Queue<DaskOutcome>(outcomes);
            foreach (DaskNode node in _nodes)
            {
                if (byNode.Count > 0 && ReferenceEquals(byNode.Peek().Node, node))
                {
                    Write(byNode.Dequeue());
                }
                else
                {
                    WriteError(Error(new DaskTimeoutException($"No result for '{node.Key}' within {Timeout}."), "DaskResultTimeout", ErrorCategory.OperationTimeout, node));
                }
            }
        }

        private void WaitWithProgress(DaskClient client, CancellationToken cancellationToken)
        {
            Task[] waits = _nodes.Select(n => client.WaitAsync(n, cancellationToken)).ToArray();
            Task all = Task.WhenAll(waits);
            if (_nodes.Count < ProgressThreshold)
            {
                ((IAsyncResult)all).AsyncWaitHandle.WaitOne();
                return;
            }

            var progress = new ProgressRecord(1, "Waiting for Dask results", "starting");
            while (!all.Wait(TimeSpan.FromMilliseconds(250)))
            {
                int done = waits.Count(w => w.IsCompleted);
                progress.StatusDescription = $"{done} of {waits.Length} done";
                progress.PercentComplete = (int)(100.0 * done / waits.Length);
                WriteProgress(progress);
            }

            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
        }

        private bool TimedOut(DaskClient client, DaskNode node)
        {
            Task wait = client.WaitAsync(node);
            return !wait.IsCompleted;
        }

        private void Write(DaskOutcome outcome)
        {
            if (outcome.Error is Exception error)
            {
                WriteError(TaskError(outcome.Node, error));
                return;
            }

            object? value = outcome.Value;
            if (value is TaskOutput output)
            {
                WriteStreams(output);
                value = output.Output;
            }

            WriteObject(PSValueConverter.FromWire(value), enumerateCollection: true);
        }

        private void WriteStreams(TaskOutput output)
        {
            foreach (KeyValuePair<string, IReadOnlyList<string>> stream in output.Streams)
            {
                foreach (string message in stream.Value)
                {
                    switch (stream.Key)
                    {
                        case "error":
                            WriteError(Error(new RemoteException(message), "DaskTaskWroteError", ErrorCategory.NotSpecified, null));
                            break;
                        case "warning":
                            WriteWarning(message);
                            break;
                        case "verbose":
                            WriteVerbose(message);
                            break;
                        case "debug":
                            WriteDebug(message);
                            break;
                        default:
                            WriteInformation(message, new[] { "DaskTask" });
                            break;
                    }
                }
            }
        }

        private static ErrorRecord TaskError(DaskNode node, Exception error)
        {
            string id = error switch
            {
                DaskDependencyException => "DaskDependencyFailed",
                DaskTaskException => "DaskTaskFailed",
                DaskCancelledException => "DaskTaskCancelled",
                DaskSchedulerLostException => "DaskSchedulerLost",
                _ => "DaskResultFailed",
            };
            var record = Error(error, id, CategoryOf(error), node);
            if (error is DaskTaskException task)
            {
                // One line in the error view; the remote position, stack and messages are on the exception
                // (RemoteTraceback), which Get-Error shows.
                record.ErrorDetails = new ErrorDetails($"Task '{node.Key}' failed: {task.RemoteMessage}");
            }

            return record;
        }
    }
}

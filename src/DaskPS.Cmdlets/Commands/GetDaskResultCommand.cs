using System;
using System.Collections.Concurrent;
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
    /// Waits for nodes and writes their results in input order, or as they finish (-AsCompleted). A failed node writes a
    /// non-terminating error (the node as its target) and the others still come out. Inside a task, the task's slot is
    /// given up while it waits.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "DaskResult")]
    [OutputType(typeof(object))]
    public sealed class GetDaskResultCommand : DaskNodesCmdlet
    {
        private const int ProgressThreshold = 10;
        private static readonly TimeSpan BatchInterval = TimeSpan.FromMilliseconds(50);

        /// <summary>How long to wait for all results and fetch them; nodes not in hand by then write a timeout error.</summary>
        [Parameter]
        public TimeSpan? Timeout { get; set; }

        /// <summary>Writes each result as soon as it is in hand (each node once), not in input order.</summary>
        [Parameter]
        public SwitchParameter AsCompleted { get; set; }

        protected override void EndProcessing()
        {
            DaskSession session = ResolveNodesSession();
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
            if (Timeout is TimeSpan limit)
            {
                deadline.CancelAfter(limit);
            }

            var outcomes = new Dictionary<DaskNode, DaskOutcome>();
            using (WaitingForTasks())
            {
                FetchAsTheyFinish(session.Client, deadline.Token, outcome =>
                {
                    outcomes[outcome.Node] = outcome;
                    if (AsCompleted)
                    {
                        Write(outcome);
                    }
                });
            }

            foreach (DaskNode node in AsCompleted ? Nodes.Distinct() : Nodes)
            {
                if (!outcomes.TryGetValue(node, out DaskOutcome? outcome))
                {
                    WriteError(Error(new DaskTimeoutException($"No result for '{node.Key}' within {Timeout}."), "DaskResultTimeout", ErrorCategory.OperationTimeout, node));
                }
                else if (!AsCompleted)
                {
                    Write(outcome);
                }
            }
        }

        /// <summary>
        /// Fetches results in batches as their nodes finish, all within the deadline, and hands each outcome over on this
        /// thread as soon as its batch is in: results done early are in hand before the deadline, and a holder that does
        /// not answer cannot outlast it. Nodes never handed over timed out.
        /// </summary>
        private void FetchAsTheyFinish(DaskClient client, CancellationToken deadline, Action<DaskOutcome> fetched)
        {
            DaskNode[] distinct = Nodes.Distinct().ToArray();
            var finished = new ConcurrentQueue<DaskNode>();
            // A failed node is finished too (its outcome carries the error). The waits take no token: the loop below
            // stops at the deadline, and a registration on it per node would cost more than the wait itself.
            Task allWaited = Task.WhenAll(distinct.Select(node => client.WaitAsync(node).ContinueWith(
                _ => finished.Enqueue(node), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default)));

            var fetches = new List<Task<IReadOnlyList<DaskOutcome>>>();
            var progress = distinct.Length >= ProgressThreshold ? new ProgressRecord(1, "Waiting for Dask results", "starting") : null;
            int done = 0;
            bool waitedForAll;
            do
            {
                // Finished nodes are fetched together every BatchInterval, so many results cost few fetches.
                waitedForAll = WaitUntil(allWaited, deadline);
                var batch = new List<DaskNode>();
                while (finished.TryDequeue(out DaskNode? node))
                {
                    batch.Add(node);
                }

                if (batch.Count > 0)
                {
                    fetches.Add(Task.Run(() => client.GatherOutcomesAsync(batch, deadline)));
                    done += batch.Count;
                }

                HandOver(fetches, fetched, onlyCompleted: true);
                if (progress is not null)
                {
                    progress.StatusDescription = $"{done} of {distinct.Length} done";
                    progress.PercentComplete = (int)(100.0 * done / distinct.Length);
                    WriteProgress(progress);
                }
            }
            while (!waitedForAll && !deadline.IsCancellationRequested);

            if (progress is not null)
            {
                progress.RecordType = ProgressRecordType.Completed;
                WriteProgress(progress);
            }

            Cancellation.ThrowIfCancellationRequested();
            HandOver(fetches, fetched, onlyCompleted: false);
        }

        /// <summary>Whether every wait ended within the next BatchInterval; false when the deadline passes first.</summary>
        private static bool WaitUntil(Task allWaited, CancellationToken deadline)
        {
            try
            {
                return allWaited.Wait((int)BatchInterval.TotalMilliseconds, deadline);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        /// <summary>Hands the outcomes of the fetches over (only those already in, or all, waiting) and drops them from the list.</summary>
        private void HandOver(List<Task<IReadOnlyList<DaskOutcome>>> fetches, Action<DaskOutcome> fetched, bool onlyCompleted)
        {
            foreach (Task<IReadOnlyList<DaskOutcome>> fetch in fetches.Where(f => !onlyCompleted || f.IsCompleted).ToList())
            {
                fetches.Remove(fetch);
                try
                {
                    foreach (DaskOutcome outcome in fetch.GetAwaiter().GetResult())
                    {
                        fetched(outcome);
                    }
                }
                catch (OperationCanceledException) when (!Cancellation.IsCancellationRequested)
                {
                    // The deadline passed while fetching this batch: its nodes time out.
                }
                catch (DaskException e)
                {
                    ThrowTerminatingError(Error(e, "DaskGatherFailed", CategoryOf(e), null));
                }
            }
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

            // A task's several outputs come back as an array and are written one by one, as Receive-Job does; a byte
            // array is one value (as Get-Content -AsByteStream -Raw writes it), never millions of bytes.
            object? result = PSValueConverter.FromWire(value);
            WriteObject(result, enumerateCollection: result is object?[]);
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

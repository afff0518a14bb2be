using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Cmdlets.Sessions;

namespace DaskPS.Cmdlets.Commands
{
    /// <summary>
    /// Cancels nodes: queued ones never run, running script blocks are stopped (their finally blocks run) and every
    /// result is forgotten. A run that ignores the stop is reported; -Force gives it up so its slot is free again.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Stop, "DaskTask", SupportsShouldProcess = true)]
    public sealed class StopDaskTaskCommand : DaskNodesCmdlet
    {
        /// <summary>How long workers wait for running tasks to stop before reporting them stuck.</summary>
        private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(2);
        /// <summary>Cancel even if other clients want these keys, and give up runs that ignore their stop.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void EndProcessing()
        {
            if (Nodes.Count == 0)
            {
                return;
            }

            DaskSession session = ResolveNodesSession();
            if (!ShouldProcess(string.Join(", ", Nodes.Select(n => n.Key).Take(5)) + (Nodes.Count > 5 ? ", …" : string.Empty), "Cancel"))
            {
                return;
            }

            IReadOnlyList<DaskRunStop> stops;
            try
            {
                stops = Await(ct => session.Client.StopAsync(Nodes, Force, Force, StopGrace, ct));
            }
            catch (DaskException e)
            {
                WriteError(Error(e, "DaskCancelFailed", CategoryOf(e), Nodes));
                return;
            }

            foreach (DaskRunStop stop in stops)
            {
                switch (stop.Outcome)
                {
                    case DaskRunStopOutcome.Stuck:
                        WriteWarning($"Task '{stop.Key}' on worker {stop.Worker} did not stop within {StopGrace.TotalSeconds:0} s: it ignores PowerShell's stop (native code, say) and keeps its slot. Stop-DaskTask -Force gives it up.");
                        break;
                    case DaskRunStopOutcome.GivenUp:
                        WriteWarning($"Task '{stop.Key}' on worker {stop.Worker} ignored its stop and was given up: its slot is free and its runspace replaced; the stuck thread ends on its own.");
                        break;
                    case DaskRunStopOutcome.Kept:
                        WriteVerbose($"Task '{stop.Key}' keeps running on worker {stop.Worker}: another client still wants it (-Force cancels it for every client).");
                        break;
                    default:
                        WriteVerbose($"Task '{stop.Key}' stopped on worker {stop.Worker}.");
                        break;
                }
            }
        }
    }

    /// <summary>
    /// Waits until nodes finish (in memory, failed or cancelled) and writes each as it finishes, or only the first with
    /// -Any; as Wait-Job, nodes still unfinished at the timeout are not written. Inside a task, the task's slot is given
    /// up while it waits.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Wait, "DaskTask")]
    [OutputType(typeof(DaskNode))]
    public sealed class WaitDaskTaskCommand : DaskNodesCmdlet
    {
        /// <summary>Stop at the first node that finishes.</summary>
        [Parameter]
        public SwitchParameter Any { get; set; }

        [Parameter]
        public TimeSpan? Timeout { get; set; }

        protected override void EndProcessing()
        {
            if (Nodes.Count == 0)
            {
                return;
            }

            DaskSession session = ResolveNodesSession();
            DaskNode[] distinct = Nodes.Distinct().ToArray();
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
            if (Timeout is TimeSpan limit)
            {
                deadline.CancelAfter(limit);
            }

            // Never completed nor disposed: waits that end after this command still add to it harmlessly.
            var finished = new BlockingCollection<DaskNode>();
            foreach (DaskNode node in distinct)
            {
                // A failed or cancelled node is finished too; only the deadline leaves one unfinished.
                _ = session.Client.WaitAsync(node, deadline.Token).ContinueWith(
                    wait =>
                    {
                        if (!wait.IsCanceled)
                        {
                            finished.Add(node);
                        }
                    },
                    CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            using (WaitingForTasks())
            {
                for (int written = 0; written < (Any ? 1 : distinct.Length); written++)
                {
                    try
                    {
                        WriteObject(finished.Take(deadline.Token));
                    }
                    catch (OperationCanceledException) when (!Cancellation.IsCancellationRequested)
                    {
                        break;
                    }
                }
            }
        }
    }

    /// <summary>The nodes this session follows that are still referenced, with their states freshly asked of the scheduler.</summary>
    [Cmdlet(VerbsCommon.Get, "DaskTask")]
    [OutputType(typeof(DaskNode))]
    public sealed class GetDaskTaskCommand : DaskCmdlet
    {
        /// <summary>Only nodes whose key matches (wildcards allowed).</summary>
        [Parameter(Position = 0)]
        [SupportsWildcards]
        public string[]? Key { get; set; }

        /// <summary>Only nodes in these states.</summary>
        [Parameter]
        public DaskNodeState[]? State { get; set; }

        [Parameter]
        public DaskSession? Client { get; set; }

        protected override void EndProcessing()
        {
            DaskSession session = ResolveSession(Client);
            WildcardPattern[] patterns = (Key ?? new[] { "*" }).Select(k => new WildcardPattern(k, WildcardOptions.IgnoreCase)).ToArray();
            List<DaskNode> nodes = session.Client.Nodes.Where(n => patterns.Any(p => p.IsMatch(n.Key))).ToList();
            try
            {
                Await(ct => session.Client.RefreshStatesAsync(nodes, ct));
            }
            catch (DaskException e)
            {
                WriteError(Error(e, "DaskTaskStateFailed", CategoryOf(e), null));
            }

            foreach (DaskNode node in nodes.Where(n => State is null || State.Contains(n.State)))
            {
                WriteObject(node);
            }
        }
    }
}

using System;
using System.Collections.Generic;
using System.Management.Automation;
using DaskPS.Client.Coordination;
using DaskPS.Cmdlets.Values;

namespace DaskPS.Cmdlets.Commands
{
    /// <summary>Puts values into a dask queue (distributed.Queue.put), one per pipeline object.</summary>
    [Cmdlet(VerbsCommunications.Send, "DaskQueueItem", SupportsShouldProcess = true)]
    [OutputType(typeof(void))]
    public sealed class SendDaskQueueItemCommand : NamedCoordinationCmdlet
    {
        [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
        [AllowNull]
        public PSObject? InputObject { get; set; }

        /// <summary>How long to wait while the queue is full (only a queue a Python client made with a maxsize fills).</summary>
        [Parameter]
        public TimeSpan? Timeout { get; set; }

        protected override string Primitive => "Queue";

        protected override void ProcessRecord()
        {
            if (!ShouldProcess(Name, "Send a queue item"))
            {
                return;
            }

            var queue = new DaskQueue(Session, Name);
            if (!TryPlain(InputObject, out object? item))
            {
                return;
            }

            if (TryRun(token => queue.PutAsync(item, Timeout, token), out bool put) && !put)
            {
                WriteTimeout("DaskQueueFull", $"The queue '{Name}' stayed full for {Timeout}.");
            }
        }
    }

    /// <summary>Takes items from a dask queue (distributed.Queue.get) and writes them to the pipeline.</summary>
    [Cmdlet(VerbsCommunications.Receive, "DaskQueueItem", DefaultParameterSetName = CountSet)]
    [OutputType(typeof(object))]
    public sealed class ReceiveDaskQueueItemCommand : NamedCoordinationCmdlet
    {
        private const string CountSet = "Count";
        private const string AllSet = "All";

        /// <summary>How many items to take, waiting for each.</summary>
        [Parameter(ParameterSetName = CountSet)]
        [ValidateRange(1, int.MaxValue)]
        public int Count { get; set; } = 1;

        /// <summary>Take every item the queue holds now, without waiting (dask's batch=True).</summary>
        [Parameter(Mandatory = true, ParameterSetName = AllSet)]
        public SwitchParameter All { get; set; }

        /// <summary>How long to wait for all -Count items; by default, until they come (or Ctrl+C).</summary>
        [Parameter(ParameterSetName = CountSet)]
        public TimeSpan? Timeout { get; set; }

        protected override string Primitive => "Queue";

        protected override void EndProcessing()
        {
            var queue = new DaskQueue(Session, Name);
            if (All)
            {
                if (TryRun(token => queue.GetAllAsync(token), out IReadOnlyList<object?> items))
                {
                    foreach (object? item in items)
                    {
                        WriteObject(PSValueConverter.FromWire(item));
                    }
                }

                return;
            }

            DateTime? deadline = Timeout is TimeSpan limit ? DateTime.UtcNow + limit : null;
            for (int received = 0; received < Count; received++)
            {
                TimeSpan? left = deadline is DateTime end ? (end > DateTime.UtcNow ? end - DateTime.UtcNow : TimeSpan.Zero) : null;
                if (!TryRun(token => queue.GetAsync(left, token), out (bool Found, object? Item) got))
                {
                    return;
                }

                if (!got.Found)
                {
                    WriteTimeout("DaskQueueEmpty", $"The queue '{Name}' gave {received} of the {Count} items asked for within {Timeout}.");
                    return;
                }

                WriteObject(PSValueConverter.FromWire(got.Item));
            }
        }
    }

    /// <summary>How many items a dask queue holds (distributed.Queue.qsize).</summary>
    [Cmdlet(VerbsCommon.Get, "DaskQueue")]
    [OutputType(typeof(DaskQueueInfo))]
    public sealed class GetDaskQueueCommand : NamedCoordinationCmdlet
    {
        protected override string Primitive => "Queue";

        protected override void EndProcessing()
        {
            var queue = new DaskQueue(Session, Name);
            if (TryRun(token => queue.CountAsync(token), out long count))
            {
                WriteObject(new DaskQueueInfo(Name, count));
            }
        }
    }

    /// <summary>A dask queue and how many items it holds.</summary>
    public sealed class DaskQueueInfo
    {
        public DaskQueueInfo(string name, long count)
        {
            Name = name;
            Count = count;
        }

        public string Name { get; }

        public long Count { get; }
    }
}

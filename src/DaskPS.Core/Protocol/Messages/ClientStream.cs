using System.Collections.Generic;

namespace DaskPS.Protocol.Messages
{
    // What the scheduler reports to a client on its stream.

    /// <summary>What happened to one key this client follows.</summary>
    public enum KeyEvent
    {
        /// <summary>key-in-memory.</summary>
        InMemory,

        /// <summary>cancelled-key.</summary>
        Cancelled,

        /// <summary>lost-data or task-retried: the key will be computed again.</summary>
        Reopened,
    }

    public sealed record KeyReport(string Key, KeyEvent What);

    /// <summary>Several reports in one message (cancelled-keys).</summary>
    public sealed record KeyReports(IReadOnlyList<KeyReport> Reports);

    /// <summary>task-erred as a client sees it: the remote exception and traceback, as the scheduler holds them.</summary>
    public sealed record KeyErred(string Key, object? Exception, object? Traceback);

    /// <summary>restart: the scheduler dropped every task.</summary>
    public sealed record SchedulerRestarted
    {
        public static readonly SchedulerRestarted Instance = new SchedulerRestarted();
    }

    /// <summary>stream-closed: the scheduler closed this client's stream.</summary>
    public sealed record StreamClosed
    {
        public static readonly StreamClosed Instance = new StreamClosed();
    }

    /// <summary>error: the scheduler reports a problem with something this client sent.</summary>
    public sealed record SchedulerError(string Text);
}

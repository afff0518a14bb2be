using System.Collections.Generic;

namespace DaskPS.Protocol.Messages
{
    // What the scheduler sends a worker on its stream, besides compute-task.

    /// <summary>free-keys: forget these tasks and their values.</summary>
    public sealed record FreeKeys(IReadOnlyList<object?> Keys);

    /// <summary>remove-replicas: drop these copies unless a task here still needs them.</summary>
    public sealed record RemoveReplicas(IReadOnlyList<object?> Keys, string? StimulusId);

    /// <summary>acquire-replicas: fetch copies of these keys from their holders.</summary>
    public sealed record AcquireReplicas(IReadOnlyDictionary<object, IReadOnlyList<string>> WhoHas);

    /// <summary>refresh-who-has: new holders for keys this worker asked about.</summary>
    public sealed record RefreshWhoHas(IReadOnlyDictionary<object, IReadOnlyList<string>> WhoHas);

    /// <summary>steal-request: the scheduler wants a task back, if it has not started.</summary>
    public sealed record StealRequest(object? Key, object? StimulusId);

    /// <summary>worker-status-change: e.g. paused or running.</summary>
    public sealed record WorkerStatusChange(string? Status);

    /// <summary>close: the scheduler closes this worker.</summary>
    public sealed record CloseWorker(object? Reason);

    /// <summary>A stream message whose op DaskPS does not act on: logged and ignored, as dask does.</summary>
    public sealed record UnknownMessage(object? Op);
}

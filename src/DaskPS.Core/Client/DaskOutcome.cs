using System;

namespace DaskPS.Client
{
    /// <summary>One node's result or failure.</summary>
    public sealed class DaskOutcome
    {
        public DaskOutcome(DaskNode node, object? value, Exception? error)
        {
            Node = node;
            Value = value;
            Error = error;
        }

        public DaskNode Node { get; }

        public object? Value { get; }

        public Exception? Error { get; }

        public bool Succeeded => Error is null;
    }
}

namespace DaskPS.Client.Coordination
{
    /// <summary>A value is not one a queue or variable holds for every dask client: not of the plain msgpack family.</summary>
    public sealed class DaskValueNotPlainException : DaskException
    {
        public DaskValueNotPlainException(string message) : base(message) { }
    }

    /// <summary>A lock or semaphore lease is released that this client does not hold.</summary>
    public sealed class DaskNotHeldException : DaskException
    {
        public DaskNotHeldException(string message) : base(message) { }
    }
}

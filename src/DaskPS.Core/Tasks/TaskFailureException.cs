namespace DaskPS.Tasks
{
    /// <summary>
    /// A runtime's report of a failed task with the details the client should see: the error's type name and
    /// a traceback in the runtime's own terms (e.g. a PowerShell script stack trace).
    /// </summary>
    public sealed class TaskFailureException : DaskException
    {
        public TaskFailureException(string errorType, string message, string? traceback)
            : base(message)
        {
            ErrorType = errorType;
            Traceback = traceback;
        }

        public string ErrorType { get; }

        public string? Traceback { get; }
    }
}

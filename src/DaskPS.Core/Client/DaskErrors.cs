using System;

namespace DaskPS.Client
{
    /// <summary>A task failed on a worker.</summary>
    public class DaskTaskException : DaskException
    {
        public DaskTaskException(string key, string? remoteType, string remoteMessage, string? remoteTraceback)
            : base($"Task '{key}' failed: {(remoteType is null ? string.Empty : remoteType + ": ")}{remoteMessage}")
        {
            Key = key;
            RemoteType = remoteType;
            RemoteMessage = remoteMessage;
            RemoteTraceback = remoteTraceback;
        }

        public string Key { get; }

        /// <summary>The exception type on the worker (e.g. System.DivideByZeroException, ZeroDivisionError).</summary>
        public string? RemoteType { get; }

        public string RemoteMessage { get; }

        /// <summary>The worker's stack trace text, where it sent one.</summary>
        public string? RemoteTraceback { get; }
    }

    /// <summary>A task could not run because a task it depends on failed; <see cref="Root"/> is that failure.</summary>
    public sealed class DaskDependencyException : DaskTaskException
    {
        public DaskDependencyException(string key, DaskTaskException root)
            : base(key, root.RemoteType, $"its dependency '{root.Key}' failed: {root.RemoteMessage}", root.RemoteTraceback)
        {
            Root = root;
        }

        public DaskTaskException Root { get; }
    }

    /// <summary>The key was cancelled (by this client, or because the scheduler lost it).</summary>
    public sealed class DaskCancelledException : DaskException
    {
        public DaskCancelledException(string key, string reason) : base($"Task '{key}' was cancelled: {reason}")
        {
            Key = key;
        }

        public string Key { get; }
    }

    /// <summary>The connection to the scheduler is gone; nothing pending can complete.</summary>
    public sealed class DaskSchedulerLostException : DaskException
    {
        public DaskSchedulerLostException(string message, Exception? inner = null) : base(message, inner) { }
    }

    /// <summary>Values that were in memory are not (any more): their holders are gone.</summary>
    public sealed class KeysUnavailableException : DaskException
    {
        public KeysUnavailableException(string message) : base(message) { }
    }
}

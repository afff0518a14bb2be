using System;
using System.ComponentModel;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using DaskPS.Diagnostics;

namespace DaskPS.Cmdlets.Jobs
{
    /// <summary>
    /// A background job hosting a long-running DaskPS part (a scheduler process, a worker). Its log is the job's
    /// output, so Receive-Job shows it; Stop-Job stops the part; Get-Job, Wait-Job and Remove-Job work as usual.
    /// </summary>
    public abstract class DaskJob : Job2
    {
        private readonly object _stopLock = new object();
        private Task? _stop;

        protected DaskJob(string command, string name, string typeName)
            : base(command, name)
        {
            PSJobTypeName = typeName;
            Logger = new DaskLogger(Log, DaskLogLevel.Info);
        }

        /// <summary>Feeds the job's streams; give it to the core part the job hosts.</summary>
        public DaskLogger Logger { get; }

        public override bool HasMoreData => Output.Count > 0 || Error.Count > 0 || Warning.Count > 0 || Verbose.Count > 0;

        public override string StatusMessage => JobStateInfo.State.ToString();

        public override void StartJob() => throw new InvalidOperationException("DaskPS jobs start when they are created.");

        public override void StartJobAsync() => StartJob();

        public override void StopJob() => StopJob(force: false, reason: null);

        public override void StopJob(bool force, string? reason) => StopOnce().GetAwaiter().GetResult();

        // Stop-Job calls the async form and waits for StopJobCompleted, so it must always be raised.
        public override void StopJobAsync() => StopJobAsync(force: false, reason: null);

        public override void StopJobAsync(bool force, string? reason) =>
            StopOnce().ContinueWith(
                t => OnStopJobCompleted(new AsyncCompletedEventArgs(t.Exception?.InnerException, false, null)),
                TaskScheduler.Default);

        /// <summary>Stops the hosted part once; later calls share the first stop.</summary>
        private Task StopOnce()
        {
            lock (_stopLock)
            {
                return _stop ??= Task.Run(StopAndRecordAsync);
            }
        }

        private async Task StopAndRecordAsync()
        {
            if (IsFinished)
            {
                return;
            }

            SetJobState(JobState.Stopping);
            try
            {
                await StopCoreAsync().ConfigureAwait(false);
                SetJobState(JobState.Stopped);
            }
            catch (Exception e)
            {
                Error.Add(new ErrorRecord(e, "DaskJobStopFailed", ErrorCategory.CloseError, this));
                SetJobState(JobState.Failed);
            }
        }

        public override void SuspendJob() => throw new NotSupportedException("DaskPS jobs cannot be suspended.");

        public override void SuspendJobAsync() => SuspendJob();

        public override void SuspendJob(bool force, string? reason) => SuspendJob();

        public override void SuspendJobAsync(bool force, string? reason) => SuspendJob();

        public override void ResumeJob() => throw new NotSupportedException("DaskPS jobs cannot be suspended.");

        public override void ResumeJobAsync() => ResumeJob();

        public override void UnblockJob() => throw new NotSupportedException("DaskPS jobs never block.");

        public override void UnblockJobAsync() => UnblockJob();

        /// <summary>Marks the job running (call once the hosted part is up).</summary>
        protected void Started() => SetJobState(JobState.Running);

        /// <summary>The hosted part ended by itself (e.g. the scheduler closed the worker).</summary>
        protected void Ended(Exception? failure)
        {
            if (Volatile.Read(ref _stop) is not null || IsFinished)
            {
                return;
            }

            if (failure is not null)
            {
                Error.Add(new ErrorRecord(failure, "DaskJobFailed", ErrorCategory.OperationStopped, this));
                SetJobState(JobState.Failed);
            }
            else
            {
                SetJobState(JobState.Completed);
            }
        }

        protected abstract Task StopCoreAsync();

        private bool IsFinished => JobStateInfo.State is JobState.Completed or JobState.Failed or JobState.Stopped;

        private void Log(DaskLogLevel level, string message) =>
            Record(level, level == DaskLogLevel.Error ? message : $"{DateTime.Now:HH:mm:ss.fff} {message}");

        /// <summary>Adds a log line to the stream of its level as it is (lines from another host carry their own time).</summary>
        protected void Record(DaskLogLevel level, string line)
        {
            switch (level)
            {
                case DaskLogLevel.Error:
                    Error.Add(new ErrorRecord(new DaskException(line), "DaskJobLog", ErrorCategory.NotSpecified, this));
                    break;
                case DaskLogLevel.Warning:
                    Warning.Add(new WarningRecord(line));
                    break;
                case DaskLogLevel.Debug:
                    Verbose.Add(new VerboseRecord(line));
                    break;
                default:
                    Output.Add(new PSObject(line));
                    break;
            }
        }
    }
}

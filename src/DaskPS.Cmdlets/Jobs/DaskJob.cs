using System;
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
        private int _stopping;

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

        public override void StopJobAsync() => Task.Run(StopJob);

        public override void StopJob(bool force, string? reason)
        {
            if (Interlocked.Exchange(ref _stopping, 1) != 0)
            {
                return;
            }

            SetJobState(JobState.Stopping);
            try
            {
                StopCoreAsync().GetAwaiter().GetResult();
                SetJobState(JobState.Stopped);
            }
            catch (Exception e)
            {
                Error.Add(new ErrorRecord(e, "DaskJobStopFailed", ErrorCategory.CloseError, this));
                SetJobState(JobState.Failed);
            }
        }

        public override void StopJobAsync(bool force, string? reason) => Task.Run(() => StopJob(force, reason));

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
            if (Volatile.Read(ref _stopping) != 0 || IsFinished)
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

        private void Log(DaskLogLevel level, string message)
        {
            string line = $"{DateTime.Now:HH:mm:ss.fff} {message}";
            switch (level)
            {
                case DaskLogLevel.Error:
                    Error.Add(new ErrorRecord(new DaskException(message), "DaskJobLog", ErrorCategory.NotSpecified, this));
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

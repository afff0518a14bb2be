using System;

namespace DaskPS.Diagnostics
{
    public enum DaskLogLevel
    {
        Debug,
        Info,
        Warning,
        Error,
    }

    /// <summary>Where core components report what they do; hosts (cmdlets, jobs, tests) attach a sink.</summary>
    public sealed class DaskLogger
    {
        public static readonly DaskLogger None = new DaskLogger(null, DaskLogLevel.Error);

        private readonly Action<DaskLogLevel, string>? _sink;

        public DaskLogger(Action<DaskLogLevel, string>? sink, DaskLogLevel minimum = DaskLogLevel.Info)
        {
            _sink = sink;
            Minimum = minimum;
        }

        public DaskLogLevel Minimum { get; }

        public bool IsEnabled(DaskLogLevel level) => _sink is not null && level >= Minimum;

        public void Log(DaskLogLevel level, string message)
        {
            if (IsEnabled(level))
            {
                _sink!(level, message);
            }
        }

        public void Debug(string message) => Log(DaskLogLevel.Debug, message);

        public void Info(string message) => Log(DaskLogLevel.Info, message);

        public void Warning(string message) => Log(DaskLogLevel.Warning, message);

        public void Error(string message) => Log(DaskLogLevel.Error, message);
    }
}

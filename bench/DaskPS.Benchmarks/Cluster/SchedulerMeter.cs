using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading.Tasks;

namespace DaskPS.Benchmarks.Cluster
{
    /// <summary>What one workload took: its wall time, and the scheduler process's CPU time over the same interval.</summary>
    internal readonly record struct Measured(int Tasks, double Seconds, double SchedulerCpuSeconds)
    {
        public double TasksPerSecond => Tasks / Seconds;

        public double SchedulerCpuPerTask => SchedulerCpuSeconds / Tasks;

        /// <summary>
        /// tasks/s × the scheduler's CPU per task: the share of the scheduler's limit (one core's worth of its work per
        /// task) the run reached; 1 means the scheduler was the bottleneck.
        /// </summary>
        public double SchedulerShare => SchedulerCpuSeconds / Seconds;

        /// <summary>The keys the tables read; python_side.py's record() writes the same ones.</summary>
        public void AddTo(IDictionary<string, double> results, string name)
        {
            results[name + "_tasks_per_s"] = TasksPerSecond;
            results[name + "_seconds"] = Seconds;
            results[name + "_sched_cpu_us"] = SchedulerCpuPerTask * 1e6;
            results[name + "_sched_share"] = SchedulerShare;
        }
    }

    /// <summary>
    /// The one place that reads the scheduler's CPU time: user + system time of its process as the operating system
    /// counts it (Process.TotalProcessorTime, from /proc/&lt;pid&gt;/stat on Linux), before and after a workload.
    /// </summary>
    internal sealed class SchedulerMeter
    {
        private readonly int _processId;

        public SchedulerMeter(int processId) => _processId = processId;

        public double CpuSeconds()
        {
            using Process process = Process.GetProcessById(_processId);
            return process.TotalProcessorTime.TotalSeconds;
        }

        public async Task<Measured> MeasureAsync(int tasks, Func<Task> run)
        {
            double cpu = CpuSeconds();
            var watch = Stopwatch.StartNew();
            await run();
            double seconds = watch.Elapsed.TotalSeconds;
            return new Measured(tasks, seconds, CpuSeconds() - cpu);
        }
    }
}

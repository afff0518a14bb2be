using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;

namespace DaskPS.Cmdlets.Jobs
{
    /// <summary>
    /// The job store PowerShell asks for DaskPS jobs: Get-Job lists them, Remove-Job removes them through it.
    /// PowerShell registers it when the module is imported (it scans binary modules for adapters).
    /// </summary>
    public sealed class DaskJobSourceAdapter : JobSourceAdapter
    {
        public const string AdapterName = "DaskJobSourceAdapter";

        private readonly ConcurrentDictionary<Guid, DaskJob> _jobs = new ConcurrentDictionary<Guid, DaskJob>();

        public DaskJobSourceAdapter()
        {
            Name = AdapterName;
        }

        /// <summary>Hands a started job to the runspace's job manager, which files it here.</summary>
        internal static void Add(PSCmdlet cmdlet, DaskJob job)
        {
            var definition = new JobDefinition(typeof(DaskJobSourceAdapter), job.Command, job.Name);
            var parameters = new Dictionary<string, object> { [nameof(DaskJob)] = job };
            cmdlet.JobManager.NewJob(new JobInvocationInfo(definition, parameters));
        }

        public override Job2 NewJob(JobInvocationInfo specification)
        {
            if (specification?.Parameters.FirstOrDefault()?.FirstOrDefault(p => p.Name == nameof(DaskJob))?.Value is not DaskJob job)
            {
                throw new ArgumentException("DaskPS jobs are created by Start-DaskWorker and Start-DaskScheduler.", nameof(specification));
            }

            _jobs[job.InstanceId] = job;
            return job;
        }

        public override IList<Job2> GetJobs() => _jobs.Values.OrderBy(j => j.Id).Cast<Job2>().ToList();

        public override IList<Job2> GetJobsByName(string name, bool recurse)
        {
            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
            return GetJobs().Where(j => pattern.IsMatch(j.Name)).ToList();
        }

        public override IList<Job2> GetJobsByCommand(string command, bool recurse)
        {
            var pattern = new WildcardPattern(command, WildcardOptions.IgnoreCase);
            return GetJobs().Where(j => pattern.IsMatch(j.Command)).ToList();
        }

        public override Job2? GetJobByInstanceId(Guid instanceId, bool recurse) =>
            _jobs.TryGetValue(instanceId, out DaskJob? job) ? job : null;

        public override Job2? GetJobBySessionId(int id, bool recurse) => _jobs.Values.FirstOrDefault(j => j.Id == id);

        public override IList<Job2> GetJobsByState(JobState state, bool recurse) =>
            GetJobs().Where(j => j.JobStateInfo.State == state).ToList();

        public override IList<Job2> GetJobsByFilter(Dictionary<string, object> filter, bool recurse) => new List<Job2>();

        /// <summary>Remove-Job: a job that still runs is stopped first (Remove-Job refuses running jobs unless -Force).</summary>
        public override void RemoveJob(Job2 job)
        {
            if (job is DaskJob daskJob && _jobs.TryRemove(job.InstanceId, out _))
            {
                daskJob.StopJob();
                daskJob.Dispose();
            }
        }
    }
}

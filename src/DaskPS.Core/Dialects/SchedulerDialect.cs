using System;
using System.Collections.Generic;
using DaskPS.Client;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Dialects
{
    /// <summary>
    /// What differs between scheduler releases: how a graph is submitted (and, for workers, how tasks arrive).
    /// Chosen from the version the scheduler reports; unknown versions are refused by name.
    /// </summary>
    public abstract class SchedulerDialect
    {
        private static readonly SchedulerDialect[] Known = { new Dialect202212(), new Dialect202412() };

        /// <summary>The dask.distributed release family, e.g. "2022.12".</summary>
        public abstract string Name { get; }

        public static IReadOnlyList<string> Supported
        {
            get
            {
                var names = new List<string>();
                foreach (SchedulerDialect dialect in Known)
                {
                    names.Add(dialect.Name);
                }

                return names;
            }
        }

        /// <summary>The dialect for a scheduler whose <c>versions</c> reply is <paramref name="versions"/>.</summary>
        public static SchedulerDialect ForVersions(MsgMap versions)
        {
            string? version = (versions.Get("packages") as MsgMap)?.Get("distributed") as string;
            if (version is not null)
            {
                foreach (SchedulerDialect dialect in Known)
                {
                    if (version.StartsWith(dialect.Name + ".", StringComparison.Ordinal))
                    {
                        return dialect;
                    }
                }
            }

            throw new UnsupportedSchedulerException(
                $"The scheduler runs dask.distributed {version ?? "(version not reported)"}; DaskPS supports {string.Join(", ", Supported)}.");
        }

        /// <summary>The stream message that submits <paramref name="nodes"/> (dependencies first) for client <paramref name="clientId"/>.</summary>
        public abstract MsgMap UpdateGraph(string clientId, IReadOnlyList<DaskNode> nodes, string stimulusId);

        /// <summary>
        /// Adds what this release requires of a worker's registration to the fields every release takes
        /// (the scheduler's handler is strict: a missing or unknown field fails the registration).
        /// </summary>
        public abstract void CompleteRegistration(MsgMap registration);

        /// <summary>Reads the task a compute-task message carries (its run_spec) as a DaskPS task.</summary>
        public abstract Tasks.TaskSpec DecodeTask(MsgMap computeTask);

        /// <summary>Adds release-specific fields to a task-finished or task-erred report (e.g. echoing run_id).</summary>
        public abstract void CompleteTaskReport(MsgMap report, MsgMap computeTask);
    }

    /// <summary>The scheduler's release is not one DaskPS speaks.</summary>
    public sealed class UnsupportedSchedulerException : DaskException
    {
        public UnsupportedSchedulerException(string message) : base(message) { }
    }
}

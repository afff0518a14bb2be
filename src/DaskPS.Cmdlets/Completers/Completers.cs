using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Threading;
using DaskPS.Cmdlets.Sessions;

namespace DaskPS.Cmdlets.Completers
{
    /// <summary>Completes scheduler addresses from the sessions this process knows.</summary>
    public sealed class SchedulerAddressCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
            Complete(SessionRegistry.All.Select(s => s.Address).Distinct(), wordToComplete);

        internal static IEnumerable<CompletionResult> Complete(IEnumerable<string> candidates, string word)
        {
            var pattern = new WildcardPattern((word ?? string.Empty).Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
            return candidates.Where(c => pattern.IsMatch(c)).Select(c => new CompletionResult($"'{c}'", c, CompletionResultType.ParameterValue, c));
        }
    }

    /// <summary>Completes worker addresses from the default session's scheduler (with a short deadline).</summary>
    public sealed class WorkerAddressCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            DaskSession? session = SessionRegistry.Default;
            if (session is null || !session.IsConnected)
            {
                return Enumerable.Empty<CompletionResult>();
            }

            try
            {
                using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                var workers = session.Client.GetWorkersAsync(deadline.Token).GetAwaiter().GetResult();
                return SchedulerAddressCompleter.Complete(workers.Select(w => w.Address), wordToComplete);
            }
            catch (Exception e) when (e is DaskException || e is OperationCanceledException)
            {
                // Completion must never fail loudly.
                return Enumerable.Empty<CompletionResult>();
            }
        }
    }
}

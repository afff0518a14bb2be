using System;
using System.Threading.Tasks;
using DaskPS.Diagnostics;
using DaskPS.Protocol.Messages;

namespace DaskPS.Client
{
    /// <summary>
    /// What the scheduler reports on a client's stream, applied to the keys the client follows: results in memory,
    /// failures (retried while the client's own retries last), cancellations, lost data, restarts.
    /// </summary>
    internal sealed class ClientReports
    {
        private readonly ClientKeys _keys;
        private readonly SchedulerCalls _scheduler;
        private readonly DaskClientOptions _options;
        private readonly DaskLogger _log;
        private readonly string _clientId;

        public ClientReports(ClientKeys keys, SchedulerCalls scheduler, DaskClientOptions options, string clientId)
        {
            _keys = keys;
            _scheduler = scheduler;
            _options = options;
            _log = options.Logger;
            _clientId = clientId;
        }

        /// <summary>Applies one report; returns the failure that ends the client when the scheduler closed its stream.</summary>
        public DaskSchedulerLostException? Apply(object message)
        {
            switch (message)
            {
                case KeyReports reports:
                    foreach (KeyReport report in reports.Reports)
                    {
                        Apply(report);
                    }

                    break;
                case KeyReport { What: KeyEvent.InMemory } report:
                    _keys.Finish(report.Key, null);
                    break;
                case KeyReport { What: KeyEvent.Cancelled } report:
                    _keys.Finish(report.Key, new DaskCancelledException(report.Key, "the scheduler cancelled it"));
                    break;
                case KeyReport { What: KeyEvent.Reopened } report:
                    _keys.Reopen(report.Key);
                    break;
                case KeyErred erred:
                    OnTaskErred(erred);
                    break;
                case SchedulerRestarted:
                    _keys.FailAll(new DaskCancelledException("*", "the scheduler restarted"));
                    break;
                case StreamClosed:
                    return new DaskSchedulerLostException($"The scheduler at {_scheduler.Address} closed this client's stream.");
                case SchedulerError error:
                    _log.Error($"scheduler error: {error.Text}");
                    break;
            }

            return null;
        }

        private void OnTaskErred(KeyErred erred)
        {
            string key = erred.Key;
            DaskTaskException? error = _keys.Erred(key, RemoteTaskErrors.Decode(key, erred.Exception, erred.Traceback), e => _options.RetryOn?.Invoke(e) ?? true, out bool retry);
            if (error is null)
            {
                return;
            }

            if (retry)
            {
                _log.Info($"Retrying '{key}' after: {error.RemoteMessage}");
                _ = RetryAsync(key, error);
                return;
            }

            _keys.Finish(key, error);
        }

        private async Task RetryAsync(string key, DaskTaskException error)
        {
            try
            {
                await _scheduler.RetryAsync(key, _clientId).ConfigureAwait(false);
            }
            catch (DaskException)
            {
                _keys.Finish(key, error);
            }
        }
    }
}

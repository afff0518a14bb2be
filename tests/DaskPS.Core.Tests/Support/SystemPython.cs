using System;
using System.ComponentModel;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading.Tasks;

namespace DaskPS.Core.Tests.Support
{
    /// <summary>
    /// Runs Debian's <c>/usr/bin/python3</c> with a script and stdin. The interpreter is named by path because the
    /// <c>python3</c> first on PATH may be another installation without the modules the cross-checks need.
    /// Every failure (missing interpreter, non-zero exit, timeout) fails the calling test; nothing is skipped.
    /// </summary>
    internal static class SystemPython
    {
        public const string Executable = "/usr/bin/python3";

        public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

        /// <summary>Fails the test, naming the Debian package to install, unless the module imports.</summary>
        public static void RequireModule(string module, string debianPackage)
        {
            string hint = $"install it with `apt-get install {debianPackage}`";
            if (!File.Exists(Executable))
            {
                Assert.Fail($"{Executable} does not exist; {hint} (which also brings python3).");
            }

            Result result = Start(new[] { "-I", "-c", "import " + module }, null, DefaultTimeout);
            if (result.ExitCode != 0)
            {
                Assert.Fail($"{Executable} cannot import {module}; {hint}. Python said: {result.StdErr.Trim()}");
            }
        }

        /// <summary>Runs a script file and returns its stdout; a non-zero exit fails the test with stderr.</summary>
        public static string RunScript(string scriptPath, string? stdin = null, TimeSpan? timeout = null)
        {
            if (!File.Exists(scriptPath))
            {
                Assert.Fail($"The Python script {scriptPath} is missing from the test output directory.");
            }

            // -I: isolated mode, so PYTHONPATH, user site-packages and the current directory cannot change
            // which msgpack is imported.
            Result result = Start(new[] { "-I", scriptPath }, stdin, timeout ?? DefaultTimeout);
            if (result.ExitCode != 0)
            {
                Assert.Fail($"{Executable} {Path.GetFileName(scriptPath)} exited with code {result.ExitCode}. stderr:\n{result.StdErr}");
            }

            return result.StdOut;
        }

        private static Result Start(string[] arguments, string? stdin, TimeSpan timeout)
        {
            var info = new ProcessStartInfo(Executable)
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                StandardOutputEncoding = new UTF8Encoding(false),
                StandardErrorEncoding = new UTF8Encoding(false),
                StandardInputEncoding = new UTF8Encoding(false),
            };
            foreach (string argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }

            using var process = new Process { StartInfo = info };
            try
            {
                process.Start();
            }
            catch (Win32Exception e)
            {
                Assert.Fail($"Cannot start {Executable}: {e.Message}");
                throw;
            }

            // Drain both pipes while stdin is written, or a chatty child and a large stdin deadlock each other.
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            Task writer = Task.Run(() =>
            {
                try
                {
                    if (stdin is not null)
                    {
                        process.StandardInput.Write(stdin);
                    }

                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // The child exited without reading everything; its exit code and stderr tell why.
                }
            });

            if (!process.WaitForExit((int)timeout.TotalMilliseconds))
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // It exited between the timeout and the kill.
                }

                process.WaitForExit();
                Assert.Fail($"{Executable} {string.Join(" ", arguments)} did not finish within {timeout}; it was killed. stderr so far:\n{Wait(stderr)}");
            }

            // The parameterless wait also waits for the redirected streams to reach end of file.
            process.WaitForExit();
            writer.Wait();
            return new Result(process.ExitCode, Wait(stdout), Wait(stderr));
        }

        private static string Wait(Task<string> task) =>
            task.Wait(TimeSpan.FromSeconds(10)) ? task.Result : "(output not available)";

        private readonly struct Result
        {
            public Result(int exitCode, string stdOut, string stdErr)
            {
                ExitCode = exitCode;
                StdOut = stdOut;
                StdErr = stdErr;
            }

            public int ExitCode { get; }

            public string StdOut { get; }

            public string StdErr { get; }
        }
    }
}

using System;
using System.IO;
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
            DaskPS.Testing.PythonProcess process = DaskPS.Testing.PythonProcess.Start(DaskPS.Testing.DaskInstallation.ForVersion("2022.12"), arguments, stdin: stdin);
            try
            {
                if (!process.WaitForExitAsync(timeout).GetAwaiter().GetResult())
                {
                    Assert.Fail($"{Executable} {string.Join(" ", arguments)} did not finish within {timeout}; it was killed. Output so far:\n{process.Output}");
                }

                // Output holds stdout and stderr together; the scripts write nothing to stderr unless they fail.
                return new Result(process.ExitCode, process.Output, process.Output);
            }
            finally
            {
                process.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }

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

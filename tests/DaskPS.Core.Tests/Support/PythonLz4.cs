using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;

namespace DaskPS.Core.Tests.Support
{
    /// <summary>
    /// Compresses inputs with python-lz4's <c>lz4.block.compress</c> in one /usr/bin/python3 run, so the decoder
    /// is checked against the bytes real dask peers send. Inputs go in and blocks come out as base64 lines.
    /// A missing interpreter or module fails the test (naming the Debian package); nothing is skipped.
    /// </summary>
    internal static class PythonLz4
    {
        private const string Script =
            "import ast, base64, sys, lz4.block\n" +
            "kwargs = ast.literal_eval(sys.argv[1])\n" +
            "for line in sys.stdin:\n" +
            "    block = lz4.block.compress(base64.b64decode(line.strip()), **kwargs)\n" +
            "    sys.stdout.write(base64.b64encode(block).decode('ascii') + '\\n')\n";

        /// <summary>One block per input; <paramref name="pythonKwargs"/> is a Python dict literal of compress() options.</summary>
        public static byte[][] Compress(IReadOnlyList<byte[]> inputs, string pythonKwargs = "{}")
        {
            if (!File.Exists(SystemPython.Executable))
            {
                Assert.Fail($"{SystemPython.Executable} does not exist; install it with `apt-get install python3-lz4`.");
            }

            var info = new ProcessStartInfo(SystemPython.Executable)
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (string argument in new[] { "-I", "-c", Script, pythonKwargs })
            {
                info.ArgumentList.Add(argument);
            }

            using Process process = Process.Start(info)!;
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            try
            {
                foreach (byte[] input in inputs)
                {
                    process.StandardInput.WriteLine(Convert.ToBase64String(input));
                }

                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // Python stopped reading (e.g. the import failed); its stderr below says why.
            }

            if (!process.WaitForExit(120_000))
            {
                process.Kill();
                Assert.Fail("python-lz4 did not finish compressing the test vectors within 120 s.");
            }

            if (process.ExitCode != 0)
            {
                Assert.Fail($"{SystemPython.Executable} failed to compress with lz4.block (install `apt-get install python3-lz4`): {stderr.Result}");
            }

            byte[][] blocks = stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Convert.FromBase64String).ToArray();
            Assert.Equal(inputs.Count, blocks.Length);
            return blocks;
        }
    }
}

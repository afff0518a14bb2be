using System;
using System.IO;
using System.Threading.Tasks;
using DaskPS.Client;
using DaskPS.Hosting;
using DaskPS.Testing;

namespace DaskPS.Core.Tests.Hosting
{
    public sealed class LocalSchedulerTests
    {
        [Fact]
        public async Task StartsOnLoopbackAndStopsCompletely()
        {
            var options = new LocalSchedulerOptions { PythonPath = DaskInstallation.SystemPython };
            LocalScheduler scheduler = await LocalScheduler.StartAsync(options);
            int pid = scheduler.ProcessId;
            try
            {
                Assert.StartsWith("tcp://127.0.0.1:", scheduler.Address);
                await using DaskClient client = await DaskClient.ConnectAsync(scheduler.Address);
                Assert.Equal("2022.12", client.Dialect.Name);
            }
            finally
            {
                await scheduler.DisposeAsync();
            }

            Assert.True(scheduler.HasExited);
            Assert.False(Directory.Exists($"/proc/{pid}"), $"process {pid} is still alive");
        }

        [Theory]
        [InlineData(null, false)]
        [InlineData("True", true)]
        public async Task TheActiveMemoryManagerIsOffUnlessAskedFor(string? setting, bool running)
        {
            // Off by default so copies made by replicate last; the caller's environment can turn it back on.
            LocalSchedulerOptions options = DaskInstallation.Selected.SchedulerOptions();
            if (setting is not null)
            {
                options.Environment[LocalScheduler.ActiveMemoryManagerSetting] = setting;
            }

            await using LocalScheduler scheduler = await LocalScheduler.StartAsync(options);
            await using DaskClient client = await DaskClient.ConnectAsync(scheduler.Address);

            Assert.Equal(running, await client.IsActiveMemoryManagerRunningAsync());
        }

        [Fact]
        public async Task APythonWithoutDaskSaysHowToInstallIt()
        {
            string fakePython = Path.Combine(Path.GetTempPath(), $"no-dask-python-{Guid.NewGuid():N}");
            await File.WriteAllTextAsync(fakePython, "#!/bin/sh\necho \"/usr/bin/python3: No module named distributed\" >&2\nexit 1\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(fakePython, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            try
            {
                var error = await Assert.ThrowsAsync<DaskException>(() => LocalScheduler.StartAsync(new LocalSchedulerOptions { PythonPath = fakePython }));

                Assert.Contains("pip install distributed", error.Message);
                Assert.Contains("apt-get install python3-distributed", error.Message);
            }
            finally
            {
                File.Delete(fakePython);
            }
        }
    }
}

using System;
using System.IO;
using System.Linq;
using System.Xml.Linq;

namespace DaskPS.HelpCompiler.Tests
{
    /// <summary>The tool as the build runs it: a folder of pages in, help files out.</summary>
    public sealed class CompilerTests : IDisposable
    {
        private readonly string _docs = Directory.CreateTempSubdirectory("daskps-help-docs-").FullName;
        private readonly string _output = Path.Combine(Path.GetTempPath(), "daskps-help-out-" + Guid.NewGuid().ToString("N"));

        public CompilerTests()
        {
            File.WriteAllText(Path.Combine(_docs, SamplePages.CommandFile), SamplePages.Command);
            File.WriteAllText(Path.Combine(_docs, SamplePages.AboutFile), SamplePages.About);
        }

        public void Dispose()
        {
            Directory.Delete(_docs, recursive: true);
            if (Directory.Exists(_output))
            {
                Directory.Delete(_output, recursive: true);
            }
        }

        [Fact]
        public void AFolderBecomesTheMamlItsPagesNameAndOneTextFilePerAboutTopic()
        {
            Assert.Equal(0, Program.Main(new[] { _docs, _output }));

            Assert.Equal(new[] { "Widgets.dll-Help.xml", "about_Widgets.help.txt" }, Directory.GetFiles(_output).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal).ToArray());
            XDocument maml = XDocument.Load(Path.Combine(_output, "Widgets.dll-Help.xml"));
            Assert.Equal("Get-Widget", maml.Descendants().Single(e => e.Name.LocalName == "details").Elements().First().Value);
            Assert.StartsWith("TOPIC\n    about_Widgets\n", File.ReadAllText(Path.Combine(_output, "about_Widgets.help.txt")));
        }

        [Fact]
        public void OneMalformedPageFailsTheRunAndNothingIsWritten()
        {
            File.WriteAllText(Path.Combine(_docs, "Set-Widget.md"), SamplePages.Command.Replace("Get-Widget", "Set-Widget").Replace("## NOTES", "## REMARKS"));
            var errors = new StringWriter();
            TextWriter original = Console.Error;
            Console.SetError(errors);
            try
            {
                Assert.Equal(1, Program.Main(new[] { _docs, _output }));
            }
            finally
            {
                Console.SetError(original);
            }

            Assert.False(Directory.Exists(_output));
            Assert.Matches(@"Set-Widget\.md\(\d+\): error: unknown heading '## REMARKS'", errors.ToString());
        }
    }
}

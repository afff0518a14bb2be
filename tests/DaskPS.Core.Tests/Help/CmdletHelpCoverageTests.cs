using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace DaskPS.Core.Tests.Help
{
    /// <summary>Every cmdlet is documented, exported and formatted as it really is; runs without PowerShell.</summary>
    public sealed class CmdletHelpCoverageTests : IDisposable
    {
        private readonly ModuleMetadata _module = new ModuleMetadata();

        public void Dispose() => _module.Dispose();

        [Fact]
        public void EveryCmdletHasAPageDocumentingEachParameterWithTwoExamples()
        {
            Assert.NotEmpty(_module.CmdletTypes);
            foreach ((string name, Type type) in _module.CmdletTypes)
            {
                string page = Path.Combine(_module.RepoRoot, "docs", "cmdlets", name + ".md");
                Assert.True(File.Exists(page), $"{name}: docs/cmdlets/{name}.md is missing");
                string text = File.ReadAllText(page);
                var documented = Regex.Matches(text, @"^### -(\w+)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToHashSet();
                var parameters = HelpParameters(type);
                foreach (string parameter in parameters)
                {
                    Assert.True(documented.Contains(parameter), $"{name}: the page does not document -{parameter}");
                }

                foreach (string extra in documented.Except(parameters))
                {
                    Assert.Fail($"{name}: the page documents -{extra}, which the cmdlet does not have");
                }

                Assert.True(Regex.Matches(text, @"^### Example \d+", RegexOptions.Multiline).Count >= 2, $"{name}: fewer than two examples");
                Assert.Contains("schema: 2.0.0", text);
            }
        }

        /// <summary>The MAML the build made from those pages is what Get-Help shows: every cmdlet, parameter and example.</summary>
        [Fact]
        public void TheBuiltModuleShipsHelpForEveryCmdlet()
        {
            XNamespace maml = "http://schemas.microsoft.com/maml/2004/10";
            XNamespace command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
            XNamespace dev = "http://schemas.microsoft.com/maml/dev/2004/10";
            string help = Path.Combine(_module.ModuleDirectory, "en-US");
            var commands = XDocument.Load(Path.Combine(help, "DaskPS.dll-Help.xml")).Root!.Elements(command + "command")
                .ToDictionary(c => c.Element(command + "details")!.Element(command + "name")!.Value);

            Assert.Equal(_module.CmdletTypes.Keys.OrderBy(n => n), commands.Keys.OrderBy(n => n));
            foreach ((string name, Type type) in _module.CmdletTypes)
            {
                XElement entry = commands[name];
                Assert.False(string.IsNullOrWhiteSpace(entry.Element(command + "details")!.Element(maml + "description")?.Value), $"{name}: no synopsis");
                Assert.False(string.IsNullOrWhiteSpace(entry.Element(maml + "description")?.Value), $"{name}: no description");
                var examples = entry.Element(command + "examples")!.Elements(command + "example").ToList();
                Assert.True(examples.Count >= 2, $"{name}: fewer than two examples in the MAML");
                Assert.All(examples, e => Assert.False(string.IsNullOrWhiteSpace(e.Element(dev + "code")?.Value), $"{name}: an example without code"));
                var described = entry.Element(command + "parameters")!.Elements(command + "parameter")
                    .Where(p => !string.IsNullOrWhiteSpace(p.Element(maml + "description")?.Value))
                    .Select(p => p.Element(maml + "name")!.Value);
                Assert.Equal(HelpParameters(type).OrderBy(n => n), described.OrderBy(n => n));
            }

            Assert.StartsWith("TOPIC\n    about_DaskPS\n", File.ReadAllText(Path.Combine(help, "about_DaskPS.help.txt")));
        }

        [Fact]
        public void TheManifestExportsExactlyTheCmdlets()
        {
            string manifest = File.ReadAllText(Path.Combine(_module.RepoRoot, "module", "DaskPS.psd1"));
            string exports = Regex.Match(manifest, @"CmdletsToExport\s*=\s*@\(([^)]*)\)", RegexOptions.Singleline).Groups[1].Value;
            var exported = Regex.Matches(exports, "'([^']+)'").Select(m => m.Groups[1].Value).OrderBy(n => n).ToArray();

            Assert.Equal(_module.CmdletTypes.Keys.OrderBy(n => n).ToArray(), exported);
        }

        [Fact]
        public void FormatViewsNameRealTypesAndProperties()
        {
            XDocument formats = XDocument.Load(Path.Combine(_module.RepoRoot, "module", "DaskPS.format.ps1xml"));
            var views = formats.Descendants("View").ToList();
            Assert.NotEmpty(views);
            foreach (XElement view in views)
            {
                string typeName = view.Element("ViewSelectedBy")!.Element("TypeName")!.Value;
                Type? type = _module.Cmdlets.GetType(typeName) ?? _module.Core.GetType(typeName);
                Assert.True(type is not null, $"view '{view.Element("Name")?.Value}' selects unknown type {typeName}");
                foreach (string property in view.Descendants("PropertyName").Select(p => p.Value))
                {
                    Assert.True(type!.GetProperty(property) is not null, $"{typeName} has no property {property}");
                }
            }
        }

        /// <summary>The cmdlet's own parameters, and -WhatIf and -Confirm when it supports ShouldProcess.</summary>
        private static List<string> HelpParameters(Type cmdlet)
        {
            var parameters = ModuleMetadata.Parameters(cmdlet).ToList();
            if (ModuleMetadata.SupportsShouldProcess(cmdlet))
            {
                parameters.AddRange(new[] { "WhatIf", "Confirm" });
            }

            return parameters;
        }
    }
}

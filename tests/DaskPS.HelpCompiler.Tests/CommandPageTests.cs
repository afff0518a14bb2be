using System;
using System.Linq;
using System.Xml.Linq;

namespace DaskPS.HelpCompiler.Tests
{
    public sealed class CommandPageTests
    {
        private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
        private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
        private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

        private static XElement Converted()
        {
            CommandHelp help = CommandPage.Read(MarkdownDocument.Parse(SamplePages.CommandFile, SamplePages.Command));
            XDocument maml = HelpCompiler.Maml.Write(new[] { help });
            Assert.Equal("helpItems", maml.Root!.Name.LocalName);
            Assert.Equal("maml", (string?)maml.Root.Attribute("schema"));
            return Assert.Single(maml.Root.Elements(Command + "command"));
        }

        private static string[] Paragraphs(XElement? parent) =>
            parent!.Elements(Maml + "para").Select(p => p.Value).ToArray();

        [Fact]
        public void NameSynopsisAndDescriptionConvert()
        {
            XElement command = Converted();
            XElement details = command.Element(Command + "details")!;

            Assert.Equal("Get-Widget", details.Element(Command + "name")!.Value);
            Assert.Equal("Get", details.Element(Command + "verb")!.Value);
            Assert.Equal("Widget", details.Element(Command + "noun")!.Value);
            Assert.Equal(new[] { "Gets widgets by name or id." }, Paragraphs(details.Element(Maml + "description")));
            // Lines of one paragraph join; a blank line starts the next paragraph.
            Assert.Equal(new[] { "Looks the widgets up in the store.", "Writes one object per widget." }, Paragraphs(command.Element(Maml + "description")));
        }

        [Fact]
        public void EveryParameterKeepsItsDescriptionAndSettings()
        {
            var parameters = Converted().Element(Command + "parameters")!.Elements(Command + "parameter")
                .ToDictionary(p => p.Element(Maml + "name")!.Value);

            Assert.Equal(new[] { "Name", "Tag", "Id", "Force" }, parameters.Keys.ToArray());
            XElement name = parameters["Name"];
            Assert.Equal(new[] { "Names of the widgets; wildcards are allowed." }, Paragraphs(name.Element(Maml + "description")));
            Assert.Equal("String[]", name.Element(Dev + "type")!.Element(Maml + "name")!.Value);
            Assert.Equal("String[]", name.Element(Command + "parameterValue")!.Value);
            Assert.Equal("true", (string?)name.Attribute("required"));
            Assert.Equal("true", (string?)name.Attribute("variableLength"));
            Assert.Equal("0", (string?)name.Attribute("position"));
            Assert.Equal("True (ByPropertyName, ByValue)", (string?)name.Attribute("pipelineInput"));
            Assert.Equal("WidgetName, N", (string?)name.Attribute("aliases"));
            Assert.Equal("true", (string?)name.Attribute("globbing"));
            Assert.Equal("None", name.Element(Dev + "defaultValue")!.Value);

            XElement tag = parameters["Tag"];
            Assert.Equal(new[] { "Only widgets with this tag." }, Paragraphs(tag.Element(Maml + "description")));
            Assert.Equal("false", (string?)tag.Attribute("required"));
            Assert.Equal("false", (string?)tag.Attribute("variableLength"));
            Assert.Equal("named", (string?)tag.Attribute("position"));
            Assert.Equal("False", (string?)tag.Attribute("pipelineInput"));
            Assert.Equal("none", (string?)tag.Attribute("aliases"));
            Assert.Equal("false", (string?)tag.Attribute("globbing"));
            Assert.Equal("Untagged", tag.Element(Dev + "defaultValue")!.Value);

            Assert.Equal("True (ByPropertyName)", (string?)parameters["Id"].Attribute("pipelineInput"));
            Assert.Equal("Int32", parameters["Id"].Element(Dev + "type")!.Element(Maml + "name")!.Value);

            // In the parameter list a switch shows its type, optional; PowerShell writes it as -Force [<SwitchParameter>].
            XElement force = parameters["Force"].Element(Command + "parameterValue")!;
            Assert.Equal("SwitchParameter", force.Value);
            Assert.Equal("false", (string?)force.Attribute("required"));
        }

        [Fact]
        public void EachParameterSetIsOneSyntaxItemInTheSyntaxLinesOrder()
        {
            var items = Converted().Element(Command + "syntax")!.Elements(Command + "syntaxItem").ToList();

            Assert.Equal(2, items.Count);
            Assert.All(items, item => Assert.Equal("Get-Widget", item.Element(Maml + "name")!.Value));
            string[] Names(XElement item) => item.Elements(Command + "parameter").Select(p => p.Element(Maml + "name")!.Value).ToArray();
            Assert.Equal(new[] { "Name", "Tag", "Force" }, Names(items[0]));
            Assert.Equal(new[] { "Id", "Force" }, Names(items[1]));

            // A switch in a syntax line takes no value: [-Force], not [-Force <SwitchParameter>].
            XElement force = items[1].Elements(Command + "parameter").Single(p => p.Element(Maml + "name")!.Value == "Force");
            Assert.Null(force.Element(Command + "parameterValue"));
            XElement id = items[1].Elements(Command + "parameter").Single(p => p.Element(Maml + "name")!.Value == "Id");
            Assert.Equal("Int32", id.Element(Command + "parameterValue")!.Value);
            Assert.Equal("true", (string?)id.Attribute("required"));
        }

        [Fact]
        public void ExamplesKeepTheirCodeAndRemarks()
        {
            var examples = Converted().Element(Command + "examples")!.Elements(Command + "example").ToList();

            Assert.Equal(2, examples.Count);
            Assert.Contains("Example 1", examples[0].Element(Maml + "title")!.Value);
            Assert.Equal("Get-Widget gear*", examples[0].Element(Dev + "code")!.Value);
            Assert.Equal(new[] { "Gets every widget whose name starts with gear." }, Paragraphs(examples[0].Element(Dev + "remarks")));
            Assert.Contains("Example 2: by id", examples[1].Element(Maml + "title")!.Value);
            Assert.Equal("$widget = Get-Widget -Id 7 -Force\n$widget.Name", examples[1].Element(Dev + "code")!.Value);
            Assert.Equal(new[] { "Gets widget 7, even when it is hidden.", "Then shows its name." }, Paragraphs(examples[1].Element(Dev + "remarks")));
        }

        [Fact]
        public void InputsOutputsNotesAndLinksConvert()
        {
            XElement command = Converted();

            var inputs = command.Element(Command + "inputTypes")!.Elements(Command + "inputType").ToList();
            Assert.Equal(new[] { "System.String", "System.Int32" }, inputs.Select(i => i.Element(Dev + "type")!.Element(Maml + "name")!.Value).ToArray());
            Assert.Equal(new[] { "Names, by value or by property name." }, Paragraphs(inputs[0].Element(Maml + "description")));
            Assert.Empty(Paragraphs(inputs[1].Element(Maml + "description")));
            Assert.Equal("Widgets.Widget", command.Element(Command + "returnValues")!.Element(Command + "returnValue")!.Element(Dev + "type")!.Element(Maml + "name")!.Value);
            Assert.Equal(new[] { "Hidden widgets need -Force." }, Paragraphs(command.Element(Maml + "alertSet")!.Element(Maml + "alert")));

            var links = command.Element(Command + "relatedLinks")!.Elements(Maml + "navigationLink")
                .Select(l => (l.Element(Maml + "linkText")!.Value, l.Element(Maml + "uri")!.Value)).ToArray();
            // The online version comes first; a relative markdown target means nothing to Get-Help and is left out.
            Assert.Equal(new[] { ("Online Version:", "https://example.org/get-widget"), ("Set-Widget", ""), ("Widget store", "https://example.org/store") }, links);
        }

        [Fact]
        public void EmptyNotesWriteNoAlertSet()
        {
            string page = SamplePages.Command.Replace("Hidden widgets need -Force.\n", string.Empty);
            CommandHelp help = CommandPage.Read(MarkdownDocument.Parse(SamplePages.CommandFile, page));

            Assert.Null(HelpCompiler.Maml.Write(new[] { help }).Root!.Element(Command + "command")!.Element(Maml + "alertSet"));
        }

        /// <summary>
        /// Each case breaks the sample page one way; the error must name the file and the line where the problem is:
        /// the line that is exactly <c>lineOf</c> in the broken page, moved by <c>offset</c> (the last line when null).
        /// </summary>
        [Theory]
        [InlineData("## DESCRIPTION\nLooks the widgets up\nin the store.\n\nWrites one object per widget.\n\n", "", "## EXAMPLES", "'## DESCRIPTION' is missing before '## EXAMPLES'")]
        [InlineData("## RELATED LINKS\n\n[Set-Widget](Set-Widget.md)\n\n[Widget store](https://example.org/store)", "", null, "'## RELATED LINKS' is missing")]
        [InlineData("## NOTES", "## REMARKS", "## REMARKS", "unknown heading '## REMARKS'")]
        [InlineData("### -Tag", "### Tag", "### Tag", "unknown heading '### Tag' under '## PARAMETERS'")]
        [InlineData("### Example 2: by id", "### Second example", "### Second example", "unknown heading '### Second example'")]
        [InlineData("### System.Int32", "#### System.Int32", "#### System.Int32", "unknown heading 'System.Int32' under 'System.String'")]
        [InlineData("## SYNOPSIS", "### SYNOPSIS", "### SYNOPSIS", "'SYNOPSIS' must be a level-2 heading under 'Get-Widget'")]
        [InlineData("Only widgets with this tag.\n\n```yaml\nType: String\nParameter Sets: ByName\nAliases:\n\nRequired: False\nPosition: Named\nDefault value: Untagged\nAccept pipeline input: False\nAccept wildcard characters: False\n```", "Only widgets with this tag.", "### -Tag", "'### -Tag' has no ```yaml block")]
        [InlineData("The widget's number.\n", "", "### -Id", "'### -Id' has no description")]
        [InlineData("Position: 0", "Postion: 0", "Postion: 0", "unknown parameter setting 'Postion: 0'")]
        [InlineData("Default value: Untagged\n", "", "Type: String", "the yaml block has no 'Default value:'", -1)]
        [InlineData("Required: True\nPosition: 0", "Required: Yes\nPosition: 0", "Required: Yes", "'Required:' must be True or False")]
        [InlineData("Accept pipeline input: True (ByPropertyName)", "Accept pipeline input: Sometimes", "Accept pipeline input: Sometimes", "'Accept pipeline input:' must be")]
        [InlineData("Get-Widget -Id <Int32> [-Force]", "Get-Widget -Id <Int32> [-Tag <String>] [-Force]", "Get-Widget -Id <Int32> [-Tag <String>] [-Force] [<CommonParameters>]", "lists -Tag, but its yaml block does not put it in that set")]
        [InlineData("Get-Widget -Id <Int32> [-Force]", "Get-Widget -Id <Int32>", "Get-Widget -Id <Int32> [<CommonParameters>]", "leaves out -Force")]
        [InlineData("Get-Widget -Id <Int32> [-Force]", "Get-Widget -Id <Int32> [-Force] [-Color <String>]", "Get-Widget -Id <Int32> [-Force] [-Color <String>] [<CommonParameters>]", "lists -Color, which has no '### -Color'")]
        [InlineData("Parameter Sets: ById", "Parameter Sets: ById, ByColor", "### -Id", "-Id is in parameter set 'ByColor', which '## SYNTAX' does not have")]
        [InlineData("Gets every widget whose name starts with gear.\n", "", "### Example 1", "'### Example 1' has no remarks after its code")]
        [InlineData("Gets widgets by name or id.", "{{ Fill in the Synopsis }}", "{{ Fill in the Synopsis }}", "template placeholder")]
        [InlineData("[Widget store](https://example.org/store)", "See the widget store.", "See the widget store.", "holds only [text](uri) links")]
        [InlineData("schema: 2.0.0", "schema: 1.0.0", "---", "only PlatyPS schema 2.0.0 is understood")]
        [InlineData("# Get-Widget", "# Get-Gadget", "# Get-Gadget", "must be named Get-Gadget.md")]
        [InlineData("Hidden widgets need -Force.", "Hidden widgets need -Force.\n\n```\nGet-Widget -Force", "Hidden widgets need -Force.", "the code block is not closed", 2)]
        public void MalformedPagesFailNamingFileAndLine(string find, string replacement, string? lineOf, string problem, int offset = 0)
        {
            const string file = "docs/Get-Widget.md";
            Assert.Contains(find, SamplePages.Command);
            string page = SamplePages.Command.Replace(find, replacement);
            string[] lines = page.Split('\n');
            int line = lineOf is null ? lines.Length : Array.IndexOf(lines, lineOf) + 1 + offset;
            Assert.True(line > offset, $"'{lineOf}' is not a line of the broken page");

            var error = Assert.Throws<HelpFormatException>(() => CommandPage.Read(MarkdownDocument.Parse(file, page)));

            Assert.Contains(problem, error.Problem);
            Assert.Equal(line, error.Line);
            Assert.Equal($"{file}({line}): error: {error.Problem}", error.Message);
        }
    }
}

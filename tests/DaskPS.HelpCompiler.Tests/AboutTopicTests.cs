using System.Linq;

namespace DaskPS.HelpCompiler.Tests
{
    public sealed class AboutTopicTests
    {
        private static string Rendered(string page) => AboutTopic.Read(MarkdownDocument.Parse(SamplePages.AboutFile, page)).Render();

        [Fact]
        public void TheTopicIsLaidOutAsPowerShellAboutText()
        {
            string expected = string.Join("\n",
                "TOPIC",
                "    about_Widgets",
                "",
                "SHORT DESCRIPTION",
                "    Explains widgets.",
                "",
                "LONG DESCRIPTION",
                // 4 + 15 * 5 - 1 = 78 columns; a sixteenth word would pass 80.
                "    " + string.Join(" ", Enumerable.Repeat("abcd", 15)),
                "    " + string.Join(" ", Enumerable.Repeat("abcd", 5)),
                "",
                "    Widgets are small.",
                "",
                "WIDGET STORES",
                "    - A store hands out widgets by name, by id or by tag, whichever the caller",
                "      finds easiest to use.",
                "    - Stores are per user.",
                "",
                "        Get-Widget -Id 7",
                "");

            Assert.Equal(expected, Rendered(SamplePages.About));
        }

        [Fact]
        public void NoLineIsWiderThanEightyColumns()
        {
            string longWords = string.Join(" ", Enumerable.Range(1, 200).Select(i => new string('w', i % 13 + 1)));
            string page = SamplePages.About.Replace("Widgets are small.", longWords);

            string[] lines = Rendered(page).Split('\n');

            Assert.All(lines, line => Assert.True(line.Length <= AboutTopic.Width, $"{line.Length} columns: {line}"));
            string wrapped = string.Join(" ", lines.SkipWhile(l => l != "    Explains widgets.").Where(l => l.StartsWith("    w")).Select(l => l.Trim()));
            Assert.Equal(longWords, wrapped);
        }

        [Theory]
        [InlineData("## SHORT DESCRIPTION\nExplains widgets.\n\n", "", "## LONG DESCRIPTION", "'## SHORT DESCRIPTION' must come here")]
        [InlineData("## LONG DESCRIPTION", "## DETAILS", "## DETAILS", "'## LONG DESCRIPTION' must come here")]
        [InlineData("## Widget stores", "### Widget stores", "### Widget stores", "an about topic has '## ' sections only")]
        [InlineData("# about_Widgets", "# about_Gadgets", "# about_Gadgets", "exactly one '# about_Widgets' heading")]
        [InlineData("Widgets are small.", "{{ Long Description Placeholder }}", "{{ Long Description Placeholder }}", "template placeholder")]
        public void MalformedTopicsFailNamingFileAndLine(string find, string replacement, string lineOf, string problem)
        {
            Assert.Contains(find, SamplePages.About);
            string page = SamplePages.About.Replace(find, replacement);

            var error = Assert.Throws<HelpFormatException>(() => Rendered(page));

            Assert.Contains(problem, error.Problem);
            Assert.Equal(SamplePages.AboutFile, error.File);
            Assert.Equal(System.Array.IndexOf(page.Split('\n'), lineOf) + 1, error.Line);
        }
    }
}

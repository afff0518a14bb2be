using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace DaskPS.HelpCompiler
{
    /// <summary>
    /// An about topic (PlatyPS's about schema: "# about_Name", an optional "## about_Name", "## SHORT DESCRIPTION",
    /// "## LONG DESCRIPTION", then any further "##" sections) rendered in PowerShell's plain-text about layout.
    /// </summary>
    internal sealed class AboutTopic
    {
        public const int Width = 80;
        private const int Indent = 4;
        private const string ShortDescription = "SHORT DESCRIPTION";
        private const string LongDescription = "LONG DESCRIPTION";

        private AboutTopic(string name, IReadOnlyList<(string Title, IReadOnlyList<Block> Blocks)> sections)
        {
            Name = name;
            Sections = sections;
        }

        public string Name { get; }

        /// <summary>SHORT DESCRIPTION, LONG DESCRIPTION and the rest, in page order.</summary>
        public IReadOnlyList<(string Title, IReadOnlyList<Block> Blocks)> Sections { get; }

        public static bool IsAboutPage(string path) => Path.GetFileName(path).StartsWith("about_", StringComparison.OrdinalIgnoreCase);

        public static AboutTopic Read(MarkdownDocument page)
        {
            string name = Path.GetFileNameWithoutExtension(page.File);
            if (page.Sections.Count != 1 || page.Sections[0].Title != name)
            {
                throw page.Error(page.Sections.Count == 0 ? page.LineCount : page.Sections[0].Line, $"an about page has exactly one '# {name}' heading, named as its file");
            }

            Section topic = page.Sections[0];
            if (topic.Blocks.Count > 0)
            {
                throw page.Error(topic.Blocks[0].Line, $"text between '# {name}' and its first ## section");
            }

            var sections = new List<Section>(topic.Children);
            // PlatyPS's template repeats the lookup name as a second heading; it adds nothing to the text.
            if (sections.Count > 0 && sections[0].Title == name && sections[0].Blocks.Count == 0 && sections[0].Children.Count == 0)
            {
                sections.RemoveAt(0);
            }

            foreach (Section section in sections)
            {
                if (section.Level != 2 || section.Children.Count > 0)
                {
                    Section wrong = section.Level != 2 ? section : section.Children[0];
                    throw page.Error(wrong.Line, $"unknown heading '{wrong.Title}': an about topic has '## ' sections only");
                }

                // Reading the text finds template placeholders left in it.
                foreach (Block block in section.Blocks.Where(b => b is not CodeBlock))
                {
                    block.Text(page);
                }
            }

            Expect(page, sections, 0, ShortDescription, topic.Line);
            Expect(page, sections, 1, LongDescription, sections[0].Line);
            return new AboutTopic(name, sections.Select(s => (s.Title.ToUpperInvariant(), (IReadOnlyList<Block>)s.Blocks)).ToList());
        }

        /// <summary>TOPIC, then every section as an upper-case heading with its text indented and wrapped.</summary>
        public string Render()
        {
            var text = new StringBuilder();
            text.Append("TOPIC\n").Append(' ', Indent).Append(Name).Append('\n');
            foreach ((string title, IReadOnlyList<Block> blocks) in Sections)
            {
                text.Append('\n').Append(title).Append('\n');
                for (int i = 0; i < blocks.Count; i++)
                {
                    // List items follow one another without a blank line, as in the markdown.
                    bool gap = i > 0 && !(blocks[i] is ListItem && blocks[i - 1] is ListItem);
                    if (gap)
                    {
                        text.Append('\n');
                    }

                    Append(text, blocks[i]);
                }
            }

            return text.ToString();
        }

        private static void Expect(MarkdownDocument page, List<Section> sections, int index, string title, int lineBefore)
        {
            if (sections.Count <= index || !sections[index].Title.Equals(title, StringComparison.OrdinalIgnoreCase))
            {
                throw page.Error(sections.Count > index ? sections[index].Line : lineBefore, $"'## {title}' must come here");
            }
        }

        private static void Append(StringBuilder text, Block block)
        {
            switch (block)
            {
                case Paragraph paragraph:
                    Wrap(text, paragraph.Text, new string(' ', Indent), new string(' ', Indent));
                    break;
                case ListItem item:
                    Wrap(text, item.Text, new string(' ', Indent) + "- ", new string(' ', Indent + 2));
                    break;
                case CodeBlock code:
                    // Code keeps its lines as written, one level further in.
                    foreach (string line in code.Code.Split('\n'))
                    {
                        text.Append(line.Length == 0 ? string.Empty : new string(' ', 2 * Indent) + line).Append('\n');
                    }

                    break;
            }
        }

        /// <summary>Fills lines up to <see cref="Width"/> columns; a word longer than a line stands alone.</summary>
        private static void Wrap(StringBuilder text, string paragraph, string firstPrefix, string prefix)
        {
            var line = new StringBuilder(firstPrefix);
            bool empty = true;
            foreach (string word in paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!empty && line.Length + 1 + word.Length > Width)
                {
                    text.Append(line).Append('\n');
                    line.Clear().Append(prefix);
                    empty = true;
                }

                line.Append(empty ? string.Empty : " ").Append(word);
                empty = false;
            }

            text.Append(line).Append('\n');
        }
    }
}

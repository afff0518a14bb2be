using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;

namespace DaskPS.HelpCompiler
{
    internal abstract record Block(int Line);

    /// <summary>Consecutive text lines, joined with single spaces as markdown renders them.</summary>
    internal sealed record Paragraph(int Line, string Text) : Block(Line);

    /// <summary>One "- " or "* " item, its continuation lines joined to it.</summary>
    internal sealed record ListItem(int Line, string Text) : Block(Line);

    /// <summary>A fenced block; <see cref="Line"/> is the opening fence's.</summary>
    internal sealed record CodeBlock(int Line, string Language, string Code) : Block(Line);

    /// <summary>A heading with the blocks under it and the deeper headings that follow it.</summary>
    internal sealed class Section
    {
        public Section(int level, string title, int line)
        {
            Level = level;
            Title = title;
            Line = line;
        }

        public int Level { get; }

        public string Title { get; }

        public int Line { get; }

        public List<Block> Blocks { get; } = new List<Block>();

        public List<Section> Children { get; } = new List<Section>();
    }

    /// <summary>
    /// A markdown help page read into front matter and a tree of sections. PlatyPS pages use a tiny fixed subset of
    /// markdown (headings, paragraphs, list items, fenced code), so this hand-written reader covers exactly that and
    /// reports anything else by file and line instead of guessing.
    /// </summary>
    internal sealed class MarkdownDocument
    {
        private static readonly Regex Heading = new Regex(@"^(#{1,6})\s+(.+?)\s*$");
        private static readonly Regex ListMarker = new Regex(@"^\s*[-*]\s+(.*)$");

        private MarkdownDocument(string file, IReadOnlyDictionary<string, string> frontMatter, List<Section> sections, int lineCount)
        {
            File = file;
            FrontMatter = frontMatter;
            Sections = sections;
            LineCount = lineCount;
        }

        /// <summary>The page's path as error messages name it.</summary>
        public string File { get; }

        public IReadOnlyDictionary<string, string> FrontMatter { get; }

        /// <summary>The top-level (#) sections.</summary>
        public IReadOnlyList<Section> Sections { get; }

        public int LineCount { get; }

        public HelpFormatException Error(int line, string problem) => new HelpFormatException(File, line, problem);

        public static MarkdownDocument Parse(string file, string text)
        {
            string[] lines = text.Replace("\r\n", "\n").Split('\n');
            int index = 0;
            var frontMatter = ReadFrontMatter(file, lines, ref index);
            var roots = new List<Section>();
            var open = new Stack<Section>();
            Block? current = null;
            for (; index < lines.Length; index++)
            {
                string line = lines[index];
                int number = index + 1;
                if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
                {
                    Section owner = Owner(file, open, number);
                    owner.Blocks.Add(ReadFence(file, lines, ref index));
                    current = null;
                    continue;
                }

                Match heading = Heading.Match(line);
                if (heading.Success)
                {
                    var section = new Section(heading.Groups[1].Length, heading.Groups[2].Value, number);
                    while (open.Count > 0 && open.Peek().Level >= section.Level)
                    {
                        open.Pop();
                    }

                    (open.Count > 0 ? open.Peek().Children : roots).Add(section);
                    open.Push(section);
                    current = null;
                    continue;
                }

                if (line.Trim().Length == 0)
                {
                    current = null;
                    continue;
                }

                List<Block> blocks = Owner(file, open, number).Blocks;
                Match item = ListMarker.Match(line);
                if (item.Success)
                {
                    current = new ListItem(number, item.Groups[1].Value.Trim());
                    blocks.Add(current);
                }
                else if (current is null)
                {
                    current = new Paragraph(number, line.Trim());
                    blocks.Add(current);
                }
                else
                {
                    // A continuation line: the block grows in place, keeping its first line for messages.
                    current = current switch
                    {
                        Paragraph p => p with { Text = p.Text + " " + line.Trim() },
                        ListItem l => l with { Text = l.Text + " " + line.Trim() },
                        _ => throw new InvalidOperationException("Only text blocks continue."),
                    };
                    blocks[blocks.Count - 1] = current;
                }
            }

            return new MarkdownDocument(file, frontMatter, roots, lines.Length);
        }

        private static Section Owner(string file, Stack<Section> open, int line) =>
            open.Count > 0 ? open.Peek() : throw new HelpFormatException(file, line, "text before the first heading");

        private static Dictionary<string, string> ReadFrontMatter(string file, string[] lines, ref int index)
        {
            var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (lines[0].Trim() != "---")
            {
                return values;
            }

            for (index = 1; index < lines.Length; index++)
            {
                string line = lines[index];
                if (line.Trim() == "---")
                {
                    index++;
                    return values;
                }

                int colon = line.IndexOf(':');
                if (colon <= 0)
                {
                    throw new HelpFormatException(file, index + 1, $"front matter line '{line}' is not 'key: value'");
                }

                values[line.Substring(0, colon).Trim()] = line.Substring(colon + 1).Trim();
            }

            throw new HelpFormatException(file, 1, "the front matter is not closed by a '---' line");
        }

        private static CodeBlock ReadFence(string file, string[] lines, ref int index)
        {
            int start = index;
            string language = lines[start].Trim().Substring(3).Trim();
            var code = new List<string>();
            for (index = start + 1; index < lines.Length; index++)
            {
                if (lines[index].Trim() == "```")
                {
                    return new CodeBlock(start + 1, language, string.Join("\n", code));
                }

                code.Add(lines[index]);
            }

            throw new HelpFormatException(file, start + 1, "the code block is not closed");
        }
    }

    internal static class SectionExtensions
    {
        /// <summary>The texts of a section made of paragraphs and list items only; other content is an error.</summary>
        public static List<string> Texts(this Section section, MarkdownDocument page)
        {
            NoSubheadings(section, page);
            return section.Blocks.Select(block => block.Text(page)).ToList();
        }

        /// <summary>A paragraph's or list item's text; a code block is an error where text is expected.</summary>
        public static string Text(this Block block, MarkdownDocument page) => block switch
        {
            Paragraph p => Written(p.Text, p.Line, page),
            ListItem item => Written("- " + item.Text, item.Line, page),
            _ => throw page.Error(block.Line, "a code block is not allowed here"),
        };

        public static void NoSubheadings(this Section section, MarkdownDocument page)
        {
            if (section.Children.Count > 0)
            {
                Section child = section.Children[0];
                throw page.Error(child.Line, $"unknown heading '{child.Title}' under '{section.Title}'");
            }
        }

        /// <summary>PlatyPS templates leave "{{ ... }}" where text is still to be written.</summary>
        private static string Written(string text, int line, MarkdownDocument page) =>
            text.Contains("{{", StringComparison.Ordinal)
                ? throw page.Error(line, $"template placeholder left in the text: {text}")
                : text;
    }
}

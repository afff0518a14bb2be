using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace DaskPS.HelpCompiler
{
    /// <summary>Reads a PlatyPS (schema 2.0.0) command page; every departure from the schema is an error.</summary>
    internal static class CommandPage
    {
        private static readonly string[] SectionOrder =
        {
            "SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES", "PARAMETERS", "INPUTS", "OUTPUTS", "NOTES", "RELATED LINKS",
        };

        private static readonly string[] YamlKeys =
        {
            "Type", "Parameter Sets", "Aliases", "Required", "Position", "Default value", "Accept pipeline input", "Accept wildcard characters",
        };

        private const string CommonParameters = "CommonParameters";
        private const string DefaultSetSuffix = " (Default)";

        private static readonly Regex SyntaxParameter = new Regex(@"(?:^|[\s\[])-(\w+)");
        private static readonly Regex PipelineInput = new Regex(@"^(False|True \((ByValue|ByPropertyName)(, ?(ByValue|ByPropertyName))?\))$");
        private static readonly Regex Link = new Regex(@"^\[([^\]]+)\]\(([^)]*)\)$");

        public static CommandHelp Read(MarkdownDocument page)
        {
            string helpFile = FrontMatterValue(page, "external help file");
            if (Path.GetFileName(helpFile) != helpFile || !helpFile.EndsWith("-Help.xml", StringComparison.Ordinal))
            {
                throw page.Error(1, $"'external help file: {helpFile}' must be a file name such as Module.dll-Help.xml");
            }

            if (FrontMatterValue(page, "schema") != "2.0.0")
            {
                throw page.Error(1, "only PlatyPS schema 2.0.0 is understood ('schema: 2.0.0' in the front matter)");
            }

            Section command = page.Sections.Count == 1
                ? page.Sections[0]
                : throw page.Error(page.Sections.Count == 0 ? page.LineCount : page.Sections[1].Line, "a command page has exactly one '# Command-Name' heading");
            if (command.Title != Path.GetFileNameWithoutExtension(page.File))
            {
                throw page.Error(command.Line, $"the page of '{command.Title}' must be named {command.Title}.md");
            }

            if (command.Blocks.Count > 0)
            {
                throw page.Error(command.Blocks[0].Line, $"text between '# {command.Title}' and '## SYNOPSIS'");
            }

            Dictionary<string, Section> sections = SectionsInOrder(page, command);
            List<ParameterHelp> parameters = Parameters(page, sections["PARAMETERS"], out Dictionary<ParameterHelp, int> headingLines);
            string? online = page.FrontMatter.GetValueOrDefault("online version");
            var links = new List<LinkHelp>();
            if (!string.IsNullOrEmpty(online))
            {
                links.Add(new LinkHelp("Online Version:", online));
            }

            links.AddRange(Links(page, sections["RELATED LINKS"]));
            return new CommandHelp(
                command.Title,
                helpFile,
                NonEmptyTexts(page, sections["SYNOPSIS"]),
                NonEmptyTexts(page, sections["DESCRIPTION"]),
                Syntax(page, command.Title, sections["SYNTAX"], parameters, headingLines),
                parameters,
                Examples(page, sections["EXAMPLES"]),
                Types(page, sections["INPUTS"]),
                Types(page, sections["OUTPUTS"]),
                sections["NOTES"].Texts(page),
                links);
        }

        private static string FrontMatterValue(MarkdownDocument page, string key) =>
            page.FrontMatter.TryGetValue(key, out string? value) && value.Length > 0
                ? value
                : throw page.Error(1, $"the front matter has no '{key}:'");

        /// <summary>The ## sections, each present once and in PlatyPS's order.</summary>
        private static Dictionary<string, Section> SectionsInOrder(MarkdownDocument page, Section command)
        {
            var found = new Dictionary<string, Section>();
            foreach (Section section in Subsections(page, command))
            {
                int position = Array.IndexOf(SectionOrder, section.Title);
                if (position < 0)
                {
                    throw page.Error(section.Line, $"unknown heading '## {section.Title}' (a command page has {string.Join(", ", SectionOrder)})");
                }

                if (position < found.Count)
                {
                    throw page.Error(section.Line, $"'## {section.Title}' is repeated or out of order");
                }

                if (position > found.Count)
                {
                    throw page.Error(section.Line, $"'## {SectionOrder[found.Count]}' is missing before '## {section.Title}'");
                }

                found.Add(section.Title, section);
            }

            return found.Count == SectionOrder.Length
                ? found
                : throw page.Error(page.LineCount, $"'## {SectionOrder[found.Count]}' is missing");
        }

        /// <summary>The headings one level below <paramref name="section"/>; a skipped level is an error.</summary>
        private static List<Section> Subsections(MarkdownDocument page, Section section)
        {
            Section? skipped = section.Children.FirstOrDefault(c => c.Level != section.Level + 1);
            return skipped is null
                ? section.Children
                : throw page.Error(skipped.Line, $"'{skipped.Title}' must be a level-{section.Level + 1} heading under '{section.Title}'");
        }

        private static List<string> NonEmptyTexts(MarkdownDocument page, Section section)
        {
            List<string> texts = section.Texts(page);
            return texts.Count > 0 ? texts : throw page.Error(section.Line, $"'## {section.Title}' is empty");
        }

        private static List<ParameterHelp> Parameters(MarkdownDocument page, Section section, out Dictionary<ParameterHelp, int> headingLines)
        {
            NoText(page, section);
            var parameters = new List<ParameterHelp>();
            headingLines = new Dictionary<ParameterHelp, int>();
            foreach (Section heading in Subsections(page, section))
            {
                // PowerShell lists the common parameters itself; the section only says the cmdlet has them.
                if (heading.Title == CommonParameters)
                {
                    heading.NoSubheadings(page);
                    continue;
                }

                if (!heading.Title.StartsWith("-", StringComparison.Ordinal))
                {
                    throw page.Error(heading.Line, $"unknown heading '### {heading.Title}' under '## PARAMETERS' (expected '### -Name' or '### {CommonParameters}')");
                }

                ParameterHelp parameter = Parameter(page, heading);
                if (parameters.Any(p => p.Name.Equals(parameter.Name, StringComparison.OrdinalIgnoreCase)))
                {
                    throw page.Error(heading.Line, $"-{parameter.Name} is documented twice");
                }

                parameters.Add(parameter);
                headingLines.Add(parameter, heading.Line);
            }

            return parameters;
        }

        /// <summary>A "### -Name" section: description paragraphs, then exactly one yaml block.</summary>
        private static ParameterHelp Parameter(MarkdownDocument page, Section heading)
        {
            heading.NoSubheadings(page);
            var yamlBlocks = heading.Blocks.OfType<CodeBlock>().ToList();
            if (yamlBlocks.Count == 0)
            {
                throw page.Error(heading.Line, $"'### {heading.Title}' has no ```yaml block");
            }

            if (yamlBlocks.Count > 1)
            {
                throw page.Error(yamlBlocks[1].Line, $"'### {heading.Title}' has more than one yaml block (per-set settings are not supported)");
            }

            CodeBlock yaml = yamlBlocks[0];
            if (yaml.Language != "yaml")
            {
                throw page.Error(yaml.Line, $"the block of '### {heading.Title}' must be ```yaml, not ```{yaml.Language}");
            }

            if (heading.Blocks[^1] != yaml)
            {
                throw page.Error(heading.Blocks[^1].Line, $"text after the yaml block of '### {heading.Title}'");
            }

            var description = heading.Blocks.Take(heading.Blocks.Count - 1).Select(b => b.Text(page)).ToList();
            if (description.Count == 0)
            {
                throw page.Error(heading.Line, $"'### {heading.Title}' has no description");
            }

            Dictionary<string, (string Value, int Line)> values = YamlValues(page, yaml);
            return new ParameterHelp(
                heading.Title.Substring(1),
                description,
                NonEmptyValue(page, values, "Type"),
                List(NonEmptyValue(page, values, "Parameter Sets")),
                List(values["Aliases"].Value),
                Boolean(page, values, "Required"),
                Position(page, values),
                values["Default value"].Value.Length > 0 ? values["Default value"].Value : "None",
                PipelineInputValue(page, values),
                Boolean(page, values, "Accept wildcard characters"));
        }

        private static Dictionary<string, (string Value, int Line)> YamlValues(MarkdownDocument page, CodeBlock yaml)
        {
            var values = new Dictionary<string, (string, int)>();
            string[] lines = yaml.Code.Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                int line = yaml.Line + 1 + i;
                if (lines[i].Trim().Length == 0)
                {
                    continue;
                }

                int colon = lines[i].IndexOf(':');
                string key = colon > 0 ? lines[i].Substring(0, colon).Trim() : lines[i].Trim();
                if (colon <= 0 || !YamlKeys.Contains(key))
                {
                    throw page.Error(line, $"unknown parameter setting '{lines[i].Trim()}' (expected {string.Join(", ", YamlKeys.Select(k => k + ":"))})");
                }

                if (!values.TryAdd(key, (lines[i].Substring(colon + 1).Trim(), line)))
                {
                    throw page.Error(line, $"'{key}:' is given twice");
                }
            }

            string? missing = YamlKeys.FirstOrDefault(k => !values.ContainsKey(k));
            return missing is null ? values : throw page.Error(yaml.Line, $"the yaml block has no '{missing}:'");
        }

        private static string NonEmptyValue(MarkdownDocument page, Dictionary<string, (string Value, int Line)> values, string key) =>
            values[key].Value.Length > 0 ? values[key].Value : throw page.Error(values[key].Line, $"'{key}:' is empty");

        private static bool Boolean(MarkdownDocument page, Dictionary<string, (string Value, int Line)> values, string key) =>
            bool.TryParse(values[key].Value, out bool value) ? value : throw page.Error(values[key].Line, $"'{key}:' must be True or False");

        private static string Position(MarkdownDocument page, Dictionary<string, (string Value, int Line)> values)
        {
            string position = values["Position"].Value;
            return position == "Named" || (int.TryParse(position, out int index) && index >= 0)
                ? position
                : throw page.Error(values["Position"].Line, "'Position:' must be a number or Named");
        }

        private static string PipelineInputValue(MarkdownDocument page, Dictionary<string, (string Value, int Line)> values)
        {
            (string value, int line) = values["Accept pipeline input"];
            return PipelineInput.IsMatch(value)
                ? value
                : throw page.Error(line, "'Accept pipeline input:' must be False, True (ByValue), True (ByPropertyName) or True (ByPropertyName, ByValue)");
        }

        private static List<string> List(string value) =>
            value.Split(',').Select(v => v.Trim()).Where(v => v.Length > 0).ToList();

        /// <summary>
        /// One set per "### SetName" block. The syntax line gives the order; the yaml blocks give membership; the two
        /// must agree, so a parameter can be neither missing from the syntax nor listed in a set it is not in.
        /// </summary>
        private static List<SyntaxSet> Syntax(MarkdownDocument page, string command, Section section, List<ParameterHelp> parameters, Dictionary<ParameterHelp, int> headingLines)
        {
            NoText(page, section);
            var sets = new List<SyntaxSet>();
            foreach (Section heading in Subsections(page, section))
            {
                heading.NoSubheadings(page);
                if (heading.Blocks.Count != 1 || heading.Blocks[0] is not CodeBlock code)
                {
                    throw page.Error(heading.Line, $"'### {heading.Title}' must hold exactly one code block with the syntax line");
                }

                string name = heading.Title.EndsWith(DefaultSetSuffix, StringComparison.Ordinal)
                    ? heading.Title.Substring(0, heading.Title.Length - DefaultSetSuffix.Length)
                    : heading.Title;
                int syntaxLine = code.Line + 1;
                string line = string.Join(" ", code.Code.Split('\n').Select(l => l.Trim()));
                if (!line.StartsWith(command + " ", StringComparison.Ordinal) && line != command)
                {
                    throw page.Error(syntaxLine, $"the syntax of set '{name}' must start with '{command}'");
                }

                var listed = new List<ParameterHelp>();
                foreach (Match match in SyntaxParameter.Matches(line.Substring(command.Length)))
                {
                    string parameterName = match.Groups[1].Value;
                    ParameterHelp parameter = parameters.FirstOrDefault(p => p.Name == parameterName)
                        ?? throw page.Error(syntaxLine, $"the syntax of set '{name}' lists -{parameterName}, which has no '### -{parameterName}' under '## PARAMETERS'");
                    if (!parameter.IsIn(name) || listed.Contains(parameter))
                    {
                        throw page.Error(syntaxLine, $"the syntax of set '{name}' lists -{parameterName}, but its yaml block does not put it in that set once");
                    }

                    listed.Add(parameter);
                }

                ParameterHelp? unlisted = parameters.FirstOrDefault(p => p.IsIn(name) && !listed.Contains(p));
                if (unlisted is not null)
                {
                    throw page.Error(syntaxLine, $"the syntax of set '{name}' leaves out -{unlisted.Name}, whose yaml block puts it in that set");
                }

                sets.Add(new SyntaxSet(name, listed));
            }

            if (sets.Count == 0)
            {
                throw page.Error(section.Line, "'## SYNTAX' has no '### SetName' with a syntax line");
            }

            foreach (ParameterHelp parameter in parameters)
            {
                string? unknown = parameter.ParameterSets.FirstOrDefault(s => s != ParameterHelp.AllSets && sets.All(set => set.Name != s));
                if (unknown is not null)
                {
                    throw page.Error(headingLines[parameter], $"-{parameter.Name} is in parameter set '{unknown}', which '## SYNTAX' does not have");
                }
            }

            return sets;
        }

        /// <summary>"### Example N..." sections: one code block, then the remarks that explain it.</summary>
        private static List<ExampleHelp> Examples(MarkdownDocument page, Section section)
        {
            NoText(page, section);
            var examples = new List<ExampleHelp>();
            foreach (Section heading in Subsections(page, section))
            {
                heading.NoSubheadings(page);
                if (!heading.Title.StartsWith("Example ", StringComparison.Ordinal))
                {
                    throw page.Error(heading.Line, $"unknown heading '### {heading.Title}' under '## EXAMPLES' (expected '### Example N')");
                }

                if (heading.Blocks.Count == 0 || heading.Blocks[0] is not CodeBlock code)
                {
                    throw page.Error(heading.Line, $"'### {heading.Title}' must start with a code block");
                }

                var remarks = heading.Blocks.Skip(1).Select(b => b.Text(page)).ToList();
                if (remarks.Count == 0)
                {
                    throw page.Error(heading.Line, $"'### {heading.Title}' has no remarks after its code");
                }

                examples.Add(new ExampleHelp(heading.Title, code.Code, remarks));
            }

            return examples.Count > 0 ? examples : throw page.Error(section.Line, "'## EXAMPLES' has no '### Example N'");
        }

        /// <summary>INPUTS or OUTPUTS: one "### TypeName" each (### None when there are none), with optional text.</summary>
        private static List<TypeHelp> Types(MarkdownDocument page, Section section)
        {
            NoText(page, section);
            var types = Subsections(page, section).Select(heading => new TypeHelp(heading.Title, heading.Texts(page))).ToList();
            return types.Count > 0 ? types : throw page.Error(section.Line, $"'## {section.Title}' names no type (write '### None' if there is none)");
        }

        private static IEnumerable<LinkHelp> Links(MarkdownDocument page, Section section)
        {
            section.NoSubheadings(page);
            foreach (Block block in section.Blocks)
            {
                Match link = block is Paragraph p ? Link.Match(p.Text) : Match.Empty;
                if (!link.Success)
                {
                    throw page.Error(block.Line, "'## RELATED LINKS' holds only [text](uri) links, one per paragraph");
                }

                yield return new LinkHelp(link.Groups[1].Value, link.Groups[2].Value);
            }
        }

        /// <summary>Sections made of subsections only.</summary>
        private static void NoText(MarkdownDocument page, Section section)
        {
            if (section.Blocks.Count > 0)
            {
                throw page.Error(section.Blocks[0].Line, $"text directly under '## {section.Title}' (it holds ### sections only)");
            }
        }
    }
}

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace DaskPS.HelpCompiler
{
    /// <summary>
    /// DaskPS.HelpCompiler &lt;markdown folder&gt; &lt;output folder&gt;: every about_*.md becomes about_*.help.txt,
    /// every other page a command in the MAML file its front matter names ("external help file").
    /// </summary>
    internal static class Program
    {
        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

        public static int Main(string[] args)
        {
            if (args.Length != 2 || !Directory.Exists(args[0]))
            {
                Console.Error.WriteLine("usage: DaskPS.HelpCompiler <markdown folder> <output folder>");
                return 2;
            }

            List<(string Name, string Content)> outputs;
            try
            {
                outputs = Compile(args[0]);
            }
            catch (HelpFormatException e)
            {
                Console.Error.WriteLine(e.Message);
                return 1;
            }

            Directory.CreateDirectory(args[1]);
            foreach ((string name, string content) in outputs)
            {
                File.WriteAllText(Path.Combine(args[1], name), content, Utf8);
                Console.WriteLine($"help: wrote {Path.Combine(args[1], name)}");
            }

            return 0;
        }

        /// <summary>Every output file's name and content; nothing is written unless every page reads cleanly.</summary>
        public static List<(string Name, string Content)> Compile(string folder)
        {
            var commands = new List<CommandHelp>();
            var outputs = new List<(string, string)>();
            foreach (string path in Directory.GetFiles(folder, "*.md").OrderBy(p => p, StringComparer.Ordinal))
            {
                MarkdownDocument page = MarkdownDocument.Parse(path, File.ReadAllText(path));
                if (AboutTopic.IsAboutPage(path))
                {
                    AboutTopic topic = AboutTopic.Read(page);
                    outputs.Add((topic.Name + ".help.txt", topic.Render()));
                }
                else
                {
                    commands.Add(CommandPage.Read(page));
                }
            }

            foreach (IGrouping<string, CommandHelp> helpFile in commands.GroupBy(c => c.HelpFile))
            {
                var text = new Utf8StringWriter();
                Maml.Write(helpFile).Save(text);
                outputs.Add((helpFile.Key, text.ToString()));
            }

            return outputs;
        }

        /// <summary>XDocument.Save declares the writer's encoding; the files are UTF-8.</summary>
        private sealed class Utf8StringWriter : StringWriter
        {
            public override Encoding Encoding => Utf8;
        }
    }
}

using System;
using System.Collections.Generic;
using System.Linq;
using System.Xml.Linq;

namespace DaskPS.HelpCompiler
{
    /// <summary>Writes commands as MAML, the XML PowerShell reads binary cmdlets' help from (en-US/Assembly.dll-Help.xml).</summary>
    internal static class Maml
    {
        private static readonly XNamespace Msh = "http://msh";
        private static readonly XNamespace MamlNs = "http://schemas.microsoft.com/maml/2004/10";
        private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
        private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

        public static XDocument Write(IEnumerable<CommandHelp> commands) => new XDocument(
            new XDeclaration("1.0", "utf-8", null),
            new XElement(Msh + "helpItems",
                new XAttribute("schema", "maml"),
                new XAttribute(XNamespace.Xmlns + "maml", MamlNs),
                new XAttribute(XNamespace.Xmlns + "command", Command),
                new XAttribute(XNamespace.Xmlns + "dev", Dev),
                commands.Select(CommandElement)));

        private static XElement CommandElement(CommandHelp help)
        {
            int dash = help.Name.IndexOf('-');
            return new XElement(Command + "command",
                new XElement(Command + "details",
                    new XElement(Command + "name", help.Name),
                    new XElement(Command + "verb", dash > 0 ? help.Name.Substring(0, dash) : string.Empty),
                    new XElement(Command + "noun", dash > 0 ? help.Name.Substring(dash + 1) : help.Name),
                    Description(help.Synopsis)),
                Description(help.Description),
                new XElement(Command + "syntax", help.Syntax.Select(set => new XElement(Command + "syntaxItem",
                    new XElement(MamlNs + "name", help.Name),
                    set.Parameters.Select(p => Parameter(p, inSyntax: true))))),
                new XElement(Command + "parameters", help.Parameters.Select(p => Parameter(p, inSyntax: false))),
                new XElement(Command + "inputTypes", help.Inputs.Select(t => TypeElement(Command + "inputType", t))),
                new XElement(Command + "returnValues", help.Outputs.Select(t => TypeElement(Command + "returnValue", t))),
                help.Notes.Count == 0 ? null : new XElement(MamlNs + "alertSet", new XElement(MamlNs + "alert", Paragraphs(help.Notes))),
                new XElement(Command + "examples", help.Examples.Select(Example)),
                new XElement(Command + "relatedLinks", help.Links.Select(Link)));
        }

        private static XElement Parameter(ParameterHelp parameter, bool inSyntax) => new XElement(Command + "parameter",
            new XAttribute("required", Lower(parameter.Required)),
            new XAttribute("variableLength", Lower(parameter.IsArray)),
            new XAttribute("globbing", Lower(parameter.AcceptsWildcards)),
            new XAttribute("pipelineInput", parameter.PipelineInput),
            new XAttribute("position", parameter.Position == "Named" ? "named" : parameter.Position),
            new XAttribute("aliases", parameter.Aliases.Count == 0 ? "none" : string.Join(", ", parameter.Aliases)),
            new XElement(MamlNs + "name", parameter.Name),
            Description(parameter.Description),
            // A switch takes no value: in a syntax line it is written bare, as [-Name].
            inSyntax && parameter.IsSwitch
                ? null
                : new XElement(Command + "parameterValue",
                    new XAttribute("required", Lower(!parameter.IsSwitch)),
                    new XAttribute("variableLength", Lower(parameter.IsArray)),
                    parameter.Type),
            new XElement(Dev + "type", new XElement(MamlNs + "name", parameter.Type), new XElement(MamlNs + "uri")),
            new XElement(Dev + "defaultValue", parameter.DefaultValue));

        private static XElement TypeElement(XName name, TypeHelp type) => new XElement(name,
            new XElement(Dev + "type", new XElement(MamlNs + "name", type.Name), new XElement(MamlNs + "uri")),
            Description(type.Description));

        private static XElement Example(ExampleHelp example) => new XElement(Command + "example",
            new XElement(MamlNs + "title", $"-------------------------- {example.Title} --------------------------"),
            new XElement(Dev + "code", example.Code),
            new XElement(Dev + "remarks", Paragraphs(example.Remarks)));

        /// <summary>
        /// Get-Help prints a link's uri beside its text, so only absolute uris are kept: a relative target such as
        /// Get-DaskResult.md points into the markdown folder, which an installed module does not have.
        /// </summary>
        private static XElement Link(LinkHelp link) => new XElement(MamlNs + "navigationLink",
            new XElement(MamlNs + "linkText", link.Text),
            new XElement(MamlNs + "uri", Uri.TryCreate(link.Uri, UriKind.Absolute, out _) ? link.Uri : string.Empty));

        private static XElement Description(IEnumerable<string> paragraphs) => new XElement(MamlNs + "description", Paragraphs(paragraphs));

        private static IEnumerable<XElement> Paragraphs(IEnumerable<string> paragraphs) =>
            paragraphs.Select(text => new XElement(MamlNs + "para", text));

        private static string Lower(bool value) => value ? "true" : "false";
    }
}

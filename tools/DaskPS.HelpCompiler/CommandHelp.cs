using System;
using System.Collections.Generic;
using System.Linq;

namespace DaskPS.HelpCompiler
{
    internal sealed record CommandHelp(
        string Name,
        string HelpFile,
        IReadOnlyList<string> Synopsis,
        IReadOnlyList<string> Description,
        IReadOnlyList<SyntaxSet> Syntax,
        IReadOnlyList<ParameterHelp> Parameters,
        IReadOnlyList<ExampleHelp> Examples,
        IReadOnlyList<TypeHelp> Inputs,
        IReadOnlyList<TypeHelp> Outputs,
        IReadOnlyList<string> Notes,
        IReadOnlyList<LinkHelp> Links);

    /// <summary>One parameter set as its syntax line lists it: the parameters in the order the page writes them.</summary>
    internal sealed record SyntaxSet(string Name, IReadOnlyList<ParameterHelp> Parameters);

    internal sealed record ParameterHelp(
        string Name,
        IReadOnlyList<string> Description,
        string Type,
        IReadOnlyList<string> ParameterSets,
        IReadOnlyList<string> Aliases,
        bool Required,
        string Position,
        string DefaultValue,
        string PipelineInput,
        bool AcceptsWildcards)
    {
        /// <summary>What a parameter in every set writes as its "Parameter Sets".</summary>
        public const string AllSets = "(All)";

        public bool IsSwitch => Type == "SwitchParameter";

        public bool IsArray => Type.EndsWith("[]", StringComparison.Ordinal);

        public bool IsIn(string set) => ParameterSets.Contains(AllSets) || ParameterSets.Contains(set);
    }

    internal sealed record ExampleHelp(string Title, string Code, IReadOnlyList<string> Remarks);

    internal sealed record TypeHelp(string Name, IReadOnlyList<string> Description);

    internal sealed record LinkHelp(string Text, string Uri);
}

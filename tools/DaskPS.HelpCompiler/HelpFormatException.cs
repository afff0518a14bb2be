using System;

namespace DaskPS.HelpCompiler
{
    /// <summary>A page that does not follow the schema; the message is in MSBuild's canonical error form.</summary>
    internal sealed class HelpFormatException : Exception
    {
        public HelpFormatException(string file, int line, string problem)
            : base($"{file}({line}): error: {problem}")
        {
            File = file;
            Line = line;
            Problem = problem;
        }

        public string File { get; }

        public int Line { get; }

        public string Problem { get; }
    }
}

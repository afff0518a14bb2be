using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Runtime.CompilerServices;
using DaskPS.Client;
using DaskPS.Cmdlets.Values;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Cmdlets.Scripts
{
    /// <summary>
    /// Turns a script block into a task node: <c>$using:</c> values are captured now, from the caller's scope;
    /// the pipeline input becomes <c>$_</c>; DaskNodes among the input and arguments become dependencies.
    /// </summary>
    public static class ScriptTask
    {
        public const string RuntimeName = "powershell";

        /// <summary>Name of the hashtable that holds captured <c>$using:</c> values on the worker.</summary>
        internal const string UsingVariable = "__daskpsUsing";

        // Rewritten once per script block: the tasks of one Submit-DaskTask share its text, however many inputs come.
        private static readonly ConditionalWeakTable<ScriptBlock, WorkerText> Texts = new ConditionalWeakTable<ScriptBlock, WorkerText>();

        public static DaskNode Create(ScriptBlock script, IReadOnlyList<object?> arguments, bool hasInput, object? input, Func<string, object?> variableValue, DaskTaskOptions options, int depth)
        {
            WorkerText text = Texts.GetValue(script, WorkerText.Of);
            var usingValues = new MsgMap(text.UsingNames.Count);
            foreach (string name in text.UsingNames)
            {
                usingValues[name] = PSValueConverter.ToWire(variableValue(name), depth);
            }

            var function = new MsgMap(3)
                .With("script", text.Script)
                .With("using", usingValues)
                .With("hasInput", hasInput);
            var args = new List<object?>(1 + arguments.Count) { hasInput ? PSValueConverter.ToWire(input, depth) : null };
            foreach (object? argument in arguments)
            {
                args.Add(PSValueConverter.ToWire(argument, depth));
            }

            return DaskNode.Task(RuntimeName, function, args, options, "ps");
        }

        /// <summary>
        /// What the worker runs of a script block: its body, every <c>$using:name</c> replaced by a lookup in the values
        /// captured per task, and the names whose values are captured.
        /// </summary>
        private sealed class WorkerText
        {
            private WorkerText(string script, IReadOnlyList<string> usingNames)
            {
                Script = script;
                UsingNames = usingNames;
            }

            public string Script { get; }

            public IReadOnlyList<string> UsingNames { get; }

            public static WorkerText Of(ScriptBlock block)
            {
                var body = (ScriptBlockAst)block.Ast;
                string text = body.Extent.Text;
                int origin = body.Extent.StartOffset;
                var names = new List<string>();
                var usings = body.FindAll(a => a is UsingExpressionAst, searchNestedScriptBlocks: true)
                    .Cast<UsingExpressionAst>()
                    .OrderByDescending(u => u.Extent.StartOffset);
                foreach (UsingExpressionAst usingAst in usings)
                {
                    if (usingAst.SubExpression is not VariableExpressionAst variable)
                    {
                        throw new ArgumentException($"'{usingAst.Extent.Text}': only variables can follow $using: in a Dask task.");
                    }

                    string name = variable.VariablePath.UserPath;
                    if (!names.Contains(name))
                    {
                        names.Add(name);
                    }

                    int start = usingAst.Extent.StartOffset - origin;
                    string lookup = $"${UsingVariable}['{name.Replace("'", "''")}']";
                    // Inside "…" only a subexpression expands; elsewhere the plain lookup keeps the value as it is.
                    if (usingAst.Parent is ExpandableStringExpressionAst)
                    {
                        lookup = $"$({lookup})";
                    }

                    text = text.Substring(0, start) + lookup + text.Substring(start + usingAst.Extent.Text.Length);
                }

                // A script block literal's extent includes its braces; the task runs the body.
                if (body.Parent is ScriptBlockExpressionAst && text.StartsWith("{", StringComparison.Ordinal) && text.EndsWith("}", StringComparison.Ordinal))
                {
                    text = text.Substring(1, text.Length - 2);
                }

                return new WorkerText(text, names);
            }
        }
    }
}

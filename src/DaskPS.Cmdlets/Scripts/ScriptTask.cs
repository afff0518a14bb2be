using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
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

        public static DaskNode Create(ScriptBlock script, IReadOnlyList<object?> arguments, bool hasInput, object? input, Func<string, object?> variableValue, DaskTaskOptions options, int depth)
        {
            (string text, MsgMap usingValues) = CaptureUsing(script, variableValue, depth);
            var function = new MsgMap(3)
                .With("script", text)
                .With("using", usingValues)
                .With("hasInput", hasInput);
            var args = new List<object?> { hasInput ? PSValueConverter.ToWire(input, depth) : null };
            args.AddRange(arguments.Select(a => PSValueConverter.ToWire(a, depth)));
            return DaskNode.Task(RuntimeName, function, args, options, "ps");
        }

        /// <summary>The script text with every <c>$using:name</c> replaced by a lookup in the captured values.</summary>
        internal static (string Text, MsgMap Values) CaptureUsing(ScriptBlock script, Func<string, object?> variableValue, int depth)
        {
            var body = (ScriptBlockAst)script.Ast;
            string text = body.Extent.Text;
            int origin = body.Extent.StartOffset;
            var values = new MsgMap();
            var usings = body.FindAll(a => a is UsingExpressionAst, searchNestedScriptBlocks: true)
                .Cast<UsingExpressionAst>()
                .OrderByDescending(u => u.Extent.StartOffset)
                .ToList();
            foreach (UsingExpressionAst usingAst in usings)
            {
                if (usingAst.SubExpression is not VariableExpressionAst variable)
                {
                    throw new ArgumentException($"'{usingAst.Extent.Text}': only variables can follow $using: in a Dask task.");
                }

                string name = variable.VariablePath.UserPath;
                values[name] = PSValueConverter.ToWire(variableValue(name), depth);
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

            return (text, values);
        }
    }
}

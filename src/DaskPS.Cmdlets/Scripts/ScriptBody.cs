using System;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace DaskPS.Cmdlets.Scripts
{
    /// <summary>
    /// A task's script block, parsed in one runspace, and whether it can run inline: invoked as a script block from the
    /// worker loop, rather than as a command of its own (<c>&amp; $body</c>). A command is a pipeline with a command
    /// processor, parameter binding and, on Linux, two command-lifecycle messages PowerShell composes and then drops;
    /// it costs several times the inline call and is a third of what a task allocates on a worker.
    /// </summary>
    /// <remarks>
    /// Inline, a body's output is collected until it returns and it has no invocation of its own, so the bodies whose
    /// behaviour would show it still run as a command: advanced ones (attributes on the param block or its parameters,
    /// hence <c>$PSCmdlet</c>), named blocks (begin, process, end, clean), ones that read <c>$MyInvocation</c> or
    /// <c>$PSCmdlet</c>, and ones that can leave early keeping what they wrote: exit, trap, and a break or continue
    /// that is labelled or not inside a loop or switch of the body's own.
    /// </remarks>
    internal sealed class ScriptBody
    {
        public ScriptBody(ScriptBlock block)
        {
            Block = block;
            Inline = CanRunInline((ScriptBlockAst)block.Ast);
        }

        public ScriptBlock Block { get; }

        public bool Inline { get; }

        private static bool CanRunInline(ScriptBlockAst body) =>
            body.BeginBlock is null && body.ProcessBlock is null && body.DynamicParamBlock is null && body.EndBlock is { Unnamed: true }
            && !IsAdvanced(body.ParamBlock)
            && body.Find(NeedsOwnCommand, searchNestedScriptBlocks: true) is null;

        private static bool IsAdvanced(ParamBlockAst? parameters) =>
            parameters is not null
            && (parameters.Attributes.Count > 0 || parameters.Parameters.Any(p => p.Attributes.OfType<AttributeAst>().Any()));

        private static bool NeedsOwnCommand(Ast node) => node switch
        {
            ExitStatementAst or TrapStatementAst => true,
            BreakStatementAst b => b.Label is not null || !InsideLoop(b),
            ContinueStatementAst c => c.Label is not null || !InsideLoop(c),
            VariableExpressionAst v => IsInvocationVariable(v.VariablePath.UserPath),
            _ => false,
        };

        // Loops and switch are the labelled statements; a script block in between (ForEach-Object's, say) is a boundary.
        private static bool InsideLoop(Ast node)
        {
            for (Ast? parent = node.Parent; parent is not null and not ScriptBlockAst; parent = parent.Parent)
            {
                if (parent is LabeledStatementAst)
                {
                    return true;
                }
            }

            return false;
        }

        // The name as written, scope (script:, local: ...) and all.
        private static bool IsInvocationVariable(string path)
        {
            string name = path.Substring(path.LastIndexOf(':') + 1);
            return name.Equals("MyInvocation", StringComparison.OrdinalIgnoreCase) || name.Equals("PSCmdlet", StringComparison.OrdinalIgnoreCase);
        }
    }
}

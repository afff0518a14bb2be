namespace DaskPS.HelpCompiler.Tests
{
    /// <summary>Pages that use every part of the schema, for the tests to convert and to break.</summary>
    internal static class SamplePages
    {
        public const string CommandFile = "Get-Widget.md";

        public static readonly string Command = Lf("""
            ---
            external help file: Widgets.dll-Help.xml
            Module Name: Widgets
            online version: https://example.org/get-widget
            schema: 2.0.0
            ---

            # Get-Widget

            ## SYNOPSIS
            Gets widgets by name or id.

            ## SYNTAX

            ### ByName (Default)
            ```
            Get-Widget [-Name] <String[]> [-Tag <String>] [-Force] [<CommonParameters>]
            ```

            ### ById
            ```
            Get-Widget -Id <Int32> [-Force] [<CommonParameters>]
            ```

            ## DESCRIPTION
            Looks the widgets up
            in the store.

            Writes one object per widget.

            ## EXAMPLES

            ### Example 1
            ```powershell
            Get-Widget gear*
            ```

            Gets every widget whose name starts with gear.

            ### Example 2: by id
            ```powershell
            $widget = Get-Widget -Id 7 -Force
            $widget.Name
            ```

            Gets widget 7,
            even when it is hidden.

            Then shows its name.

            ## PARAMETERS

            ### -Name
            Names of the widgets; wildcards are allowed.

            ```yaml
            Type: String[]
            Parameter Sets: ByName
            Aliases: WidgetName, N

            Required: True
            Position: 0
            Default value: None
            Accept pipeline input: True (ByPropertyName, ByValue)
            Accept wildcard characters: True
            ```

            ### -Tag
            Only widgets with this tag.

            ```yaml
            Type: String
            Parameter Sets: ByName
            Aliases:

            Required: False
            Position: Named
            Default value: Untagged
            Accept pipeline input: False
            Accept wildcard characters: False
            ```

            ### -Id
            The widget's number.

            ```yaml
            Type: Int32
            Parameter Sets: ById
            Aliases:

            Required: True
            Position: Named
            Default value: None
            Accept pipeline input: True (ByPropertyName)
            Accept wildcard characters: False
            ```

            ### -Force
            Also gets hidden widgets.

            ```yaml
            Type: SwitchParameter
            Parameter Sets: (All)
            Aliases:

            Required: False
            Position: Named
            Default value: False
            Accept pipeline input: False
            Accept wildcard characters: False
            ```

            ### CommonParameters
            This cmdlet supports the common parameters.

            ## INPUTS

            ### System.String
            Names, by value or by property name.

            ### System.Int32

            ## OUTPUTS

            ### Widgets.Widget

            ## NOTES
            Hidden widgets need -Force.

            ## RELATED LINKS

            [Set-Widget](Set-Widget.md)

            [Widget store](https://example.org/store)
            """);

        public const string AboutFile = "about_Widgets.md";

        public static readonly string About = Lf("""
            ---
            schema: 2.0.0
            ---

            # about_Widgets

            ## about_Widgets

            ## SHORT DESCRIPTION
            Explains widgets.

            ## LONG DESCRIPTION
            abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd

            Widgets are small.

            ## Widget stores
            - A store hands out widgets by name, by id or by tag, whichever the caller finds easiest to use.
            - Stores are per user.

            ```powershell
            Get-Widget -Id 7
            ```
            """);

        /// <summary>The tests cut pages at "\n"; a checkout with CRLF line ends must not change them.</summary>
        private static string Lf(string text) => text.Replace("\r\n", "\n");
    }
}

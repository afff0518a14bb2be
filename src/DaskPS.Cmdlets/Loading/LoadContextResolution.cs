using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace DaskPS.Cmdlets.Loading
{
    /// <summary>
    /// PowerShell 7: DaskPS.Core loads in the module's own context, and everything it needs with it. The default
    /// context, where PowerShell loaded the cmdlets, is taught only the cmdlets' own references that the folder holds
    /// (DaskPS.Core, and what they share with it if the platform lacks it); other modules' requests are untouched.
    /// </summary>
    internal static class LoadContextResolution
    {
        // Not inlined, and no load-context type in its signature: compiling the caller on .NET Framework, which has no
        // AssemblyLoadContext, must not load one.
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static void Install(string directory)
        {
            var context = new DependencyLoadContext(directory);
            var served = new HashSet<string>(
                typeof(LoadContextResolution).Assembly.GetReferencedAssemblies()
                    .Select(reference => reference.Name!)
                    .Where(name => File.Exists(Path.Combine(directory, name + ".dll"))),
                StringComparer.OrdinalIgnoreCase);
            AssemblyLoadContext.Default.Resolving += (_, name) => served.Contains(name.Name!) ? context.LoadFromAssemblyName(name) : null;
        }
    }
}

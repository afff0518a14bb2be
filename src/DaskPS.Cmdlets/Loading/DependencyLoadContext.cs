using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;

namespace DaskPS.Cmdlets.Loading
{
    /// <summary>
    /// The module's load context: the assemblies of the Dependencies folder, whatever versions of them other modules
    /// loaded. What the platform (.NET and the PowerShell host) provides at the version asked for is shared instead, as
    /// the default context would: the folder carries System.Memory, Microsoft.Bcl.AsyncInterfaces and the like for
    /// .NET Framework, and copies of them here would make Span, ValueTask and IAsyncDisposable types of their own that
    /// the cmdlets could not exchange with the core. No other module can bring other versions of those into the
    /// process either: the default context takes them from the platform.
    /// </summary>
    internal sealed class DependencyLoadContext : AssemblyLoadContext
    {
        private readonly string _directory;
        private readonly Dictionary<string, string> _platform = PlatformAssemblies();

        public DependencyLoadContext(string directory)
        {
            _directory = directory;
        }

        protected override Assembly? Load(AssemblyName name)
        {
            string path = Path.Combine(_directory, name.Name + ".dll");

            // Null hands the request to the default context, which binds everything else (netstandard,
            // System.Management.Automation) as it always does.
            return File.Exists(path) && !PlatformProvides(name) ? LoadFromAssemblyPath(path) : null;
        }

        private bool PlatformProvides(AssemblyName name) =>
            _platform.TryGetValue(name.Name!, out string? path) && AssemblyName.GetAssemblyName(path).Version >= name.Version;

        /// <summary>The assemblies the default context binds by itself, by simple name (the host may list one twice).</summary>
        private static Dictionary<string, string> PlatformAssemblies() =>
            ((AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string) ?? string.Empty)
                .Split(new[] { Path.PathSeparator }, StringSplitOptions.RemoveEmptyEntries)
                .GroupBy(path => Path.GetFileNameWithoutExtension(path), StringComparer.OrdinalIgnoreCase)
                .ToDictionary(paths => paths.Key, paths => paths.First(), StringComparer.OrdinalIgnoreCase);
    }
}

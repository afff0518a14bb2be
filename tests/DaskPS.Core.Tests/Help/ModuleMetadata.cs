using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;

namespace DaskPS.Core.Tests.Help
{
    /// <summary>
    /// The cmdlets of the built module (out/DaskPS/DaskPS.dll) and what they depend on (out/DaskPS/Dependencies)
    /// read as metadata, with the PowerShell Standard reference assembly: no PowerShell engine is needed or loaded.
    /// </summary>
    internal sealed class ModuleMetadata : IDisposable
    {
        private readonly MetadataLoadContext _context;

        public ModuleMetadata()
        {
            RepoRoot = FindRepoRoot();
            ModuleDirectory = Path.Combine(RepoRoot, "out", "DaskPS");
            DependencyDirectory = Path.Combine(ModuleDirectory, "Dependencies");
            string powerShell = typeof(ModuleMetadata).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .Single(a => a.Key == "PowerShellStandardReference").Value!;
            var paths = Directory.GetFiles(ModuleDirectory, "*.dll")
                .Concat(Directory.GetFiles(DependencyDirectory, "*.dll"))
                .Concat(Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll"))
                .Append(powerShell);
            _context = new MetadataLoadContext(new PathAssemblyResolver(paths));
            Cmdlets = _context.LoadFromAssemblyPath(Path.Combine(ModuleDirectory, "DaskPS.dll"));
            Core = _context.LoadFromAssemblyPath(Path.Combine(DependencyDirectory, "DaskPS.Core.dll"));
        }

        public string RepoRoot { get; }

        /// <summary>out/DaskPS, where PowerShell loads the cmdlets from.</summary>
        public string ModuleDirectory { get; }

        /// <summary>out/DaskPS/Dependencies, the assemblies the module loads itself.</summary>
        public string DependencyDirectory { get; }

        public Assembly Cmdlets { get; }

        public Assembly Core { get; }

        /// <summary>Verb-Noun to the cmdlet type.</summary>
        public IReadOnlyDictionary<string, Type> CmdletTypes => Cmdlets.GetTypes()
            .Select(t => (Type: t, Attribute: t.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType.Name == "CmdletAttribute")))
            .Where(p => p.Attribute is not null)
            .ToDictionary(p => $"{p.Attribute!.ConstructorArguments[0].Value}-{p.Attribute.ConstructorArguments[1].Value}", p => p.Type);

        public static bool SupportsShouldProcess(Type cmdlet) =>
            cmdlet.GetCustomAttributesData().First(a => a.AttributeType.Name == "CmdletAttribute")
                .NamedArguments.Any(n => n.MemberName == "SupportsShouldProcess" && Equals(n.TypedValue.Value, true));

        public static IEnumerable<string> Parameters(Type cmdlet) => cmdlet.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttributesData().Any(a => a.AttributeType.Name == "ParameterAttribute"))
            .Select(p => p.Name);

        public void Dispose() => _context.Dispose();

        private static string FindRepoRoot()
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "DaskPS.slnx")))
                {
                    return directory.FullName;
                }
            }

            throw new InvalidOperationException("The repository root (with DaskPS.slnx) is not above the test directory.");
        }
    }
}

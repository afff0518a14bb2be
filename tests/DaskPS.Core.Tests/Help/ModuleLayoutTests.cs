using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;

namespace DaskPS.Core.Tests.Help
{
    /// <summary>
    /// The built module keeps its dependencies loadable in a context of their own: the rules the cmdlet assembly must
    /// follow for that (src/DaskPS.Cmdlets/Loading), checked on its metadata.
    /// </summary>
    public sealed class ModuleLayoutTests : IDisposable
    {
        private readonly ModuleMetadata _module = new ModuleMetadata();

        public void Dispose() => _module.Dispose();

        /// <summary>Any other assembly next to the cmdlets would be found there by the usual binding rules.</summary>
        [Fact]
        public void OnlyTheCmdletsSitBesideTheManifestAndTheirDependenciesInTheSubfolder()
        {
            Assert.Equal(new[] { "DaskPS.dll" }, Directory.GetFiles(_module.ModuleDirectory, "*.dll").Select(Path.GetFileName));
            var dependencies = Directory.GetFiles(_module.DependencyDirectory, "*.dll").Select(Path.GetFileNameWithoutExtension).ToList();
            Assert.Contains("DaskPS.Core", dependencies);
            Assert.Contains("MessagePack", dependencies);
        }

        /// <summary>
        /// The cmdlets bind in the default context, where another module's MessagePack may already be: of the
        /// module's libraries they use DaskPS.Core alone, besides .NET's own (which both contexts share).
        /// </summary>
        [Fact]
        public void TheCmdletsReferenceNoLibraryBehindTheCore()
        {
            var dependencies = Directory.GetFiles(_module.DependencyDirectory, "*.dll").Select(Path.GetFileNameWithoutExtension).ToHashSet();
            var libraries = _module.Cmdlets.GetReferencedAssemblies().Select(a => a.Name!)
                .Where(name => dependencies.Contains(name) && name != "DaskPS.Core" && !IsDotNetOwn(name));

            Assert.Empty(libraries);
        }

        /// <summary>PowerShell lists the public types before the module can load DaskPS.Core.</summary>
        [Fact]
        public void NoPublicCmdletTypeDerivesFromOrImplementsACoreType()
        {
            foreach (Type type in _module.Cmdlets.GetExportedTypes())
            {
                var bases = new List<Type>();
                for (Type? current = type.BaseType; current is not null; current = current.BaseType)
                {
                    bases.Add(current);
                }

                var fromCore = bases.Concat(type.GetInterfaces()).SelectMany(WithTypeArguments).Where(t => t.Assembly == _module.Core);
                Assert.True(!fromCore.Any(), $"{type.FullName} needs {string.Join(", ", fromCore)} to load");
            }
        }

        /// <summary>
        /// PowerShell resolves [DaskPS.Client.DaskNode] only in the default context, through the cmdlet assembly's
        /// forwarders: every core type that users meet has one, and no other.
        /// </summary>
        [Fact]
        public void TheCoreTypesUsersMeetAreForwardedByTheCmdletAssembly()
        {
            var met = _module.Cmdlets.GetExportedTypes()
                .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.PropertyType)
                    .Concat(t.GetCustomAttributesData().Where(a => a.AttributeType.Name == "OutputTypeAttribute")
                        .SelectMany(a => a.ConstructorArguments).SelectMany(OutputTypes)))
                .Select(ElementType)
                .Concat(_module.Core.GetExportedTypes().Where(IsException))
                .Where(t => t.Assembly == _module.Core)
                .Select(t => t.FullName!)
                .Distinct()
                .OrderBy(n => n, StringComparer.Ordinal);

            var forwarded = _module.Cmdlets.GetForwardedTypes().Select(t => t.FullName!).OrderBy(n => n, StringComparer.Ordinal);

            Assert.Equal(met, forwarded);
        }

        private static bool IsDotNetOwn(string name) => name.StartsWith("System.", StringComparison.Ordinal) || name.StartsWith("Microsoft.Bcl.", StringComparison.Ordinal);

        private static IEnumerable<Type> WithTypeArguments(Type type) => type.IsGenericType
            ? new[] { type }.Concat(type.GetGenericArguments().SelectMany(WithTypeArguments))
            : new[] { type };

        private static Type ElementType(Type type) => type.HasElementType ? ElementType(type.GetElementType()!) : type;

        private static bool IsException(Type type)
        {
            for (Type? current = type; current is not null; current = current.BaseType)
            {
                if (current.FullName == "System.Exception")
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>[OutputType] takes one type or an array of them.</summary>
        private static IEnumerable<Type> OutputTypes(CustomAttributeTypedArgument argument) => argument.Value switch
        {
            Type type => new[] { type },
            IEnumerable<CustomAttributeTypedArgument> types => types.Select(t => t.Value).OfType<Type>(),
            _ => Enumerable.Empty<Type>(),
        };
    }
}

using System;
using System.IO;
using System.Management.Automation;
using System.Runtime.InteropServices;

namespace DaskPS.Cmdlets.Loading
{
    /// <summary>
    /// Makes DaskPS.Core and the libraries it needs loadable from the module's Dependencies folder. PowerShell calls
    /// it on import, after listing this assembly's public types and before it reads any cmdlet, so no public type here
    /// may derive from or implement a DaskPS.Core type.
    /// </summary>
    /// <remarks>
    /// The cmdlets stay in this assembly, which PowerShell loads as usual: they speak only DaskPS.Core's API, never a
    /// type of MessagePack or another library behind it, so DaskPS.Core is all that the default context must be taught
    /// to find, and the help, views and jobs keep the assembly they always had. Moving the cmdlets into the isolated
    /// context behind a thin shim would isolate nothing more.
    /// </remarks>
    public sealed class DependencyResolution : IModuleAssemblyInitializer
    {
        private const string FolderName = "Dependencies";

        private static readonly object Gate = new object();
        private static bool s_installed;

        public void OnImport()
        {
            // Every import calls this (again with -Force, and once per runspace); resolution is set up once per process
            // and never taken down: what it loaded cannot be unloaded, and worker jobs may outlive the module.
            lock (Gate)
            {
                if (s_installed)
                {
                    return;
                }

                string directory = Path.Combine(Path.GetDirectoryName(typeof(DependencyResolution).Assembly.Location)!, FolderName);
                if (RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal))
                {
                    AppDomainResolution.Install(directory);
                }
                else
                {
                    LoadContextResolution.Install(directory);
                }

                s_installed = true;
            }
        }
    }
}

using System;
using System.IO;
using System.Reflection;

namespace DaskPS.Cmdlets.Loading
{
    /// <summary>
    /// Windows PowerShell 5.1: .NET Framework has one context per process, so the dependencies bind by its usual
    /// rules, and what they cannot find (first DaskPS.Core, then versions other than the ones referenced) is loaded
    /// from the Dependencies folder. Loaded from there, their own references are looked for there too.
    /// </summary>
    internal static class AppDomainResolution
    {
        public static void Install(string directory) =>
            AppDomain.CurrentDomain.AssemblyResolve += (_, request) =>
            {
                string path = Path.Combine(directory, new AssemblyName(request.Name).Name + ".dll");
                return File.Exists(path) ? Assembly.LoadFrom(path) : null;
            };
    }
}

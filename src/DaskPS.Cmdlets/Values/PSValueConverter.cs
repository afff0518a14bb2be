using System.Management.Automation;
using DaskPS.Client;
using DaskPS.Tasks;

namespace DaskPS.Cmdlets.Values
{
    /// <summary>
    /// PowerShell values on the wire: plain values as msgpack (<see cref="PlainValues"/>), everything else as CliXml
    /// of an explicit depth, which comes back as Deserialized.* objects, exactly like Start-Job.
    /// </summary>
    public static class PSValueConverter
    {
        public const int DefaultDepth = 2;

        public static object? ToWire(object? value, int depth = DefaultDepth) =>
            PlainValues.ToWire(value, Unwrap, other => new CliXmlValue(PSSerializer.Serialize(other, depth)));

        /// <summary>
        /// A value for a dask queue or variable, which every dask client must read: plain msgpack or a node, never CliXml
        /// (the core refuses anything else, naming its type).
        /// </summary>
        public static object? ToPlain(object? value) =>
            PlainValues.ToWire(value, Unwrap, other => other is PSObject ps ? ps.BaseObject : other);

        public static object? FromWire(object? value) =>
            PlainValues.FromWire(value, xml => PSSerializer.Deserialize(xml.Xml));

        /// <summary>A PSObject stands for its base object, unless it is a PSCustomObject (which only CliXml carries).</summary>
        private static object Unwrap(object value) =>
            value is PSObject ps && !(ps.BaseObject is PSCustomObject) ? ps.BaseObject : value;
    }
}

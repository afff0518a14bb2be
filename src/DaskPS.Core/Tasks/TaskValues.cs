using System;
using System.Collections.Generic;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Tasks
{
    /// <summary>An object only PowerShell can rebuild, carried as CliXml text (like Start-Job's results).</summary>
    public sealed class CliXmlValue
    {
        public CliXmlValue(string xml)
        {
            Xml = xml ?? throw new ArgumentNullException(nameof(xml));
        }

        public string Xml { get; }

        public override string ToString() => $"<CliXml, {Xml.Length} chars>";
    }

    /// <summary>
    /// A task's output together with the messages it wrote (warnings, verbose, information, non-terminating
    /// errors). Only tasks that wrote messages produce one; dependents receive the output alone.
    /// </summary>
    public sealed class TaskOutput
    {
        public TaskOutput(object? output, IReadOnlyDictionary<string, IReadOnlyList<string>> streams)
        {
            Output = output;
            Streams = streams;
        }

        public object? Output { get; }

        /// <summary>Stream name (error, warning, verbose, information, debug) to its messages, in order.</summary>
        public IReadOnlyDictionary<string, IReadOnlyList<string>> Streams { get; }
    }

    /// <summary>
    /// DaskPS's own value shapes inside msgpack payloads, as ext types so they never collide with user data
    /// (Python clients see them as msgpack ExtType values).
    /// </summary>
    public static class TaskValues
    {
        public const sbyte CliXmlExtType = 2;
        public const sbyte TaskOutputExtType = 3;

        /// <summary>Converts CliXmlValue and TaskOutput (at any depth) into their ext form, for writing.</summary>
        public static object? ToWire(object? value)
        {
            switch (value)
            {
                case CliXmlValue xml:
                    return new MsgPackExtension(CliXmlExtType, System.Text.Encoding.UTF8.GetBytes(xml.Xml));
                case TaskOutput output:
                    var streams = new MsgMap(output.Streams.Count);
                    foreach (KeyValuePair<string, IReadOnlyList<string>> pair in output.Streams)
                    {
                        streams[pair.Key] = ToArray(pair.Value);
                    }

                    byte[] body = MsgPackSerializer.Serialize(new MsgMap(2).With("output", ToWire(output.Output)).With("streams", streams));
                    return new MsgPackExtension(TaskOutputExtType, body);
                case object?[] array:
                    var copy = new object?[array.Length];
                    for (int i = 0; i < array.Length; i++)
                    {
                        copy[i] = ToWire(array[i]);
                    }

                    return copy;
                default:
                    return value;
            }
        }

        /// <summary>Turns the ext forms of a decoded value back into CliXmlValue and TaskOutput.</summary>
        public static object? FromWire(object? value)
        {
            switch (value)
            {
                case MsgPackExtension ext when ext.TypeCode == CliXmlExtType:
                    return new CliXmlValue(System.Text.Encoding.UTF8.GetString(ext.Data));
                case MsgPackExtension ext when ext.TypeCode == TaskOutputExtType:
                    var body = MsgPackSerializer.Deserialize(ext.Data) as MsgMap ?? new MsgMap();
                    var streams = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
                    foreach (KeyValuePair<object, object?> pair in body.Get("streams") as MsgMap ?? new MsgMap())
                    {
                        var lines = new List<string>();
                        foreach (object? line in pair.Value as object?[] ?? Array.Empty<object?>())
                        {
                            lines.Add(line?.ToString() ?? string.Empty);
                        }

                        streams[pair.Key.ToString() ?? string.Empty] = lines;
                    }

                    return new TaskOutput(FromWire(body.Get("output")), streams);
                case object?[] array:
                    for (int i = 0; i < array.Length; i++)
                    {
                        array[i] = FromWire(array[i]);
                    }

                    return array;
                case MsgMap map:
                    foreach (object key in new List<object>(map.Keys))
                    {
                        map[key] = FromWire(map[key]);
                    }

                    return map;
                default:
                    return value;
            }
        }

        /// <summary>What a dependent task receives for a dependency's value: the output without the messages.</summary>
        public static object? AsArgument(object? value) => value is TaskOutput output ? output.Output : value;

        private static object?[] ToArray(IReadOnlyList<string> lines)
        {
            var array = new object?[lines.Count];
            for (int i = 0; i < array.Length; i++)
            {
                array[i] = lines[i];
            }

            return array;
        }
    }
}

using System;
using System.Collections.Generic;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;
using MessagePack;

namespace DaskPS.Tasks
{
    /// <summary>A dependency in a task's arguments: the worker puts the value of <see cref="Key"/> in its place.</summary>
    public sealed class TaskRef
    {
        public TaskRef(object key)
        {
            Key = key ?? throw new ArgumentNullException(nameof(key));
        }

        /// <summary>A dask key: a string, or (2024.12) a tuple of strings and integers.</summary>
        public object Key { get; }

        public override string ToString() => $"ref({Key})";
    }

    /// <summary>
    /// What a DaskPS worker runs: a runtime name (dotnet, powershell), that runtime's function description,
    /// and arguments in which <see cref="TaskRef"/>s stand for dependencies. Travels as an opaque msgpack
    /// payload the scheduler passes through untouched; references are a msgpack ext inside it.
    /// </summary>
    public sealed class TaskSpec
    {
        /// <summary>The ext type code of a dependency reference inside a task payload (msgpack of the key).</summary>
        public const sbyte RefExtType = 1;

        public const long FormatVersion = 1;

        private SerializedPayload? _payload;

        public TaskSpec(string runtime, MsgMap function, IReadOnlyList<object?> args, MsgMap? kwargs = null)
        {
            Runtime = runtime ?? throw new ArgumentNullException(nameof(runtime));
            Function = function ?? throw new ArgumentNullException(nameof(function));
            Args = args ?? Array.Empty<object?>();
            Kwargs = kwargs;
        }

        public string Runtime { get; }

        public MsgMap Function { get; }

        public IReadOnlyList<object?> Args { get; }

        public MsgMap? Kwargs { get; }

        /// <summary>The keys this task depends on, each once, in argument order.</summary>
        public IReadOnlyList<object> DependencyKeys()
        {
            var keys = new List<object>();
            var seen = new HashSet<object>(MsgKeyComparer.Instance);
            Visit(Args, r =>
            {
                if (seen.Add(r.Key))
                {
                    keys.Add(r.Key);
                }
            });
            Visit(Kwargs, r =>
            {
                if (seen.Add(r.Key))
                {
                    keys.Add(r.Key);
                }
            });
            return keys;
        }

        /// <summary>
        /// The encoded task, made once: a node's key is a hash of this encoding, and the scheduler is sent the same one.
        /// </summary>
        public SerializedPayload ToPayload() => _payload ??= Encode();

        private SerializedPayload Encode()
        {
            var body = new MsgMap(5)
                .With("daskps", FormatVersion)
                .With("runtime", Runtime)
                .With("function", Function)
                .With("args", Args)
                .With("kwargs", Kwargs);
            return new SerializedPayload(
                new MsgMap(1).With("serializer", "msgpack"),
                new ReadOnlyMemory<byte>[] { MsgPackSerializer.Serialize(body, RefWriter.Instance) });
        }

        /// <summary>Reads a task payload; anything that is not a DaskPS task (e.g. a Python function) is refused with the reason.</summary>
        public static TaskSpec FromPayload(object? runSpec)
        {
            object? decoded = runSpec is SerializedPayload payload ? DaskSerialization.FromPayload(payload) : runSpec;
            if (decoded is not MsgMap body || body.Get("daskps") is not long version)
            {
                throw new TaskNotRunnableException(runSpec is null
                    ? "The task carries no DaskPS task payload (it was probably submitted by a Python client)."
                    : $"The task payload is not a DaskPS task ({Describe(decoded)}); DaskPS workers run only DaskPS tasks.");
            }

            if (version != FormatVersion)
            {
                throw new TaskNotRunnableException($"The task payload has format {version}; this worker reads format {FormatVersion}.");
            }

            if (body.Get("runtime") is not string runtime || body.Get("function") is not MsgMap function)
            {
                throw new TaskNotRunnableException("The task payload has no 'runtime' or 'function'.");
            }

            object?[] args = body.Get("args") as object?[] ?? Array.Empty<object?>();
            return new TaskSpec(runtime, function, (object?[])ToRefs(args)!, ToRefs(body.Get("kwargs")) as MsgMap);
        }

        /// <summary>A copy of <paramref name="value"/> with every <see cref="TaskRef"/> replaced by its dependency's value.</summary>
        public static object? Substitute(object? value, Func<object, object?> valueOf)
        {
            switch (value)
            {
                case TaskRef reference:
                    return valueOf(reference.Key);
                case object?[] array:
                    var copy = new object?[array.Length];
                    for (int i = 0; i < array.Length; i++)
                    {
                        copy[i] = Substitute(array[i], valueOf);
                    }

                    return copy;
                case MsgMap map:
                    var mapCopy = new MsgMap(map.Count);
                    foreach (KeyValuePair<object, object?> entry in map)
                    {
                        mapCopy[entry.Key] = Substitute(entry.Value, valueOf);
                    }

                    return mapCopy;
                default:
                    return value;
            }
        }

        private static object? ToRefs(object? value)
        {
            switch (value)
            {
                case MsgPackExtension ext when ext.TypeCode == RefExtType:
                    return new TaskRef(MsgPackSerializer.Deserialize(ext.Data) ?? throw new DaskProtocolException("A task reference holds a nil key."));
                case MsgPackExtension ext:
                    return TaskValues.FromWire(ext);
                case object?[] array:
                    for (int i = 0; i < array.Length; i++)
                    {
                        array[i] = ToRefs(array[i]);
                    }

                    return array;
                case MsgMap map:
                    foreach (object key in new List<object>(map.Keys))
                    {
                        map[key] = ToRefs(map[key]);
                    }

                    return map;
                default:
                    return value;
            }
        }

        private static void Visit(object? value, Action<TaskRef> found)
        {
            switch (value)
            {
                case TaskRef reference:
                    found(reference);
                    break;
                case System.Collections.IDictionary map:
                    foreach (object? item in map.Values)
                    {
                        Visit(item, found);
                    }

                    break;
                case System.Collections.IEnumerable items when value is not string && value is not byte[]:
                    foreach (object? item in items)
                    {
                        Visit(item, found);
                    }

                    break;
            }
        }

        private static string Describe(object? value) => value switch
        {
            null => "nil",
            OpaqueValue opaque => opaque.Description,
            byte[] bytes => $"{bytes.Length} raw bytes",
            _ => value.GetType().Name,
        };

        /// <summary>Writes <see cref="TaskRef"/> as the reference ext, and DaskPS's own values as theirs.</summary>
        private sealed class RefWriter : IMsgPackConverter
        {
            public static readonly RefWriter Instance = new RefWriter();

            public bool TryWrite(ref MessagePackWriter writer, object value, int depthLeft)
            {
                switch (value)
                {
                    case TaskRef reference:
                        MsgPackSerializer.Write(ref writer, new MsgPackExtension(RefExtType, MsgPackSerializer.Serialize(reference.Key)), null, depthLeft);
                        return true;
                    case CliXmlValue or TaskOutput when TaskValues.ToWire(value) is MsgPackExtension ext:
                        MsgPackSerializer.Write(ref writer, ext, null, depthLeft);
                        return true;
                    default:
                        return false;
                }
            }

            public object? ConvertMap(MsgMap map) => map;
        }
    }

    /// <summary>A task this worker cannot run; reported to the scheduler as task-erred, the worker carries on.</summary>
    public sealed class TaskNotRunnableException : DaskException
    {
        public TaskNotRunnableException(string message) : base(message) { }
    }
}

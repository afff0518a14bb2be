using System;
using System.Collections.Generic;

namespace DaskPS.Protocol.Pickle
{
    /// <summary>A reference to a module-level Python name; never imported or resolved here.</summary>
    public sealed class PickleGlobal : IEquatable<PickleGlobal>
    {
        public PickleGlobal(string module, string name)
        {
            Module = module;
            Name = name;
        }

        public string Module { get; }

        public string Name { get; }

        public bool Equals(PickleGlobal? other) => other is not null && other.Module == Module && other.Name == Name;

        public override bool Equals(object? obj) => Equals(obj as PickleGlobal);

        public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Module) ^ StringComparer.Ordinal.GetHashCode(Name);

        public override string ToString() => $"{Module}.{Name}";
    }

    /// <summary>
    /// An object as a pickle describes it: <c>cls.__new__(cls, *Args)</c> (NEWOBJ) then its state (BUILD).
    /// Nothing is instantiated; for dask's slotted classes the state is <c>(None, {slot: value})</c>.
    /// </summary>
    public sealed class PickleObject
    {
        public PickleObject(object? type, object? args, object? state = null)
        {
            Type = type;
            Args = args;
            State = state;
        }

        public object? Type { get; }

        public object? Args { get; }

        public object? State { get; set; }

        /// <summary>The attribute or slot values of the state: the dict, or the second item of a (dict, slots) pair.</summary>
        public IDictionary<object, object?>? Attributes => State switch
        {
            MessagePack.MsgMap map => map,
            object?[] { Length: 2 } pair => (pair[1] as MessagePack.MsgMap) ?? (pair[0] as MessagePack.MsgMap),
            _ => null,
        };

        public bool IsA(string module, string name) => Type is PickleGlobal g && g.Module == module && g.Name == name;

        public override string ToString() => $"<{Type} object>";
    }

    /// <summary>A call a pickle asks for (REDUCE): recorded, never made.</summary>
    public sealed class PickleCall
    {
        public PickleCall(object? function, object? args)
        {
            Function = function;
            Args = args;
        }

        public object? Function { get; }

        public object? Args { get; }

        public object? State { get; set; }

        public override string ToString() => $"<call {Function}>";
    }

    /// <summary>A Python frozenset (written MARK … FROZENSET).</summary>
    public sealed class PickleFrozenSet
    {
        public PickleFrozenSet(IReadOnlyList<object?> items)
        {
            Items = items;
        }

        public IReadOnlyList<object?> Items { get; }
    }

    /// <summary>A Python set (EMPTY_SET … ADDITEMS).</summary>
    public sealed class PickleSet
    {
        public PickleSet(List<object?> items)
        {
            Items = items;
        }

        public List<object?> Items { get; }
    }

    /// <summary>How a <see cref="PickleInstance"/>'s fields are filled in.</summary>
    public enum PickleFill
    {
        /// <summary>Into its <c>__dict__</c>: <c>vars(inst).update(fields)</c>.</summary>
        Dict,

        /// <summary>One <c>setattr(inst, name, value)</c> per field (slotted classes).</summary>
        Attributes,
    }

    /// <summary>
    /// An instance a pickle builds with builtins only — <c>object.__new__(Type)</c>, then its fields — so loading it
    /// calls none of the class's Python code (no <c>__new__</c>, <c>__init__</c>, <c>__setstate__</c>): for classes
    /// that define those, where NEWOBJ/BUILD would run them. Written only; readers see the calls.
    /// </summary>
    public sealed class PickleInstance
    {
        public PickleInstance(PickleGlobal type, PickleFill fill, IReadOnlyList<KeyValuePair<string, object?>> fields)
        {
            Type = type;
            Fill = fill;
            Fields = fields;
        }

        public PickleGlobal Type { get; }

        public PickleFill Fill { get; }

        public IReadOnlyList<KeyValuePair<string, object?>> Fields { get; }
    }
}

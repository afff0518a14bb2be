using System;
using System.Collections;
using System.Collections.Generic;
using DaskPS.Client;
using DaskPS.Protocol.MessagePack;
using DaskPS.Tasks;

namespace DaskPS.Core.Tests.Tasks
{
    /// <summary>The value rules behind Submit-DaskTask and Send-DaskData, without PowerShell.</summary>
    public sealed class PlainValuesTests
    {
        private static object? ToWire(object? value) =>
            PlainValues.ToWire(value, v => v is Wrapped w ? w.Inner : v, other => new CliXmlValue($"<clixml of {other.GetType().Name}>"));

        [Fact]
        public void PlainValuesStayPlainAtAnyDepth()
        {
            var table = new Hashtable { ["n"] = 1, ["list"] = new ArrayList { "a", 'b', new byte[] { 1 } }, ["inner"] = new Dictionary<string, object?> { ["x"] = 2.5 } };

            var wire = Assert.IsType<MsgMap>(ToWire(table));

            Assert.Equal(1, wire.Get("n"));
            Assert.Equal(new object?[] { "a", "b", new byte[] { 1 } }, Assert.IsType<object?[]>(wire.Get("list")));
            Assert.Equal(2.5, Assert.IsType<MsgMap>(wire.Get("inner")).Get("x"));
        }

        [Fact]
        public void ACycleIsRefusedNamingTheDepthLimit()
        {
            var table = new Hashtable();
            table["self"] = table;
            var list = new ArrayList();
            list.Add(list);

            foreach (object cyclic in new object[] { table, list })
            {
                var error = Assert.Throws<DaskValueTooDeepException>(() => ToWire(cyclic));
                Assert.Contains($"{PlainValues.MaxDepth} levels", error.Message);
            }
        }

        [Fact]
        public void NestingUpToTheLimitTravelsAndOneLevelMoreIsRefused()
        {
            static object Nest(int levels) => levels == 1 ? new object?[] { 1L } : new object?[] { Nest(levels - 1) };

            Assert.IsType<object?[]>(ToWire(Nest(PlainValues.MaxDepth)));
            Assert.Throws<DaskValueTooDeepException>(() => ToWire(Nest(PlainValues.MaxDepth + 1)));
        }

        [Fact]
        public void OtherObjectsGoThroughTheFallbackWhereTheyStand()
        {
            object?[] wire = Assert.IsType<object?[]>(ToWire(new object?[] { 1L, DateTime.UnixEpoch, new Hashtable { [1] = "int key" } }));

            Assert.Equal(1L, wire[0]);
            Assert.Equal("<clixml of DateTime>", Assert.IsType<CliXmlValue>(wire[1]).Xml);
            Assert.Equal("<clixml of Hashtable>", Assert.IsType<CliXmlValue>(wire[2]).Xml);
        }

        [Fact]
        public void WrappersAreLookedThroughAndNodesKept()
        {
            DaskNode node = DaskNode.Data("k");

            Assert.Equal("text", ToWire(new Wrapped("text")));
            Assert.Same(node, ToWire(new Wrapped(node)));
        }

        [Fact]
        public void WireValuesComeBackAsHostValues()
        {
            var wire = new MsgMap().With("a", new object?[] { 1L, new CliXmlValue("xml") }).With("s", new DaskPS.Protocol.PySet(new object?[] { "x" }));

            var back = Assert.IsType<Hashtable>(PlainValues.FromWire(wire, xml => "decoded " + xml.Xml));

            Assert.Equal(new object?[] { 1L, "decoded xml" }, Assert.IsType<object?[]>(back["a"]));
            Assert.Equal(new object?[] { "x" }, Assert.IsType<object?[]>(back["s"]));
        }

        private sealed class Wrapped
        {
            public Wrapped(object inner)
            {
                Inner = inner;
            }

            public object Inner { get; }
        }
    }
}

using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;
using DaskPS.Testing;

namespace DaskPS.Core.Tests.Protocol
{
    /// <summary>Payloads as Python dask peers make them decode to the right values.</summary>
    public sealed class DaskSerializationTests
    {
        private static readonly Lazy<Task<JsonDocument>> Vectors = new Lazy<Task<JsonDocument>>(async () =>
        {
            string output = await PythonProcess.RunAsync(DaskInstallation.Selected, new[] { Path.Combine(AppContext.BaseDirectory, "Protocol", "python", "serialize_values.py") }, TimeSpan.FromSeconds(60));
            return JsonDocument.Parse(output.Split('\n').First(l => l.StartsWith("{", StringComparison.Ordinal)));
        });

        [Fact]
        public async Task ListsArriveAsCollectionsOfMsgPackElements()
        {
            object?[] items = Assert.IsType<object?[]>(await Decode("list"));

            Assert.Equal(1L, items[0]);
            Assert.Equal("two", items[1]);
            Assert.Equal(new byte[] { (byte)'t', (byte)'h', (byte)'r', (byte)'e', (byte)'e' }, items[2]);
            Assert.Equal(4.5, items[3]);
        }

        [Fact]
        public async Task DictsKeepTheirKeys()
        {
            MsgMap map = Assert.IsType<MsgMap>(await Decode("dict"));

            Assert.Equal(1L, map.Get("a"));
            Assert.Equal(new object?[] { 1L, 2L }, Assert.IsType<object?[]>(map.Get("b")));
        }

        [Fact]
        public async Task AValueThePeerCouldNotSerializeComesBackOpaqueWithItsReason()
        {
            // dask 2022.12 cannot msgpack a set: it sends its 'error' serializer instead.
            OpaqueValue opaque = Assert.IsType<OpaqueValue>(await Decode("set"));

            Assert.Equal("error", opaque.Serializer);
            Assert.Contains("could not serialize", opaque.Description);
        }

        [Fact]
        public async Task SplitBytesAreJoined()
        {
            Assert.Equal(System.Text.Encoding.ASCII.GetBytes("raw bytes"), await Decode("bytes"));
        }

        [Fact]
        public async Task Lz4CompressedFramesAreDecompressed()
        {
            (SerializedPayload payload, _) = await Payload("big");

            Assert.Contains("lz4", ((object?[])payload.Header.Get("compression")!).Cast<object?>());
            Assert.True(payload.WireLength < 10_000, $"expected a compressed frame, got {payload.WireLength} bytes");
            Assert.Equal(new string('x', 300_000), DaskSerialization.FromPayload(payload));
            Assert.Equal(300_000 + 5, DaskSerialization.SizeOf(payload));
        }

        [Fact]
        public void AHugeDeclaredLz4SizeIsRefusedBeforeAllocating()
        {
            var header = new MsgMap().With("serializer", "msgpack").With("compression", new object?[] { "lz4" });
            var payload = new SerializedPayload(header, new ReadOnlyMemory<byte>[] { new byte[] { 0xff, 0xff, 0xff, 0x7f, 0x00 } });

            Assert.Throws<DaskProtocolException>(() => DaskSerialization.FromPayload(payload, maxBytes: 1 << 20));
        }

        private static async Task<object?> Decode(string name) => DaskSerialization.FromPayload((await Payload(name)).Payload);

        private static async Task<(SerializedPayload Payload, JsonElement Raw)> Payload(string name)
        {
            JsonElement entry = (await Vectors.Value).RootElement.GetProperty(name);
            var header = (MsgMap)MsgPackSerializer.Deserialize(Convert.FromHexString(entry.GetProperty("header").GetString()!))!;
            ReadOnlyMemory<byte>[] frames = entry.GetProperty("frames").EnumerateArray().Select(f => (ReadOnlyMemory<byte>)Convert.FromHexString(f.GetString()!)).ToArray();
            header.Remove("num-sub-frames");
            return (new SerializedPayload(header, frames), entry);
        }
    }
}

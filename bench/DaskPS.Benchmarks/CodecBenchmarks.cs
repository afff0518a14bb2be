using System.IO;
using System.IO.Pipelines;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using DaskPS.Comm;

namespace DaskPS.Benchmarks
{
    /// <summary>Encode and decode of whole framed dask messages (frame 0 msgpack plus payload frames).</summary>
    [MemoryDiagnoser]
    public class CodecBenchmarks
    {
        private object?[] _computeTask = null!;
        private object?[] _updateGraph = null!;
        private byte[] _computeTaskBytes = null!;
        private byte[] _updateGraphBytes = null!;
        private readonly MemoryStream _sink = new MemoryStream();

        [GlobalSetup]
        public async Task Setup()
        {
            _computeTask = RecordedMessages.ComputeTaskBatch();
            _updateGraph = RecordedMessages.UpdateGraph();
            _computeTaskBytes = await FrameAsync(_computeTask);
            _updateGraphBytes = await FrameAsync(_updateGraph);
        }

        [Benchmark]
        public Task EncodeComputeTask() => EncodeAsync(_computeTask);

        [Benchmark]
        public Task<object?> DecodeComputeTask() => DecodeAsync(_computeTaskBytes);

        [Benchmark]
        public Task EncodeUpdateGraph100() => EncodeAsync(_updateGraph);

        [Benchmark]
        public Task<object?> DecodeUpdateGraph100() => DecodeAsync(_updateGraphBytes);

        private async Task EncodeAsync(object? message)
        {
            _sink.Position = 0;
            await MessageFraming.WriteAsync(_sink, message, compressPayloads: false, default);
        }

        private static async Task<object?> DecodeAsync(byte[] bytes)
        {
            PipeReader reader = PipeReader.Create(new System.Buffers.ReadOnlySequence<byte>(bytes));
            (_, object? message) = await MessageFraming.ReadAsync(reader, CommOptions.Default, default);
            return message;
        }

        private static async Task<byte[]> FrameAsync(object? message)
        {
            using var stream = new MemoryStream();
            await MessageFraming.WriteAsync(stream, message, compressPayloads: false, default);
            return stream.ToArray();
        }
    }
}

using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using DaskPS.Comm;
using DaskPS.Protocol;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Benchmarks
{
    /// <summary>
    /// What lz4 on payload frames gains and costs for one 100 MB value, compressible or random: encoding, decoding,
    /// the bytes on the wire, and one message over loopback TCP, best of five runs after one not counted.
    /// </summary>
    internal static class Lz4Benchmark
    {
        private const int Size = 100_000_000;
        private const int Runs = 5;

        /// <summary>A gigabit link, to show what the bytes saved are worth off this machine.</summary>
        private const double GigabitBytesPerSecond = 125_000_000;

        public static async Task<int> RunAsync()
        {
            Console.WriteLine("| value (100 MB) | lz4 | encode (ms) | decode (ms) | on the wire (MB) | loopback TCP (ms) | at 1 Gbit/s (ms, est.) |");
            Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
            foreach ((string name, byte[] value) in new[] { ("compressible text", Text()), ("random bytes", Noise()) })
            {
                foreach (bool lz4 in new[] { false, true })
                {
                    await MeasureAsync(name, value, lz4);
                }
            }

            return 0;
        }

        private static async Task MeasureAsync(string name, byte[] value, bool lz4)
        {
            object message = new MsgMap().With("op", "put").With("value", DaskSerialization.ToPayload(value));
            double encode = double.MaxValue, decode = double.MaxValue, loopback = double.MaxValue;
            long wire = 0;
            for (int run = 0; run <= Runs; run++)
            {
                if (run == 1)
                {
                    // The first run faulted in memory and compiled the code; it does not count.
                    encode = decode = loopback = double.MaxValue;
                }

                GC.Collect();
                using var stream = new MemoryStream();
                var watch = Stopwatch.StartNew();
                await MessageFraming.WriteAsync(stream, message, lz4, default);
                encode = Math.Min(encode, watch.Elapsed.TotalMilliseconds);
                wire = stream.Length;

                watch.Restart();
                Check(value, await ReadValueAsync(PipeReader.Create(new System.Buffers.ReadOnlySequence<byte>(stream.GetBuffer(), 0, (int)stream.Length))));
                decode = Math.Min(decode, watch.Elapsed.TotalMilliseconds);

                loopback = Math.Min(loopback, await OverLoopbackAsync(message, value, lz4));
            }

            // Pessimistic for both: encoding, sending and decoding one after another.
            double gigabit = encode + decode + (wire / GigabitBytesPerSecond * 1000);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {(lz4 ? "on" : "off")} | {encode:0} | {decode:0} | {wire / 1e6:0.0} | {loopback:0} | {gigabit:0} |"));
        }

        /// <summary>Milliseconds from the first byte written to the value decoded at the other end of a loopback socket.</summary>
        private static async Task<double> OverLoopbackAsync(object message, byte[] value, bool lz4)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            try
            {
                using var sender = new TcpClient();
                await sender.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
                using TcpClient receiver = await listener.AcceptTcpClientAsync();
                NetworkStream source = receiver.GetStream();

                var watch = Stopwatch.StartNew();
                Task write = MessageFraming.WriteAsync(sender.GetStream(), message, lz4, default).AsTask();
                object? received = await ReadValueAsync(PipeReader.Create(source), source);
                await write;
                double elapsed = watch.Elapsed.TotalMilliseconds;
                Check(value, received);
                return elapsed;
            }
            finally
            {
                listener.Stop();
            }
        }

        private static async Task<object?> ReadValueAsync(PipeReader reader, Stream? source = null)
        {
            (_, object? message) = await MessageFraming.ReadAsync(reader, CommOptions.Default, default, source);
            return DaskSerialization.FromPayload((SerializedPayload)((MsgMap)message!).Get("value")!);
        }

        private static void Check(byte[] expected, object? actual)
        {
            if (actual is not byte[] bytes || !bytes.AsSpan().SequenceEqual(expected))
            {
                throw new InvalidOperationException("The value came back different.");
            }
        }

        /// <summary>Log-like lines: repetitive words, changing numbers.</summary>
        private static byte[] Text()
        {
            var text = new StringBuilder(Size + 100);
            for (int i = 0; text.Length < Size; i++)
            {
                text.Append(CultureInfo.InvariantCulture, $"{i:D9} worker-{i % 16} task-{(i * 7919) % 100_000} state={(i % 3 == 0 ? "memory" : "processing")} nbytes={(i * 31) % 65_536}\n");
            }

            return Encoding.ASCII.GetBytes(text.ToString(0, Size));
        }

        private static byte[] Noise()
        {
            var bytes = new byte[Size];
            new Random(100).NextBytes(bytes);
            return bytes;
        }
    }
}

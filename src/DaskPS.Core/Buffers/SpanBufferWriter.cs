using System;
using System.Buffers;

namespace DaskPS.Buffers
{
    /// <summary>A buffer writer over one fixed array, for output whose size is known in advance.</summary>
    internal sealed class SpanBufferWriter : IBufferWriter<byte>
    {
        private readonly byte[] _target;
        private int _written;

        public SpanBufferWriter(byte[] target)
        {
            _target = target;
        }

        public void Advance(int count)
        {
            if (count < 0 || count > _target.Length - _written)
            {
                throw new ArgumentOutOfRangeException(nameof(count));
            }

            _written += count;
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => Room(sizeHint) ? _target.AsMemory(_written) : throw Full(sizeHint);

        public Span<byte> GetSpan(int sizeHint = 0) => Room(sizeHint) ? _target.AsSpan(_written) : throw Full(sizeHint);

        private bool Room(int sizeHint) => _target.Length - _written >= Math.Max(sizeHint, 1);

        private InvalidOperationException Full(int sizeHint) =>
            new InvalidOperationException($"The fixed buffer of {_target.Length} bytes has no room for {sizeHint} more.");
    }
}

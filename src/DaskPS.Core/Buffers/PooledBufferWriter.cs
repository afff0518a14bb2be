using System;
using System.Buffers;

namespace DaskPS.Buffers
{
    /// <summary>
    /// A growable <see cref="IBufferWriter{T}"/> over pooled arrays (ArrayBufferWriter is not in netstandard2.0).
    /// Dispose returns the array to the pool; the written memory is invalid afterwards.
    /// </summary>
    public sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
    {
        private byte[] _buffer;
        private int _written;

        public PooledBufferWriter(int initialCapacity = 256)
        {
            _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, 16));
        }

        public int WrittenCount => _written;

        public ReadOnlyMemory<byte> WrittenMemory => new ReadOnlyMemory<byte>(_buffer, 0, _written);

        public ReadOnlySpan<byte> WrittenSpan => new ReadOnlySpan<byte>(_buffer, 0, _written);

        /// <summary>Forgets what was written but keeps the buffer for reuse.</summary>
        public void Clear() => _written = 0;

        public byte[] ToArray() => WrittenSpan.ToArray();

        public void Advance(int count)
        {
            // Compared as a subtraction: _written + count can overflow int and pass the check.
            if (count < 0 || count > _buffer.Length - _written)
            {
                throw new ArgumentOutOfRangeException(nameof(count));
            }

            _written += count;
        }

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _buffer.AsMemory(_written);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _buffer.AsSpan(_written);
        }

        public void Dispose()
        {
            byte[] buffer = _buffer;
            _buffer = Array.Empty<byte>();
            _written = 0;
            if (buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private void Ensure(int sizeHint)
        {
            int needed = Math.Max(sizeHint, 1);
            if (_buffer.Length - _written >= needed)
            {
                return;
            }

            long wanted = Math.Max((long)_buffer.Length * 2, (long)_written + needed);
            if (wanted > int.MaxValue)
            {
                wanted = (long)_written + needed;
                if (wanted > int.MaxValue)
                {
                    throw new OutOfMemoryException("A single buffer cannot exceed 2 GiB.");
                }
            }

            byte[] bigger = ArrayPool<byte>.Shared.Rent((int)wanted);
            Buffer.BlockCopy(_buffer, 0, bigger, 0, _written);
            if (_buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
            }

            _buffer = bigger;
        }
    }
}

using System;
using System.Text;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Core.Tests.Protocol.MessagePack
{
    /// <summary>
    /// Random object trees of every type MsgPackSerializer produces, from a seeded Random so failures reproduce.
    /// With <c>pythonCompatible</c> it leaves out what Python's msgpack cannot mirror: float32 (Python re-encodes
    /// it as float64), ext type codes outside 0..127, and map keys Python would merge or refuse (floats, bools,
    /// maps).
    /// </summary>
    internal sealed class MsgPackRandomTrees
    {
        private static readonly long[] InterestingIntegers =
        {
            0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, long.MaxValue,
            -1, -32, -33, -128, -129, -32768, -32769, int.MinValue, int.MinValue - 1L, long.MinValue,
        };

        private static readonly double[] InterestingDoubles =
        {
            0.0, -0.0, 1.0, -1.5, 0.1, 1e300, -1e-300, double.Epsilon, double.MaxValue, double.MinValue,
            double.PositiveInfinity, double.NegativeInfinity, double.NaN, BitConverter.Int64BitsToDouble(0x7ff8000000000000),
            1700000000.123456, 2.5e8,
        };

        private static readonly int[] InterestingLengths = { 0, 1, 15, 16, 31, 32, 255, 256, 65535, 65536 };

        private readonly Random _random;
        private readonly bool _pythonCompatible;

        public MsgPackRandomTrees(int seed, bool pythonCompatible = false)
        {
            _random = new Random(seed);
            _pythonCompatible = pythonCompatible;
        }

        public object? Next(int maxDepth = 5)
        {
            int pick = _random.Next(maxDepth > 0 ? 14 : 11);
            return pick switch
            {
                0 => null,
                1 => _random.Next(2) == 0,
                2 or 3 => NextInteger(),
                4 => NextDouble(),
                5 => _pythonCompatible ? NextDouble() : NextSingle(),
                6 or 7 => NextString(),
                8 => NextBytes(),
                9 => NextExtension(),
                10 => _random.Next(8) == 0 ? (object)NextUnsignedAboveLong() : NextInteger(),
                11 or 12 => NextArray(maxDepth - 1),
                _ => NextMap(maxDepth - 1),
            };
        }

        private object NextInteger()
        {
            switch (_random.Next(4))
            {
                case 0:
                    return InterestingIntegers[_random.Next(InterestingIntegers.Length)];
                case 1:
                    return (long)_random.Next(-40, 300);
                default:
                    // Uniform over bit widths so every integer format turns up often.
                    int bits = _random.Next(1, 64);
                    long magnitude = _random.NextInt64() & ((1L << bits) - 1);
                    return _random.Next(2) == 0 ? magnitude : -magnitude - 1;
            }
        }

        private ulong NextUnsignedAboveLong() => (ulong)long.MaxValue + 1 + (ulong)_random.NextInt64(long.MaxValue);

        private double NextDouble() => _random.Next(3) switch
        {
            0 => InterestingDoubles[_random.Next(InterestingDoubles.Length)],
            1 => Math.Round((_random.NextDouble() - 0.5) * 2000, _random.Next(6)),
            _ => BitConverter.Int64BitsToDouble(_random.NextInt64(long.MinValue, long.MaxValue)),
        };

        private float NextSingle() => _random.Next(2) == 0
            ? (float)NextDouble()
            : BitConverter.Int32BitsToSingle(_random.Next(int.MinValue, int.MaxValue));

        private int NextLength(int typicalMax)
        {
            // Mostly small; now and then exactly on a format boundary (the large ones rarely, to stay fast).
            if (_random.Next(12) == 0)
            {
                int length = InterestingLengths[_random.Next(InterestingLengths.Length)];
                return length > 256 && _random.Next(8) != 0 ? 256 : length;
            }

            return _random.Next(typicalMax + 1);
        }

        /// <summary>A string of exactly NextLength UTF-8 bytes, so str format boundaries are hit precisely.</summary>
        private string NextString()
        {
            int length = NextLength(40);
            var builder = new StringBuilder(length);
            int bytes = 0;
            while (bytes < length - 3)
            {
                switch (_random.Next(6))
                {
                    case 0:
                        builder.Append((char)_random.Next(0, 0x80));
                        bytes += 1;
                        break;
                    case 1:
                        builder.Append((char)_random.Next(0x80, 0x800));
                        bytes += 2;
                        break;
                    case 2:
                        // BMP outside the surrogate range.
                        int c = _random.Next(0x800, 0x10000 - 0x800);
                        builder.Append((char)(c >= 0xd800 ? c + 0x800 : c));
                        bytes += 3;
                        break;
                    case 3:
                        builder.Append(char.ConvertFromUtf32(_random.Next(0x10000, 0x110000)));
                        bytes += 4;
                        break;
                    default:
                        builder.Append((char)_random.Next('a', 'z' + 1));
                        bytes += 1;
                        break;
                }
            }

            return builder.Append('z', length - bytes).ToString();
        }

        private byte[] NextBytes()
        {
            var bytes = new byte[NextLength(40)];
            _random.NextBytes(bytes);
            return bytes;
        }

        private MsgPackExtension NextExtension()
        {
            int[] fixedLengths = { 0, 1, 2, 3, 4, 8, 16, 17 };
            var data = new byte[_random.Next(4) == 0 ? NextLength(300) : fixedLengths[_random.Next(fixedLengths.Length)]];
            _random.NextBytes(data);
            sbyte type = _pythonCompatible ? (sbyte)_random.Next(0, 128) : (sbyte)_random.Next(-128, 128);
            return new MsgPackExtension(type, data);
        }

        private object?[] NextArray(int depth)
        {
            var array = new object?[NextContainerCount()];
            for (int i = 0; i < array.Length; i++)
            {
                array[i] = Next(depth);
            }

            return array;
        }

        private MsgMap NextMap(int depth)
        {
            int count = NextContainerCount();
            var map = new MsgMap(count);
            for (int i = 0; i < count; i++)
            {
                // Equal keys overwrite, as in Python; the map just ends up smaller.
                map[NextKey(depth)] = Next(depth);
            }

            return map;
        }

        private int NextContainerCount() => _random.Next(20) switch
        {
            0 => 16,
            1 => 15,
            2 => _random.Next(17, 40),
            _ => _random.Next(6),
        };

        private object NextKey(int depth)
        {
            int choices = _pythonCompatible ? 5 : 8;
            switch (_random.Next(choices))
            {
                case 0:
                case 1:
                    return NextString();
                case 2:
                    return NextInteger();
                case 3:
                    return NextBytes();
                case 4:
                    // A tuple key: strings, integers and nested tuples, as dask task keys are.
                    var tuple = new object?[_random.Next(4)];
                    for (int i = 0; i < tuple.Length; i++)
                    {
                        tuple[i] = _random.Next(3) switch
                        {
                            0 => NextString(),
                            1 => NextInteger(),
                            _ => depth > 0 ? NextKey(depth - 1) : "leaf",
                        };
                    }

                    return tuple;
                case 5:
                    return _random.Next(2) == 0;
                case 6:
                    return NextDouble();
                default:
                    return NextExtension();
            }
        }
    }
}

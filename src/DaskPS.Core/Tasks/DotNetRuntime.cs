using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Threading.Tasks;
using DaskPS.Protocol.MessagePack;

namespace DaskPS.Tasks
{
    /// <summary>
    /// Runs a public static .NET method named by type and method: <c>{"type": "System.Math", "method": "Max"}</c>
    /// (optionally <c>"assembly"</c>). Overloads are chosen by argument count and how well the arguments convert. A method
    /// whose last parameter is a <see cref="TaskRun"/> gets its run there (to submit tasks, or to stop when asked).
    /// </summary>
    public sealed class DotNetRuntime : ITaskRuntime
    {
        public const string RuntimeName = "dotnet";

        public string Name => RuntimeName;

        /// <summary>The function description for <paramref name="type"/>.<paramref name="method"/>.</summary>
        public static MsgMap Describe(string type, string method, string? assembly = null)
        {
            var function = new MsgMap(3).With("type", type).With("method", method);
            if (assembly is not null)
            {
                function["assembly"] = assembly;
            }

            return function;
        }

        /// <summary>On a thread of its own: the method runs synchronously until it returns or gives its own task.</summary>
        public Task<object?> RunAsync(MsgMap function, IReadOnlyList<object?> args, MsgMap? kwargs, TaskRun run) =>
            Task.Run(() => RunHereAsync(function, args, kwargs, run));

        private static async Task<object?> RunHereAsync(MsgMap function, IReadOnlyList<object?> args, MsgMap? kwargs, TaskRun run)
        {
            if (function.Get("type") is not string typeName || function.Get("method") is not string methodName)
            {
                throw new TaskNotRunnableException("A dotnet task needs 'type' and 'method' names.");
            }

            if (kwargs is { Count: > 0 })
            {
                throw new TaskNotRunnableException($"{typeName}.{methodName}: the dotnet runtime takes positional arguments only.");
            }

            Type type = ResolveType(typeName, function.Get("assembly") as string);
            (MethodInfo method, object?[] converted) = Bind(type, methodName, args, run);
            object? result;
            try
            {
                result = method.Invoke(null, converted);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
                throw;
            }

            if (result is Task task)
            {
                await task.ConfigureAwait(false);
                Type taskType = task.GetType();
                result = taskType.IsGenericType && taskType.GetProperty("Result") is PropertyInfo property && property.PropertyType.Name != "VoidTaskResult"
                    ? property.GetValue(task)
                    : null;
            }

            return result;
        }

        private static Type ResolveType(string typeName, string? assemblyName)
        {
            Type? type = Type.GetType(typeName, throwOnError: false);
            if (type is null && assemblyName is not null)
            {
                try
                {
                    type = Assembly.Load(new AssemblyName(assemblyName)).GetType(typeName, throwOnError: false);
                }
                catch (Exception e) when (e is System.IO.IOException || e is BadImageFormatException)
                {
                    throw new TaskNotRunnableException($"The assembly '{assemblyName}' for type '{typeName}' could not be loaded: {e.Message}");
                }
            }

            type ??= AppDomain.CurrentDomain.GetAssemblies()
                .Select(a => a.GetType(typeName, throwOnError: false))
                .FirstOrDefault(t => t is not null);
            return type ?? throw new TaskNotRunnableException($"The type '{typeName}' is not loaded on this worker.");
        }

        private static (MethodInfo Method, object?[] Arguments) Bind(Type type, string methodName, IReadOnlyList<object?> args, TaskRun run)
        {
            MethodInfo[] candidates = type.GetMethods(BindingFlags.Public | BindingFlags.Static)
                .Where(m => m.Name == methodName && !m.ContainsGenericParameters && m.GetParameters().Length == args.Count + (TakesRun(m) ? 1 : 0))
                .ToArray();
            if (candidates.Length == 0)
            {
                throw new TaskNotRunnableException($"{type.FullName} has no public static method '{methodName}' taking {args.Count} arguments.");
            }

            MethodInfo? best = null;
            object?[]? bestArgs = null;
            int bestScore = -1;
            foreach (MethodInfo candidate in candidates)
            {
                ParameterInfo[] parameters = candidate.GetParameters();
                var converted = new object?[parameters.Length];
                if (TakesRun(candidate))
                {
                    converted[args.Count] = run;
                }

                int score = 0;
                bool fits = true;
                for (int i = 0; i < args.Count && fits; i++)
                {
                    fits = TryConvert(args[i], parameters[i].ParameterType, out converted[i], out int quality);
                    score += quality;
                }

                if (fits && score > bestScore)
                {
                    best = candidate;
                    bestArgs = converted;
                    bestScore = score;
                }
            }

            if (best is null)
            {
                string given = string.Join(", ", args.Select(a => a?.GetType().Name ?? "null"));
                throw new TaskNotRunnableException($"No overload of {type.FullName}.{methodName} accepts ({given}).");
            }

            return (best, bestArgs!);
        }

        private static bool TakesRun(MethodInfo method)
        {
            ParameterInfo[] parameters = method.GetParameters();
            return parameters.Length > 0 && parameters[parameters.Length - 1].ParameterType == typeof(TaskRun);
        }

        /// <summary>Converts a decoded value to a parameter type; quality 2 = exact, 1 = converted.</summary>
        private static bool TryConvert(object? value, Type target, out object? result, out int quality)
        {
            quality = 2;
            result = value;
            Type nonNull = Nullable.GetUnderlyingType(target) ?? target;
            if (value is null)
            {
                return !target.IsValueType || Nullable.GetUnderlyingType(target) is not null;
            }

            if (nonNull.IsInstanceOfType(value))
            {
                quality = target == typeof(object) ? 1 : 2;
                return true;
            }

            quality = 1;
            try
            {
                if (nonNull.IsEnum && (value is string || value is long))
                {
                    result = value is string name ? Enum.Parse(nonNull, name, ignoreCase: true) : Enum.ToObject(nonNull, value);
                    return true;
                }

                if (value is IConvertible && typeof(IConvertible).IsAssignableFrom(nonNull) && nonNull != typeof(string) && !(value is string))
                {
                    object changed = Convert.ChangeType(value, nonNull, System.Globalization.CultureInfo.InvariantCulture);
                    // Only lossless numeric conversions: 3.5 must not silently become 3.
                    if (Convert.ChangeType(changed, value.GetType(), System.Globalization.CultureInfo.InvariantCulture).Equals(value))
                    {
                        result = changed;
                        return true;
                    }

                    return false;
                }

                if (value is object?[] items && nonNull.IsArray)
                {
                    Type element = nonNull.GetElementType()!;
                    var array = Array.CreateInstance(element, items.Length);
                    for (int i = 0; i < items.Length; i++)
                    {
                        if (!TryConvert(items[i], element, out object? item, out _))
                        {
                            return false;
                        }

                        array.SetValue(item, i);
                    }

                    result = array;
                    return true;
                }

                if (value is object?[] list && nonNull.IsGenericType && nonNull.GetGenericTypeDefinition() == typeof(List<>))
                {
                    Type element = nonNull.GetGenericArguments()[0];
                    var typed = (IList)Activator.CreateInstance(nonNull)!;
                    foreach (object? item in list)
                    {
                        if (!TryConvert(item, element, out object? converted, out _))
                        {
                            return false;
                        }

                        typed.Add(converted);
                    }

                    result = typed;
                    return true;
                }
            }
            catch (Exception e) when (e is InvalidCastException || e is FormatException || e is OverflowException || e is ArgumentException)
            {
                return false;
            }

            return false;
        }
    }
}

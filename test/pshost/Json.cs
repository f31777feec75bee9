// JSON output mode: one record per line, for tests to assert on real objects.
using System.Collections;
using System.Management.Automation;
using System.Security;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace PsHost;

internal static class Json
{
    private const int MaxDepth = 4;
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static void Emit(Output output, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            write(w);
            w.WriteEndObject();
        }
        output.Record(buffer.ToArray());
    }

    /// <summary>Text the script sent to the host itself (Out-Default / Out-Host / $Host.UI inside the script).</summary>
    public static void Host(Output output, string text, string? stream = null) => Emit(output, w =>
    {
        w.WriteString("kind", "host");
        if (stream != null) w.WriteString("stream", stream);
        w.WriteString("text", text);
    });

    /// <summary>verbose / warning / debug / information.</summary>
    public static void Message(Output output, string kind, string message) => Emit(output, w =>
    {
        w.WriteString("kind", kind);
        w.WriteString("message", message);
    });

    public static void Object(Output output, PSObject? obj) => Emit(output, w =>
    {
        w.WriteString("kind", "object");
        w.WriteStartArray("typeNames");
        foreach (var t in obj?.TypeNames ?? (IEnumerable<string>)Array.Empty<string>()) w.WriteStringValue(t);
        w.WriteEndArray();
        w.WritePropertyName("value");
        Value(w, obj, 0);
    });

    public static void Error(Output output, ErrorRecord record, string? rendered, bool terminating) => Emit(output, w =>
    {
        w.WriteString("kind", "error");
        w.WriteString("message", record.Exception?.Message);
        w.WriteString("errorDetails", record.ErrorDetails?.Message);
        w.WriteString("fullyQualifiedErrorId", record.FullyQualifiedErrorId);
        w.WriteString("category", record.CategoryInfo.Category.ToString());
        w.WriteString("categoryReason", record.CategoryInfo.Reason);
        w.WritePropertyName("targetObject");
        Value(w, record.TargetObject, 1);
        w.WriteString("exceptionType", record.Exception?.GetType().FullName);
        w.WriteString("invocation", record.InvocationInfo?.MyCommand?.Name);
        w.WriteBoolean("terminating", terminating);
        if (rendered != null) w.WriteString("rendered", rendered);
    });

    /// <summary>Serializes a value the way the tests expect (see README in the brief): scalars as JSON scalars,
    /// a few .NET types tagged with "$type", lists as arrays, dictionaries as objects, everything else as its
    /// PowerShell properties with "$typeNames". Below <see cref="MaxDepth"/> objects become their ToString().</summary>
    private static void Value(Utf8JsonWriter w, object? value, int depth)
    {
        var pso = value as PSObject;
        object? v = pso?.BaseObject ?? value;
        switch (v)
        {
            case null:
                w.WriteNullValue();
                return;
            case string s:
                w.WriteStringValue(s);
                return;
            case char c:
                w.WriteStringValue(c.ToString());
                return;
            case bool b:
                w.WriteBooleanValue(b);
                return;
            case double d when double.IsNaN(d) || double.IsInfinity(d):
                w.WriteStringValue(d.ToString(System.Globalization.CultureInfo.InvariantCulture));
                return;
            case float f when float.IsNaN(f) || float.IsInfinity(f):
                w.WriteStringValue(f.ToString(System.Globalization.CultureInfo.InvariantCulture));
                return;
            case byte or sbyte or short or ushort or int or uint or long:
                w.WriteNumberValue(Convert.ToInt64(v));
                return;
            case ulong ul:
                w.WriteNumberValue(ul);
                return;
            case float or double:
                w.WriteNumberValue(Convert.ToDouble(v));
                return;
            case decimal m:
                w.WriteNumberValue(m);
                return;
            case DateTime dt:
                w.WriteStartObject();
                w.WriteString("$type", "System.DateTime");
                w.WriteString("value", dt.ToString("o", System.Globalization.CultureInfo.InvariantCulture));
                w.WriteString("kind", dt.Kind.ToString());
                w.WriteEndObject();
                return;
            case DateTimeOffset dto:
                w.WriteStartObject();
                w.WriteString("$type", "System.DateTimeOffset");
                w.WriteString("value", dto.ToString("o", System.Globalization.CultureInfo.InvariantCulture));
                w.WriteEndObject();
                return;
            case Enum e:
                w.WriteStartObject();
                w.WriteString("$type", e.GetType().FullName);
                w.WriteString("value", e.ToString());
                w.WriteEndObject();
                return;
            case SecureString:
                w.WriteStartObject();
                w.WriteString("$type", "System.Security.SecureString");
                w.WriteEndObject();
                return;
        }

        if (depth >= MaxDepth)
        {
            w.WriteStringValue(SafeToString(pso ?? v));
            return;
        }

        switch (v)
        {
            case IDictionary dict:
                w.WriteStartObject();
                foreach (DictionaryEntry entry in dict)
                {
                    w.WritePropertyName(entry.Key?.ToString() ?? "");
                    Value(w, entry.Value, depth + 1);
                }
                w.WriteEndObject();
                return;
            case IEnumerable list:
                w.WriteStartArray();
                foreach (var item in list) Value(w, item, depth + 1);
                w.WriteEndArray();
                return;
        }

        var obj = pso ?? PSObject.AsPSObject(v);
        w.WriteStartObject();
        w.WriteStartArray("$typeNames");
        foreach (var t in obj.TypeNames) w.WriteStringValue(t);
        w.WriteEndArray();
        foreach (var prop in obj.Properties)
        {
            object? propValue;
            try { propValue = prop.Value; }
            catch (Exception ex) { propValue = $"<{ex.GetType().Name}: {ex.Message}>"; }
            w.WritePropertyName(prop.Name);
            Value(w, propValue, depth + 1);
        }
        w.WriteEndObject();
    }

    private static string SafeToString(object o)
    {
        try { return o.ToString() ?? ""; }
        catch (Exception ex) { return $"<{ex.GetType().Name}: {ex.Message}>"; }
    }
}

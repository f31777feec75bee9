// JSON output mode (-OutputFormat Json): one record per line on stdout, for tests to assert on real objects.
//
//   {"kind":"object","typeNames":[...],"value":<value>}
//   {"kind":"error","message","errorDetails","fullyQualifiedErrorId","category","categoryReason","targetObject",
//    "exceptionType","exceptionMessage","invocation","terminating","rendered"}
//   {"kind":"verbose"|"warning"|"debug"|"information","message"}          ("tags" too for information)
//   {"kind":"host","text"}                 text written to the host (Out-Default/Out-Host in the script, $Host.UI)
//   {"kind":"host","stream":"error","text"}   an error the script itself rendered through Out-Default
//   {"kind":"host","stream":"console","text"} a line written with [Console]::Out
//
// Values (see Value()): null, booleans, numbers, strings as JSON; PSObject/other objects as
// {"$typeNames":[...], prop: value, ...}; lists as arrays; dictionaries as objects; and tagged objects
// {"$type":"System.DateTime","value":"<o format>","kind":"Utc|Local|Unspecified"},
// {"$type":"System.DateTimeOffset","value"}, {"$type":"System.TimeSpan","value":"<c format>"},
// {"$type":"<enum type>","value":"<name>"}, {"$type":"System.Security.SecureString"} (never revealed).
using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Security;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace PsHost;

internal static class Json
{
    /// <summary>Objects nested deeper than this are written as their ToString().</summary>
    private const int MaxDepth = 4;

    /// <summary>At most this many items of one list are written (guards against endless enumerables).</summary>
    private const int MaxItems = 10000;

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

    /// <summary>Text written to the host: by Out-Default/Out-Host in the script, by $Host.UI, or by
    /// [Console]::Out (stream "console").</summary>
    public static void Host(Output output, string text, string? stream = null) => Emit(output, w =>
    {
        w.WriteString("kind", "host");
        if (stream != null) w.WriteString("stream", stream);
        w.WriteString("text", text);
    });

    /// <summary>verbose / warning / debug / information.</summary>
    public static void Message(Output output, string kind, string message, IEnumerable<string>? tags = null) => Emit(output, w =>
    {
        w.WriteString("kind", kind);
        w.WriteString("message", message);
        if (tags != null)
        {
            w.WriteStartArray("tags");
            foreach (var t in tags) w.WriteStringValue(t);
            w.WriteEndArray();
        }
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

    /// <summary>An error record. "message" is what pwsh shows: ErrorDetails.Message when the record has one
    /// (a service's message, say), else the exception's message. "rendered" is the engine's ConciseView text.</summary>
    public static void Error(Output output, ErrorRecord record, string? rendered, bool terminating) => Emit(output, w =>
    {
        string? details = record.ErrorDetails?.Message;
        w.WriteString("kind", "error");
        w.WriteString("message", string.IsNullOrEmpty(details) ? record.Exception?.Message : details);
        w.WriteString("errorDetails", details);
        w.WriteString("fullyQualifiedErrorId", record.FullyQualifiedErrorId);
        w.WriteString("category", record.CategoryInfo.Category.ToString());
        w.WriteString("categoryReason", record.CategoryInfo.Reason);
        w.WritePropertyName("targetObject");
        Value(w, record.TargetObject, 1);
        w.WriteString("exceptionType", record.Exception?.GetType().FullName);
        w.WriteString("exceptionMessage", record.Exception?.Message);
        w.WriteString("invocation", record.InvocationInfo?.MyCommand?.Name);
        w.WriteBoolean("terminating", terminating);
        if (rendered != null) w.WriteString("rendered", rendered);
    });

    /// <summary>Serializes a value (see the top of this file).</summary>
    private static void Value(Utf8JsonWriter w, object? value, int depth)
    {
        var pso = value as PSObject;
        object? v = pso?.BaseObject ?? value;
        if (ReferenceEquals(value, System.Management.Automation.Internal.AutomationNull.Value)) v = null;
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
                w.WriteStringValue(d.ToString(CultureInfo.InvariantCulture));
                return;
            case float f when float.IsNaN(f) || float.IsInfinity(f):
                w.WriteStringValue(f.ToString(CultureInfo.InvariantCulture));
                return;
            case byte or sbyte or short or ushort or int or uint or long:
                w.WriteNumberValue(Convert.ToInt64(v, CultureInfo.InvariantCulture));
                return;
            case ulong ul:
                w.WriteNumberValue(ul);
                return;
            case float or double:
                w.WriteNumberValue(Convert.ToDouble(v, CultureInfo.InvariantCulture));
                return;
            case decimal m:
                w.WriteNumberValue(m);
                return;
            case System.Numerics.BigInteger big:
                w.WriteStringValue(big.ToString(CultureInfo.InvariantCulture));
                return;
            case Guid g:
                w.WriteStringValue(g.ToString());
                return;
            case Uri u:
                w.WriteStringValue(u.OriginalString);
                return;
            case Version ver:
                w.WriteStringValue(ver.ToString());
                return;
            case Type t:
                w.WriteStringValue(t.FullName);
                return;
            case ScriptBlock sb:
                w.WriteStringValue(sb.ToString());
                return;
            case DateTime dt:
                w.WriteStartObject();
                w.WriteString("$type", "System.DateTime");
                w.WriteString("value", dt.ToString("o", CultureInfo.InvariantCulture));
                w.WriteString("kind", dt.Kind.ToString());
                w.WriteEndObject();
                return;
            case DateTimeOffset dto:
                w.WriteStartObject();
                w.WriteString("$type", "System.DateTimeOffset");
                w.WriteString("value", dto.ToString("o", CultureInfo.InvariantCulture));
                w.WriteEndObject();
                return;
            case TimeSpan ts:
                w.WriteStartObject();
                w.WriteString("$type", "System.TimeSpan");
                w.WriteString("value", ts.ToString("c", CultureInfo.InvariantCulture));
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

        // Lists and dictionaries are read completely before anything is written, so that one that throws
        // while being enumerated becomes its ToString() instead of half-written JSON.
        switch (v)
        {
            case IDictionary dict:
                var entries = new List<KeyValuePair<string, object?>>();
                try
                {
                    foreach (DictionaryEntry entry in dict) entries.Add(new(entry.Key?.ToString() ?? "", entry.Value));
                }
                catch
                {
                    w.WriteStringValue(SafeToString(pso ?? v));
                    return;
                }
                w.WriteStartObject();
                foreach (var (key, item) in entries)
                {
                    w.WritePropertyName(key);
                    Value(w, item, depth + 1);
                }
                w.WriteEndObject();
                return;
            case IEnumerable list:
                var items = new List<object?>();
                try
                {
                    foreach (var item in list)
                    {
                        if (items.Count == MaxItems) break;
                        items.Add(item);
                    }
                }
                catch
                {
                    w.WriteStringValue(SafeToString(pso ?? v));
                    return;
                }
                w.WriteStartArray();
                foreach (var item in items) Value(w, item, depth + 1);
                w.WriteEndArray();
                return;
        }

        // Any other object: its PowerShell view (note properties of a [pscustomobject], adapted .NET
        // properties, ScriptProperties of type data), without the ones that cannot be read.
        var obj = pso ?? PSObject.AsPSObject(v);
        w.WriteStartObject();
        w.WriteStartArray("$typeNames");
        foreach (var t in obj.TypeNames) w.WriteStringValue(t);
        w.WriteEndArray();
        foreach (var prop in obj.Properties)
        {
            object? propValue;
            try
            {
                if (!prop.IsGettable) continue;
                propValue = prop.Value;
            }
            catch
            {
                continue; // a getter that throws: skip the property, like ConvertTo-Json does
            }
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

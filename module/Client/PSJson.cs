using System;
using System.Buffers;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace AzTokenBridge.Client;

/// <summary>
/// PowerShell values ⇄ JSON, for the module's requests and answers (CallWindow.cs), and
/// the redacted copy of a message that -Debug prints. Done here rather than in script: each value
/// converted by a script function cost a script call (tens of microseconds), every call.
///
///   Serialize(value)          a request's params → UTF-8 JSON
///   ToPS(element)             an answer → PowerShell values: objects become PSCustomObjects,
///                             arrays object[], strings stay strings (no date guessing), numbers
///                             long or double
///   Redact(json, …)           a message with every string not known to be harmless as ***
/// </summary>
public static class PSJson
{
    /// <summary>Nesting deeper than this is refused (a value that refers to itself).</summary>
    public const int MaxDepth = 64;

    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = false };

    /// <summary>A value as UTF-8 JSON (what ConvertTo-Json would make of it, without its depth cut).</summary>
    public static byte[] Serialize(object? value)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            Write(writer, value, 0);
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void Write(Utf8JsonWriter writer, object? value, int depth)
    {
        if (depth > MaxDepth) throw new ArgumentException($"A value nests more than {MaxDepth} levels deep (does it refer to itself?).");
        PSObject? wrapper = null;
        if (value is PSObject pso)
        {
            wrapper = pso;
            value = pso.BaseObject;
        }
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                return;
            case string s:
                writer.WriteStringValue(s);
                return;
            case char or Enum or Guid:
                writer.WriteStringValue(value.ToString());
                return;
            case bool b:
                writer.WriteBooleanValue(b);
                return;
            case int or long or short or byte or sbyte or ushort or uint:
                writer.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                return;
            case ulong u:
                writer.WriteNumberValue(u);
                return;
            case double or float or decimal:
                writer.WriteNumberValue(Convert.ToDouble(value, CultureInfo.InvariantCulture));
                return;
            case DateTime dt:
                writer.WriteStringValue(dt.ToString("o", CultureInfo.InvariantCulture));
                return;
            case DateTimeOffset dto:
                writer.WriteStringValue(dto.ToString("o", CultureInfo.InvariantCulture));
                return;
            case IDictionary dict:
                writer.WriteStartObject();
                foreach (DictionaryEntry entry in dict)
                {
                    writer.WritePropertyName(Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "");
                    Write(writer, entry.Value, depth + 1);
                }
                writer.WriteEndObject();
                return;
            case IEnumerable list:
                writer.WriteStartArray();
                foreach (var item in list) Write(writer, item, depth + 1);
                writer.WriteEndArray();
                return;
        }
        // Any other object ([pscustomobject], a .NET object): its properties, as PowerShell sees them.
        writer.WriteStartObject();
        foreach (var p in (wrapper ?? PSObject.AsPSObject(value)).Properties)
        {
            object? v;
            try { v = p.Value; }
            catch (GetValueException) { continue; }
            writer.WritePropertyName(p.Name);
            Write(writer, v, depth + 1);
        }
        writer.WriteEndObject();
    }

    /// <summary>JSON text (an object given as a string, as Az's type converters accept) → PowerShell values.</summary>
    public static object? ParseToPS(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return ToPS(doc.RootElement);
    }

    /// <summary>A JSON value → PowerShell values (see the class comment).</summary>
    public static object? ToPS(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var obj = new PSObject();
                foreach (var p in element.EnumerateObject()) obj.Properties.Add(new PSNoteProperty(p.Name, ToPS(p.Value)));
                return obj;
            case JsonValueKind.Array:
                var list = new List<object?>(element.GetArrayLength());
                foreach (var item in element.EnumerateArray()) list.Add(ToPS(item));
                return list.ToArray();
            case JsonValueKind.String:
                return element.GetString();
            case JsonValueKind.Number:
                return element.TryGetInt64(out var l) ? l : element.GetDouble();
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            default:
                return null;
        }
    }

    /// <summary>ToPS of a nullable element (null stays null).</summary>
    public static object? ToPS(JsonElement? element) => element is { } e ? ToPS(e) : null;

    private static readonly Regex UrlQueryValue = new("([?&])([^=&#]+)=([^&#]*)", RegexOptions.Compiled | RegexOptions.CultureInvariant);

    /// <summary>
    /// A message as text for -Debug: a string is shown only under a field named in
    /// <paramref name="visibleFields"/> (or starting with one of <paramref name="visiblePrefixes"/>);
    /// under a URL field (<paramref name="urlFields"/>) its query values are REDACTED, api-version
    /// excepted; every other string is ***. For an array's items the field is the array's.
    /// The tables come from src/protocol.ts (DEBUG_VISIBLE_FIELDS, DEBUG_URL_FIELDS, the visible
    /// SESSION_VARIABLES) through module/Private/Protocol.generated.ps1.
    /// </summary>
    public static string Redact(byte[] json, ISet<string> visibleFields, string[] visiblePrefixes, ISet<string> urlFields)
    {
        using var doc = JsonDocument.Parse(json);
        var buffer = new ArrayBufferWriter<byte>(512);
        // Text for people, not HTML: '&' and '+' as they are (the default encoder writes \u0026);
        // control characters stay escaped, so a value cannot drive the terminal.
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            WriteRedacted(writer, doc.RootElement, "", visibleFields, visiblePrefixes, urlFields);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Redact of JSON text.</summary>
    public static string Redact(string json, ISet<string> visibleFields, string[] visiblePrefixes, ISet<string> urlFields) =>
        Redact(Encoding.UTF8.GetBytes(json), visibleFields, visiblePrefixes, urlFields);

    private static void WriteRedacted(Utf8JsonWriter writer, JsonElement element, string field, ISet<string> visible, string[] prefixes, ISet<string> urlFields)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var p in element.EnumerateObject())
                {
                    writer.WritePropertyName(p.Name);
                    WriteRedacted(writer, p.Value, p.Name, visible, prefixes, urlFields);
                }
                writer.WriteEndObject();
                return;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray()) WriteRedacted(writer, item, field, visible, prefixes, urlFields);
                writer.WriteEndArray();
                return;
            case JsonValueKind.String:
                if (field.Length > 0 && IsVisible(field, visible, prefixes)) element.WriteTo(writer);
                else if (field.Length > 0 && urlFields.Contains(field))
                    writer.WriteStringValue(UrlQueryValue.Replace(element.GetString() ?? "", m =>
                        m.Groups[2].Value == "api-version" ? m.Value : m.Groups[1].Value + m.Groups[2].Value + "=REDACTED"));
                else writer.WriteStringValue("***");
                return;
            default:
                element.WriteTo(writer);
                return;
        }
    }

    private static bool IsVisible(string field, ISet<string> visible, string[] prefixes)
    {
        if (visible.Contains(field)) return true;
        foreach (var prefix in prefixes) if (field.StartsWith(prefix, StringComparison.Ordinal)) return true;
        return false;
    }
}

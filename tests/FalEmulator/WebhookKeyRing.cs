using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using NSec.Cryptography;

namespace FalEmulator;

/// <summary>Ed25519 signing keys published in the JWKS; signs with the newest. Thread-safe.</summary>
internal sealed class WebhookKeyRing : IDisposable
{
    private static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;
    private readonly Lock _gate = new();
    private readonly List<(string Kid, Key Key)> _active = [];
    private readonly List<Key> _retired = [];
    private readonly Key _rogue = CreateKey();

    public WebhookKeyRing() => Rotate(retireOld: false);

    public IReadOnlyList<string> KeyIds
    {
        get
        {
            lock (_gate)
            {
                return _active.Select(k => k.Kid).ToList();
            }
        }
    }

    public string Rotate(bool retireOld)
    {
        var key = CreateKey();
        var kid = "emu-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        lock (_gate)
        {
            if (retireOld)
            {
                _retired.AddRange(_active.Select(k => k.Key));
                _active.Clear();
            }

            _active.Add((kid, key));
        }

        return kid;
    }

    public bool Retire(string kid)
    {
        lock (_gate)
        {
            var index = _active.FindIndex(k => k.Kid == kid);
            if (index < 0 || _active.Count == 1)
            {
                return false;
            }

            _retired.Add(_active[index].Key);
            _active.RemoveAt(index);
            return true;
        }
    }

    public byte[] PublicKey(string kid)
    {
        lock (_gate)
        {
            return _active.First(k => k.Kid == kid).Key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        }
    }

    public JsonObject Jwks()
    {
        var keys = new JsonArray();
        lock (_gate)
        {
            foreach (var (kid, key) in _active)
            {
                keys.Add(new JsonObject
                {
                    ["kty"] = "OKP",
                    ["crv"] = "Ed25519",
                    ["x"] = Base64Url(key.PublicKey.Export(KeyBlobFormat.RawPublicKey)),
                    ["kid"] = kid,
                    ["use"] = "sig",
                    ["alg"] = "EdDSA",
                });
            }
        }

        return new JsonObject { ["keys"] = keys };
    }

    /// <summary>Lowercase hex of the detached signature over request_id\nuser_id\ntimestamp\nhex(sha256(body)).</summary>
    public string Sign(string requestId, string userId, string timestamp, ReadOnlySpan<byte> body, bool wrongKey)
    {
        var message = BuildMessage(requestId, userId, timestamp, body);
        Key key;
        lock (_gate)
        {
            key = wrongKey ? _rogue : _active[^1].Key;
            return Convert.ToHexStringLower(Algorithm.Sign(key, message));
        }
    }

    public static byte[] BuildMessage(string requestId, string userId, string timestamp, ReadOnlySpan<byte> body) =>
        Encoding.UTF8.GetBytes($"{requestId}\n{userId}\n{timestamp}\n{Convert.ToHexStringLower(SHA256.HashData(body))}");

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var (_, key) in _active)
            {
                key.Dispose();
            }

            foreach (var key in _retired)
            {
                key.Dispose();
            }

            _active.Clear();
            _retired.Clear();
            _rogue.Dispose();
        }
    }

    private static Key CreateKey() =>
        Key.Create(Algorithm, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport });

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

using System.Security.Cryptography;

namespace Example.Docs
{
    public static class Snippets
    {
        public const string Legacy = @"var md5 = MD5.Create(); // avoid";
        public static string Raw = """
            using var rsa = RSA.Create(1024);
            var h = SHA1.HashData(data);
            """;
        public static string Name = nameof(Aes);
        public static string Interp(string x) => $"new HMACMD5({x}) is deprecated";
    }
}

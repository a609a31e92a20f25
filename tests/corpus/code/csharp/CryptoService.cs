using System;
using System.Security.Cryptography;
using System.Text;

namespace Example.Security
{
    public sealed class CryptoService
    {
        private const int RsaBits = 3072;

        public RSA NewRsa() => RSA.Create(RsaBits);

        public byte[] Sign(RSA rsa, byte[] data) =>
            rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);

        public ECDsa NewEcdsa() => ECDsa.Create(ECCurve.NamedCurves.nistP384);

        public ECDiffieHellman NewEcdh() => ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

        public byte[] Encrypt(byte[] key, byte[] iv, byte[] plaintext)
        {
            using var aes = Aes.Create();
            aes.KeySize = 256;
            aes.Mode = CipherMode.CBC;
            aes.Key = key;
            aes.IV = iv;
            return aes.CreateEncryptor().TransformFinalBlock(plaintext, 0, plaintext.Length);
        }

        public byte[] Seal(byte[] key, byte[] nonce, byte[] plaintext, byte[] tag)
        {
            using var gcm = new AesGcm(key, 16);
            var ciphertext = new byte[plaintext.Length];
            gcm.Encrypt(nonce, plaintext, ciphertext, tag);
            return ciphertext;
        }

        public byte[] Hash(byte[] data) => SHA256.HashData(data);

        public byte[] LegacyHash(byte[] data)
        {
            using var md5 = MD5.Create();
            return md5.ComputeHash(data);
        }

        public byte[] Sha1(byte[] data)
        {
            using var sha = new SHA1Managed();
            return sha.ComputeHash(data);
        }

        public byte[] Mac(byte[] key, byte[] data)
        {
            using var hmac = new HMACSHA256(key);
            return hmac.ComputeHash(data);
        }

        public byte[] PasswordKey(string password, byte[] salt) =>
            Rfc2898DeriveBytes.Pbkdf2(password, salt, 600000, HashAlgorithmName.SHA256, 32);

        public byte[] Expand(byte[] ikm) => HKDF.DeriveKey(HashAlgorithmName.SHA384, ikm, 32);

        public ChaCha20Poly1305 Stream(byte[] key) => new ChaCha20Poly1305(key);
    }
}

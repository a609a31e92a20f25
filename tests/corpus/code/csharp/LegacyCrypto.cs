using System.Security.Cryptography;

namespace Example.Legacy
{
    internal static class LegacyCrypto
    {
        public static byte[] TripleDes(byte[] key, byte[] data)
        {
            using (var tdes = new TripleDESCryptoServiceProvider())
            {
                tdes.Key = key;
                tdes.Mode = CipherMode.ECB;
                return tdes.CreateEncryptor().TransformFinalBlock(data, 0, data.Length);
            }
        }

        public static byte[] Des(byte[] key, byte[] data)
        {
            var des = DES.Create();
            des.Key = key;
            return des.CreateEncryptor().TransformFinalBlock(data, 0, data.Length);
        }

        public static RijndaelManaged Rijndael() => new RijndaelManaged { KeySize = 128, Mode = CipherMode.ECB };

        public static RSACryptoServiceProvider OldRsa() => new RSACryptoServiceProvider(1024);

        public static DSA OldDsa() => DSA.Create(1024);

        public static byte[] Pbkdf1(string pw, byte[] salt)
        {
            using var kdf = new Rfc2898DeriveBytes(pw, salt, 1000);
            return kdf.GetBytes(16);
        }

        public static HashAlgorithm ByName() => HashAlgorithm.Create("SHA1");

        public static byte[] Md5Mac(byte[] key, byte[] data) => new HMACMD5(key).ComputeHash(data);
    }
}

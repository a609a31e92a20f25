using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;

namespace Example.Pqc
{
    public static class PostQuantum
    {
        public static MLKem Kem() => MLKem.GenerateKey(MLKemAlgorithm.MLKem768);

        public static MLDsa Dsa() => MLDsa.GenerateKey(MLDsaAlgorithm.MLDsa65);

        public static IBufferedCipher BcCipher() => CipherUtilities.GetCipher("AES/GCM/NoPadding");

        public static ISigner BcSigner() => SignerUtilities.GetSigner("SHA256withECDSA");

        public static IDigest BcDigest() => DigestUtilities.GetDigest("SHA-512");
    }
}

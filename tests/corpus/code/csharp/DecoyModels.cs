using System;
using System.Security.Cryptography;

namespace Example.Models
{
    // Do not call MD5.Create() here; RSA.Create(1024) is also forbidden.
    /* SHA1.Create() */
    public class Listing
    {
        public string Description { get; set; } = "";
        public string Address { get; set; } = "";
        public bool RsaEnabled { get; set; }
        public int DesCount { get; set; }
        public string Help => @"Use Aes.Create() with KeySize = 256 (see ""docs"")";
        public string Hint => $"SHA256.HashData({Description}) is an example";
    }

    public static class Aesthetics
    {
        public static Listing Create() => new Listing();
    }
}

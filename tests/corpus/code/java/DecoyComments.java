package com.example.util;

/**
 * Utility class.
 * Do not use {@code Cipher.getInstance("DES/ECB/PKCS5Padding")}; see the migration guide.
 * <pre>
 *   MessageDigest md = MessageDigest.getInstance("MD5");
 * </pre>
 */
public class DecoyComments {
    // KeyPairGenerator.getInstance("RSA").initialize(1024);
    /* Signature.getInstance("SHA1withRSA") was removed in 2.0 */
    public int add(int a, int b) {
        return a + b; // new SHA1Digest() used to live here
    }
}

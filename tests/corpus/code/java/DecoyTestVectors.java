package com.example.crypto;

/** FIPS 180-4 test vectors, used by a hex formatter test. No digest is computed. */
final class DecoyTestVectors {
    static final String SHA256_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    static final String MD5_EMPTY = "d41d8cd98f00b204e9800998ecf8427e";
    static final byte[] AES_128_KEY = {0x2b, 0x7e, 0x15, 0x16};
    static final String[] NAMES = {"SHA-256", "MD5", "AES/ECB/NoPadding"};
}

package com.example.crypto;

import java.math.BigInteger;
import java.security.SecureRandom;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA1Digest;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.engines.DESedeEngine;
import org.bouncycastle.crypto.generators.RSAKeyPairGenerator;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.modes.CBCBlockCipher;
import org.bouncycastle.crypto.params.RSAKeyGenerationParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.bouncycastle.crypto.agreement.X25519Agreement;

/** Bouncy Castle lightweight API usage. */
public class BouncyCastleExample {

    AsymmetricCipherKeyPair rsa() {
        RSAKeyPairGenerator gen = new RSAKeyPairGenerator();
        gen.init(new RSAKeyGenerationParameters(BigInteger.valueOf(65537), new SecureRandom(), 4096, 80));
        return gen.generateKeyPair();
    }

    byte[] digest(byte[] in) {
        SHA256Digest d = new SHA256Digest();
        d.update(in, 0, in.length);
        byte[] out = new byte[d.getDigestSize()];
        d.doFinal(out, 0);
        return out;
    }

    HMac mac() {
        return new HMac(new SHA1Digest());
    }

    CBCBlockCipher aesCbc() {
        return new CBCBlockCipher(new AESEngine());
    }

    DESedeEngine tdes() {
        return new DESedeEngine();
    }

    ECDSASigner ecdsa() {
        return new ECDSASigner();
    }

    Ed25519Signer ed() {
        return new Ed25519Signer();
    }

    X25519Agreement x25519() {
        return new X25519Agreement();
    }
}

package com.example.crypto;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.NamedParameterSpec;
import javax.crypto.KEM;

/** JDK 24 post-quantum APIs next to classical ones. */
public class PostQuantum {

    KeyPair mlkem() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("ML-KEM");
        g.initialize(NamedParameterSpec.ML_KEM_768);
        return g.generateKeyPair();
    }

    KEM kem() throws Exception {
        return KEM.getInstance("ML-KEM");
    }

    Signature mldsa() throws Exception {
        return Signature.getInstance("ML-DSA-65");
    }

    KeyPair ed25519() throws Exception {
        return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    }

    KeyPair x25519() throws Exception {
        return KeyPairGenerator.getInstance("X25519").generateKeyPair();
    }

    KeyPair dsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("DSA");
        g.initialize(1024);
        return g.generateKeyPair();
    }
}

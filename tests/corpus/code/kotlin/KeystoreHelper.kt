package com.example.app.security

import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import java.security.KeyPairGenerator
import javax.crypto.Cipher
import javax.crypto.KeyAgreement
import javax.crypto.KeyGenerator

class KeystoreHelper {
    fun deviceKey() {
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, "AndroidKeyStore")
        generator.init(
            KeyGenParameterSpec.Builder("device", KeyProperties.PURPOSE_ENCRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .build()
        )
        generator.generateKey()
    }

    fun rsaOaep(): Cipher = Cipher.getInstance("RSA/ECB/OAEPWithSHA-1AndMGF1Padding")

    fun agreement(): KeyAgreement = KeyAgreement.getInstance("X25519")

    fun dh(): java.security.KeyPair {
        val kpg = KeyPairGenerator.getInstance("DH")
        kpg.initialize(2048)
        return kpg.generateKeyPair()
    }

    fun chacha(): Cipher = Cipher.getInstance("ChaCha20-Poly1305")
}

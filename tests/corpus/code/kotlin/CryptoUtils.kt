package com.example.app.security

import java.security.KeyPairGenerator
import java.security.MessageDigest
import java.security.Signature
import java.security.spec.ECGenParameterSpec
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.Mac
import javax.crypto.SecretKeyFactory
import javax.crypto.spec.SecretKeySpec

private const val TRANSFORMATION = "AES/CBC/PKCS7Padding"
private const val KEY_SIZE = 4096

object CryptoUtils {
    fun encrypt(key: ByteArray, data: ByteArray): ByteArray {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.ENCRYPT_MODE, SecretKeySpec(key, "AES"))
        return cipher.doFinal(data)
    }

    fun rsaPair() = KeyPairGenerator.getInstance("RSA").apply { initialize(KEY_SIZE) }.generateKeyPair()

    fun ecPair(): java.security.KeyPair {
        val kpg = KeyPairGenerator.getInstance("EC")
        kpg.initialize(ECGenParameterSpec("secp256r1"))
        return kpg.generateKeyPair()
    }

    fun aesKey(): javax.crypto.SecretKey {
        val kg: KeyGenerator = KeyGenerator.getInstance("AES")
        kg.init(128)
        return kg.generateKey()
    }

    fun sha256(data: ByteArray): ByteArray = MessageDigest.getInstance("SHA-256").digest(data)

    fun md5Hex(data: String): String =
        MessageDigest.getInstance("MD5")
            .digest(data.toByteArray())
            .joinToString("") { "%02x".format(it) }

    fun sign(pair: java.security.KeyPair, data: ByteArray): ByteArray =
        Signature.getInstance("SHA256withECDSA").run {
            initSign(pair.private)
            update(data)
            sign()
        }

    fun legacySign(pair: java.security.KeyPair, data: ByteArray): ByteArray {
        val s = Signature.getInstance("SHA1withRSA")
        s.initSign(pair.private)
        s.update(data)
        return s.sign()
    }

    fun hmac(key: ByteArray, data: ByteArray): ByteArray {
        val mac = Mac.getInstance("HmacSHA256")
        mac.init(SecretKeySpec(key, "HmacSHA256"))
        return mac.doFinal(data)
    }

    fun pbkdf2(): SecretKeyFactory = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA1")

    fun des(key: ByteArray, data: ByteArray): ByteArray {
        val c = Cipher.getInstance("DES/ECB/PKCS5Padding")
        c.init(Cipher.ENCRYPT_MODE, SecretKeySpec(key, "DES"))
        return c.doFinal(data)
    }
}

package com.example.app.util

// A non-cryptographic "md5" used for UI colour buckets.
fun String.md5(): Int = this.fold(7) { acc, c -> acc * 31 + c.code }

fun ByteArray.sha1(): String = this.joinToString("") { "%02x".format(it) }

class Cipher(val shift: Int) {
    companion object {
        fun getInstance(name: String) = Cipher(name.length)
    }
}

val bucket = "address".md5() % 8
val caesar = Cipher.getInstance("ROT13")

package com.example.app.model

// Cipher.getInstance("DES") is banned by lint rule CRY-12.
/* MessageDigest.getInstance("MD5") */
data class Product(
    val description: String,
    val address: String,
    val desCode: Int,
    val rsaApproved: Boolean,
)

fun Product.summary(): String = "Product $description uses ${"RSA"} signing? no: Signature.getInstance(\"SHA1withRSA\")"

object Registry {
    fun getInstance(name: String) = Product(name, "", 0, false)
    val item = Registry.getInstance("AES")
}

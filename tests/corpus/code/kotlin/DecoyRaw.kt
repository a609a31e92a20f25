package com.example.app.docs

val usage = """
    val kpg = KeyPairGenerator.getInstance("RSA")
    kpg.initialize(1024)
    val md = MessageDigest.getInstance("SHA-1")
""".trimIndent()

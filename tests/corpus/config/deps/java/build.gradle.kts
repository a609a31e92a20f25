plugins {
    kotlin("jvm") version "2.0.0"
}

dependencies {
    implementation("com.google.crypto.tink:tink:1.21.0")
    implementation("org.bouncycastle:bcprov-jdk15on:1.70")
}

//! TLS-adjacent helpers using ring and aws-lc-rs.

use ring::{aead, agreement, digest, hmac, rand, signature};
use aws_lc_rs::kem;

pub fn ecdsa_key(rng: &rand::SystemRandom) -> signature::EcdsaKeyPair {
    let pkcs8 = signature::EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P384_SHA384_ASN1_SIGNING, rng).unwrap();
    signature::EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P384_SHA384_ASN1_SIGNING, pkcs8.as_ref(), rng).unwrap()
}

pub fn ed_key(rng: &rand::SystemRandom) -> signature::Ed25519KeyPair {
    let doc = signature::Ed25519KeyPair::generate_pkcs8(rng).unwrap();
    signature::Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap()
}

pub fn verify_rsa(public_key: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    let key = signature::UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, public_key);
    key.verify(msg, sig).is_ok()
}

pub fn x25519(rng: &rand::SystemRandom) -> agreement::EphemeralPrivateKey {
    agreement::EphemeralPrivateKey::generate(&agreement::X25519, rng).unwrap()
}

pub fn sealing_key(bytes: &[u8]) -> aead::LessSafeKey {
    let unbound = aead::UnboundKey::new(&aead::AES_128_GCM, bytes).unwrap();
    aead::LessSafeKey::new(unbound)
}

pub fn fingerprint(data: &[u8]) -> digest::Digest {
    digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, data)
}

pub fn tag(key: &[u8], data: &[u8]) -> hmac::Tag {
    let k = hmac::Key::new(hmac::HMAC_SHA512, key);
    hmac::sign(&k, data)
}

pub fn pq_kem() -> kem::DecapsulationKey {
    kem::DecapsulationKey::generate(&kem::ML_KEM_768).unwrap()
}

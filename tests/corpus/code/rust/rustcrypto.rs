//! Signing service built on the RustCrypto crates.

use aes_gcm::{aead::Aead, Aes256Gcm, KeyInit, Nonce};
use chacha20poly1305::ChaCha20Poly1305;
use ed25519_dalek::SigningKey as EdSigningKey;
use hmac::{Hmac, Mac};
use k256::ecdsa::SigningKey as K256SigningKey;
use p256::ecdsa::{signature::Signer, Signature, SigningKey};
use p384::ecdh::EphemeralSecret;
use rand_core::OsRng;
use rsa::{Oaep, Pkcs1v15Sign, RsaPrivateKey};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use x25519_dalek::{EphemeralSecret as XSecret, PublicKey};

type HmacSha256 = Hmac<Sha256>;

const RSA_BITS: usize = 2048;

pub fn rsa_key() -> RsaPrivateKey {
    let mut rng = rand::thread_rng();
    RsaPrivateKey::new(&mut rng, RSA_BITS).expect("keygen")
}

pub fn rsa_sign(key: &RsaPrivateKey, digest: &[u8]) -> Vec<u8> {
    key.sign(Pkcs1v15Sign::new::<Sha256>(), digest).unwrap()
}

pub fn rsa_encrypt(key: &RsaPrivateKey, msg: &[u8]) -> Vec<u8> {
    let mut rng = rand::thread_rng();
    key.to_public_key().encrypt(&mut rng, Oaep::new::<Sha512>(), msg).unwrap()
}

pub fn p256_sign(msg: &[u8]) -> Signature {
    let key = SigningKey::random(&mut OsRng);
    key.sign(msg)
}

pub fn k256_key() -> K256SigningKey {
    K256SigningKey::random(&mut OsRng)
}

pub fn p384_ecdh() -> EphemeralSecret {
    EphemeralSecret::random(&mut OsRng)
}

pub fn ed_key() -> EdSigningKey {
    EdSigningKey::generate(&mut OsRng)
}

pub fn x_key() -> PublicKey {
    let secret = XSecret::random_from_rng(OsRng);
    PublicKey::from(&secret)
}

pub fn seal(key: &[u8; 32], nonce: &[u8; 12], msg: &[u8]) -> Vec<u8> {
    let cipher = Aes256Gcm::new_from_slice(key).unwrap();
    cipher.encrypt(Nonce::from_slice(nonce), msg).unwrap()
}

pub fn chacha(key: &[u8; 32]) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new(key.into())
}

pub fn digest(data: &[u8]) -> Vec<u8> {
    Sha256::digest(data).to_vec()
}

pub fn legacy_fingerprint(data: &[u8]) -> Vec<u8> {
    let mut h = Sha1::new();
    h.update(data);
    h.finalize().to_vec()
}

pub fn tag(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

pub fn password_key(pw: &[u8], salt: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(pw, salt, 600_000, &mut out);
    out
}

pub fn argon(pw: &[u8], salt: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    argon2::Argon2::default().hash_password_into(pw, salt, &mut out).unwrap();
    out
}

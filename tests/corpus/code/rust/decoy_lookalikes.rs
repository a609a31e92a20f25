//! Domain types whose names look like crypto.
//!
//! ```
//! let key = RsaPrivateKey::new(&mut rng, 1024).unwrap();
//! let h = Sha256::digest(b"abc");
//! ```

/// Not sha2::Sha256: a wrapper for a product code.
pub struct Sha256(pub String);

impl Sha256 {
    pub fn new() -> Self {
        Sha256(String::new())
    }
}

pub struct SigningKey {
    pub description: String,
    pub address: String,
}

impl SigningKey {
    pub fn random(description: &str) -> Self {
        SigningKey { description: description.into(), address: String::new() }
    }
}

pub fn demo() -> (Sha256, SigningKey, &'static str) {
    let help = r#"use Aes256Gcm::new(&key) and Md5::new()"#;
    (Sha256::new(), SigningKey::random("des"), help)
}

//! A local module that shadows a crate name.

mod md5 {
    pub fn compute(data: &[u8]) -> u32 {
        data.iter().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(*b as u32))
    }
}

mod sha2 {
    pub struct Sha256;
    impl Sha256 {
        pub fn new() -> Self {
            Sha256
        }
    }
}

pub fn bucket(address: &str) -> u32 {
    let _ = sha2::Sha256::new();
    md5::compute(address.as_bytes()) % 16
}

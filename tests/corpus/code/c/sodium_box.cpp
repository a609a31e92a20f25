// libsodium wrappers for the messaging client.
#include <sodium.h>
#include <vector>

namespace msg {

void keypair(unsigned char *pk, unsigned char *sk) {
    crypto_box_keypair(pk, sk);
}

int seal(unsigned char *c, const unsigned char *m, unsigned long long n, const unsigned char *nonce,
         const unsigned char *pk, const unsigned char *sk) {
    return crypto_box_easy(c, m, n, nonce, pk, sk);
}

int secret(unsigned char *c, const unsigned char *m, unsigned long long n, const unsigned char *nonce, const unsigned char *k) {
    return crypto_secretbox_easy(c, m, n, nonce, k);
}

void identity(unsigned char *pk, unsigned char *sk) {
    crypto_sign_keypair(pk, sk);
}

int aead(unsigned char *c, unsigned long long *clen, const unsigned char *m, unsigned long long mlen,
         const unsigned char *npub, const unsigned char *k) {
    return crypto_aead_xchacha20poly1305_ietf_encrypt(c, clen, m, mlen, nullptr, 0, nullptr, npub, k);
}

void fingerprint(unsigned char *out, const unsigned char *in, unsigned long long n) {
    crypto_generichash(out, crypto_generichash_BYTES, in, n, nullptr, 0);
}

int password(unsigned char *out, const char *pw, const unsigned char *salt) {
    return crypto_pwhash(out, 32, pw, strlen(pw), salt, crypto_pwhash_OPSLIMIT_MODERATE,
                         crypto_pwhash_MEMLIMIT_MODERATE, crypto_pwhash_ALG_ARGON2ID13);
}

int gcm(unsigned char *c, unsigned long long *clen, const unsigned char *m, unsigned long long mlen,
        const unsigned char *npub, const unsigned char *k) {
    return crypto_aead_aes256gcm_encrypt(c, clen, m, mlen, nullptr, 0, nullptr, npub, k);
}

}  // namespace msg

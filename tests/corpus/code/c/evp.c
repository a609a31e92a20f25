/* Envelope encryption and signing with OpenSSL 3. */
#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>

#define RSA_BITS 3072

int encrypt_gcm(const unsigned char *key, const unsigned char *iv, const unsigned char *in, int inl, unsigned char *out)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0;
    if (!EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, iv))
        return -1;
    EVP_EncryptUpdate(ctx, out, &len, in, inl);
    EVP_CIPHER_CTX_free(ctx);
    return len;
}

int legacy_cbc(EVP_CIPHER_CTX *ctx, const unsigned char *key, const unsigned char *iv)
{
    return EVP_EncryptInit_ex(ctx, EVP_des_ede3_cbc(), NULL, key, iv);
}

int digest_sha1(const void *data, size_t n, unsigned char *md, unsigned int *mdlen)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    EVP_DigestInit_ex(c, EVP_sha1(), NULL);
    EVP_DigestUpdate(c, data, n);
    EVP_DigestFinal_ex(c, md, mdlen);
    EVP_MD_CTX_free(c);
    return 1;
}

unsigned char *mac(const unsigned char *key, int keylen, const unsigned char *d, size_t n, unsigned char *out, unsigned int *outlen)
{
    return HMAC(EVP_sha256(), key, keylen, d, n, out, outlen);
}

EVP_PKEY *rsa_keygen(void)
{
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL);
    EVP_PKEY_keygen_init(ctx);
    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, RSA_BITS);
    EVP_PKEY_keygen(ctx, &pkey);
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

EVP_PKEY *ec_keygen(void)
{
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
    EVP_PKEY_keygen_init(ctx);
    EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, NID_secp384r1);
    EVP_PKEY_keygen(ctx, &pkey);
    return pkey;
}

EVP_PKEY *ed25519_keygen(void)
{
    return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
}

EVP_PKEY *rsa_quick(void)
{
    return EVP_RSA_gen(2048);
}

EVP_PKEY *ec_quick(void)
{
    return EVP_EC_gen("P-521");
}

EVP_MD *fetch_digest(OSSL_LIB_CTX *libctx)
{
    return EVP_MD_fetch(libctx, "SHA3-512", NULL);
}

const EVP_CIPHER *by_name(void)
{
    return EVP_get_cipherbyname("aes-128-cbc");
}

int derive(const char *pw, const unsigned char *salt, unsigned char *out)
{
    return PKCS5_PBKDF2_HMAC(pw, -1, salt, 16, 100000, EVP_sha512(), 32, out);
}

void tls_setup(SSL_CTX *ctx)
{
    SSL_CTX_set1_groups_list(ctx, "X25519MLKEM768:X25519:secp256r1");
}

/* Legacy OpenSSL 1.0 code kept for the HSM bridge. */
#include <string.h>
#include <openssl/aes.h>
#include <openssl/des.h>
#include <openssl/md5.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/rc4.h>
#include <openssl/dh.h>

RSA *make_rsa(void)
{
    RSA *rsa = RSA_new();
    BIGNUM *e = BN_new();
    BN_set_word(e, RSA_F4);
    RSA_generate_key_ex(rsa, 1024, e, NULL);
    return rsa;
}

int rsa_encrypt(RSA *rsa, const unsigned char *in, int n, unsigned char *out)
{
    return RSA_public_encrypt(n, in, out, rsa, RSA_PKCS1_PADDING);
}

void aes_block(const unsigned char *key, const unsigned char *in, unsigned char *out)
{
    AES_KEY k;
    AES_set_encrypt_key(key, 128, &k);
    AES_encrypt(in, out, &k);
}

void des_block(DES_cblock *key, DES_cblock *in, DES_cblock *out)
{
    DES_key_schedule ks;
    DES_set_key_unchecked(key, &ks);
    DES_ecb_encrypt(in, out, &ks, DES_ENCRYPT);
}

void checksums(const unsigned char *d, size_t n, unsigned char *md5, unsigned char *sha)
{
    MD5(d, n, md5);
    SHA256(d, n, sha);
}

void sha1_stream(SHA_CTX *c)
{
    SHA1_Init(c);
}

EC_KEY *make_ec(void)
{
    EC_KEY *k = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
    EC_KEY_generate_key(k);
    return k;
}

ECDSA_SIG *ec_sign(const unsigned char *dgst, int n, EC_KEY *k)
{
    return ECDSA_do_sign(dgst, n, k);
}

void stream(RC4_KEY *k, const unsigned char *key)
{
    RC4_set_key(k, 16, key);
}

DH *dh_params(void)
{
    DH *dh = DH_new();
    DH_generate_parameters_ex(dh, 2048, DH_GENERATOR_2, NULL);
    return dh;
}

/* Project hashing helpers: NOT cryptographic. */
#ifndef PROJECT_HASH_H
#define PROJECT_HASH_H

/* EVP_md5() and RSA_generate_key_ex(rsa, 512, e, NULL) appear in the old docs only. */
#define MD5(x) ((x) * 31u)
#define SHA1(x) ((x) ^ 0x5bd1e995u)

static inline unsigned int SHA256(const char *s) {
    unsigned int h = 0;
    while (*s) h = h * 131u + (unsigned char)*s++;
    return h;
}

unsigned int describe_address(const char *description, const char *address);
int des_count(void);
#endif

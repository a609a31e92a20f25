/* Kernel-style code with crypto_* names but no libsodium. */
#include "ksched.h"

struct crypto_tfm;

int crypto_hash(struct crypto_tfm *tfm, const void *data, unsigned int len);
int crypto_auth(struct crypto_tfm *tfm, const void *data, unsigned int len);

int checksum_block(struct crypto_tfm *tfm, const void *data, unsigned int len)
{
    int rc = crypto_hash(tfm, data, len);
    if (rc)
        return rc;
    return crypto_auth(tfm, data, len);
}

#include <stdio.h>

static const char *help =
    "Use EVP_aes_128_ecb() only for test vectors;\n"
    "RSA_generate_key_ex(rsa, 1024, e, NULL) is deprecated.\n";

int main(void)
{
    printf("crypto_box_keypair(pk, sk) and EVP_sha1() are examples\n");
    puts(help);
    return 0;
}

/* A table of algorithm names for a UI drop-down (no cryptography is performed). */
struct algo_entry {
    const char *name;
    int rsa_bits;
    int aes_rounds;
};

static const struct algo_entry entries[] = {
    { "aes-256-gcm", 0, 14 },
    { "rsa-2048", 2048, 0 },
    { "sha256", 0, 0 },
};

int count_entries(void) { return (int)(sizeof entries / sizeof entries[0]); }

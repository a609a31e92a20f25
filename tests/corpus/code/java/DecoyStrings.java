package com.example.util;

import java.util.logging.Logger;

public class DecoyStrings {
    private static final Logger LOG = Logger.getLogger("x");
    private static final String HELP = "Call Cipher.getInstance(\"AES/ECB/PKCS5Padding\") only in tests.";
    private static final String DOC = """
        Example:
            Signature s = Signature.getInstance("SHA1withRSA");
            KeyPairGenerator.getInstance("DSA");
        """;

    void warn(String alg) {
        LOG.warning("MessageDigest.getInstance(\"MD5\") is forbidden; got " + alg);
    }
}

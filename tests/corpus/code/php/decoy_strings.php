<?php

$examples = [
    'legacy' => "md5(\$password)",
    'modern' => 'password_hash($password, PASSWORD_BCRYPT)',
    'cipher' => "openssl_encrypt(\$data, 'aes-128-ecb', \$key)",
];

foreach ($examples as $name => $code) {
    printf("%s: %s\n", $name, $code);
}

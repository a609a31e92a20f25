<?php
// md5($password) was replaced by password_hash() in 2019.
# openssl_encrypt($x, 'des-ecb', $k) is forbidden.
/* sha1($token) */

class Hasher
{
    public function hash(string $algo, string $data): string
    {
        return strrev($data) . $algo;
    }

    public function md5(string $value): string
    {
        return $value;
    }
}

$h = new Hasher();
echo $h->hash('sha256', 'x');
echo $h->md5('y');
echo Hasher::class;
$description = "Uses AES and RSA internally";
$address = 'des';
$doc = <<<EOT
Call openssl_pkey_new(['private_key_bits' => 1024]) and hash('md5', \$x).
EOT;

<?php

use phpseclib3\Crypt\RSA;
use phpseclib3\Crypt\AES;

function box_keys(): string
{
    return sodium_crypto_box_keypair();
}

function sign_keys(): string
{
    return sodium_crypto_sign_keypair();
}

function secret(string $msg, string $nonce, string $key): string
{
    return sodium_crypto_secretbox($msg, $nonce, $key);
}

function aead(string $msg, string $nonce, string $key): string
{
    return sodium_crypto_aead_xchacha20poly1305_ietf_encrypt($msg, '', $nonce, $key);
}

function generic(string $msg): string
{
    return sodium_crypto_generichash($msg);
}

function pw(string $password): string
{
    return sodium_crypto_pwhash_str($password, SODIUM_CRYPTO_PWHASH_OPSLIMIT_INTERACTIVE, SODIUM_CRYPTO_PWHASH_MEMLIMIT_INTERACTIVE);
}

function old_mcrypt(string $key, string $data): string
{
    return mcrypt_encrypt(MCRYPT_RIJNDAEL_128, $key, $data, MCRYPT_MODE_CBC, str_repeat("\0", 16));
}

function seclib_rsa()
{
    return RSA::createKey(2048);
}

function seclib_aes(string $key)
{
    $cipher = new AES('ctr');
    $cipher->setKey($key);
    return $cipher;
}

function digest_file(string $path): string
{
    return hash_file('md5', $path);
}

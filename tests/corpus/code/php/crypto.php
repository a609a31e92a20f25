<?php
declare(strict_types=1);

namespace App\Security;

final class Crypto
{
    private const CIPHER = 'aes-256-gcm';

    public function encrypt(string $plaintext, string $key): string
    {
        $iv = random_bytes(12);
        $tag = '';
        $ct = openssl_encrypt($plaintext, self::CIPHER, $key, OPENSSL_RAW_DATA, $iv, $tag);
        return $iv . $tag . $ct;
    }

    public function legacyEncrypt(string $data, string $key): string
    {
        return openssl_encrypt($data, 'des-ede3-cbc', $key, 0, substr($key, 0, 8));
    }

    public function ecb(string $data, string $key): string
    {
        return openssl_encrypt($data, 'AES-128-ECB', $key);
    }

    public function newRsaKey()
    {
        $config = [
            'private_key_bits' => 4096,
            'private_key_type' => OPENSSL_KEYTYPE_RSA,
        ];
        return openssl_pkey_new($config);
    }

    public function newEcKey()
    {
        return openssl_pkey_new(['private_key_type' => OPENSSL_KEYTYPE_EC, 'curve_name' => 'secp384r1']);
    }

    public function sign(string $data, $key): string
    {
        openssl_sign($data, $signature, $key, OPENSSL_ALGO_SHA256);
        return $signature;
    }

    public function legacySign(string $data, $key): string
    {
        openssl_sign($data, $signature, $key);
        return $signature;
    }

    public function wrap(string $key, $publicKey): string
    {
        openssl_public_encrypt($key, $wrapped, $publicKey, OPENSSL_PKCS1_OAEP_PADDING);
        return $wrapped;
    }

    public function fingerprint(string $data): string
    {
        return hash('sha256', $data);
    }

    public function etag(string $data): string
    {
        return md5($data);
    }

    public function legacyId(string $data): string
    {
        return sha1($data);
    }

    public function mac(string $data, string $key): string
    {
        return hash_hmac('sha512', $data, $key);
    }

    public function passwordKey(string $password, string $salt): string
    {
        return hash_pbkdf2('sha256', $password, $salt, 600000, 32, true);
    }

    public function expand(string $ikm): string
    {
        return hash_hkdf('sha384', $ikm, 32, 'context');
    }

    public function storePassword(string $password): string
    {
        return password_hash($password, PASSWORD_ARGON2ID);
    }

    public function storePasswordDefault(string $password): string
    {
        return password_hash($password, PASSWORD_DEFAULT);
    }
}

<?php
/** Helpers with crypto-looking names. */

function my_md5(string $s): string { return strrev($s); }
function wp_hash(string $s): string { return base64_encode($s); }

class Token
{
    public static function sha1(string $v): string { return $v; }
    public static function hash(string $algo, string $v): string { return $algo . $v; }
}

echo my_md5('a'), wp_hash('b'), Token::sha1('c'), Token::hash('sha256', 'd');

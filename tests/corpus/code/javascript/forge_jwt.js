import forge from 'node-forge';
import jwt from 'jsonwebtoken';
import CryptoJS from 'crypto-js';
import nacl from 'tweetnacl';

export function forgeRsa() {
  return forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 });
}

export function forgeSha1(text) {
  const md = forge.md.sha1.create();
  md.update(text, 'utf8');
  return md.digest().toHex();
}

export function forgeAes(key, iv, data) {
  const cipher = forge.cipher.createCipher('AES-CBC', key);
  cipher.start({ iv });
  cipher.update(forge.util.createBuffer(data));
  cipher.finish();
  return cipher.output;
}

export function forgeHmac(key, data) {
  const hmac = forge.hmac.create();
  hmac.start('sha256', key);
  hmac.update(data);
  return hmac.digest().toHex();
}

export function issue(payload, privateKey) {
  return jwt.sign(payload, privateKey, { algorithm: 'ES384', expiresIn: '1h' });
}

export function check(token, secret) {
  return jwt.verify(token, secret, { algorithms: ['HS256'] });
}

export function cryptoJsEncrypt(text, passphrase) {
  return CryptoJS.AES.encrypt(text, passphrase).toString();
}

export function cryptoJsMd5(text) {
  return CryptoJS.MD5(text).toString();
}

export function naclBox(msg, nonce, theirPublic, mySecret) {
  return nacl.box(msg, nonce, theirPublic, mySecret);
}

export function naclSign(msg, secretKey) {
  return nacl.sign.detached(msg, secretKey);
}

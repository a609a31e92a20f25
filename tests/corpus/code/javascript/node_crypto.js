'use strict';

const crypto = require('crypto');
const { createHash, scryptSync } = require('node:crypto');

const ALGORITHM = 'aes-256-gcm';

function etag(body) {
  return createHash('md5').update(body).digest('hex');
}

function contentId(body) {
  return crypto.createHash('sha256').update(body).digest('base64url');
}

function signWebhook(secret, body) {
  return crypto.createHmac('sha1', secret).update(body).digest('hex');
}

function encrypt(key, plaintext) {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv(ALGORITHM, key, iv);
  return Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function legacyDecrypt(key, iv, data) {
  const decipher = crypto.createDecipheriv('des-ede3-cbc', key, iv);
  return Buffer.concat([decipher.update(data), decipher.final()]);
}

function newRsaKeys() {
  return crypto.generateKeyPairSync('rsa', {
    modulusLength: 4096,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

function newEcKeys(cb) {
  crypto.generateKeyPair('ec', { namedCurve: 'P-256' }, cb);
}

function newEdKeys() {
  return crypto.generateKeyPairSync('ed25519');
}

function sign(privateKey, data) {
  const signer = crypto.createSign('RSA-SHA256');
  signer.update(data);
  return signer.sign(privateKey, 'base64');
}

function ecdh() {
  const alice = crypto.createECDH('secp384r1');
  return alice.generateKeys();
}

function dh() {
  return crypto.getDiffieHellman('modp14');
}

function passwordKey(password, salt) {
  return crypto.pbkdf2Sync(password, salt, 210000, 32, 'sha512');
}

function scryptKey(password, salt) {
  return scryptSync(password, salt, 64);
}

function wrapKey(publicKey, key) {
  return crypto.publicEncrypt(publicKey, key);
}

module.exports = { etag, contentId, signWebhook, encrypt, legacyDecrypt, newRsaKeys, newEcKeys, newEdKeys, sign, ecdh, dh, passwordKey, scryptKey, wrapKey };

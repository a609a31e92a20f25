# frozen_string_literal: true

require 'openssl'
require 'digest'
require 'base64'

module Vault
  # Encryption helpers for stored secrets.
  class Crypto
    RSA_BITS = 3072

    def self.rsa_key
      OpenSSL::PKey::RSA.new(RSA_BITS)
    end

    def self.legacy_rsa
      OpenSSL::PKey::RSA.generate(1024)
    end

    def self.ec_key
      OpenSSL::PKey::EC.generate('prime256v1')
    end

    def self.ed_key
      OpenSSL::PKey.generate_key('ED25519')
    end

    def self.dh
      OpenSSL::PKey::DH.new(2048)
    end

    def self.encrypt(key, iv, data)
      cipher = OpenSSL::Cipher.new('aes-256-gcm')
      cipher.encrypt
      cipher.key = key
      cipher.iv = iv
      cipher.update(data) + cipher.final
    end

    def self.legacy_encrypt(key, data)
      cipher = OpenSSL::Cipher::AES.new(128, :ECB)
      cipher.encrypt
      cipher.key = key
      cipher.update(data) + cipher.final
    end

    def self.des(key, data)
      c = OpenSSL::Cipher.new('des-ede3-cbc')
      c.encrypt
      c.key = key
      c.update(data) + c.final
    end

    def self.sign(key, data)
      key.sign(OpenSSL::Digest::SHA256.new, data)
    end

    def self.sha1(data)
      OpenSSL::Digest.new('SHA1').hexdigest(data)
    end

    def self.etag(data)
      Digest::MD5.hexdigest(data)
    end

    def self.checksum(data)
      Digest::SHA512.hexdigest(data)
    end

    def self.mac(key, data)
      OpenSSL::HMAC.hexdigest('SHA256', key, data)
    end

    def self.legacy_mac(key, data)
      OpenSSL::HMAC.digest(OpenSSL::Digest.new('sha1'), key, data)
    end

    def self.password_key(password, salt)
      OpenSSL::PKCS5.pbkdf2_hmac(password, salt, 600_000, 32, 'sha256')
    end

    def self.expand(ikm, salt)
      OpenSSL::KDF.hkdf(ikm, salt: salt, info: 'ctx', length: 32, hash: 'SHA384')
    end
  end
end

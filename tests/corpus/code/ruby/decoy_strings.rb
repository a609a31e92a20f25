# frozen_string_literal: true

HELP = <<~TEXT
  Generate keys with OpenSSL::PKey::RSA.new(2048)
  and hash with Digest::SHA1.hexdigest(data).
TEXT

NOTE = %q(OpenSSL::HMAC.hexdigest('MD5', key, data) is deprecated)

def warn_about(name)
  puts "Use OpenSSL::Cipher.new('aes-256-gcm') instead of #{name}"
end

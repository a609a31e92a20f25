# frozen_string_literal: true

# OpenSSL::PKey::RSA.new(1024) was the old default.
=begin
Digest::MD5.hexdigest(password) must never be used for passwords.
OpenSSL::Cipher.new('des-ecb')
=end

class Listing
  attr_accessor :description, :address, :rsa_enabled, :des_count

  def md5(value)
    value.reverse
  end

  def digest
    "#{description}-#{address}"
  end
end

listing = Listing.new
listing.md5('x')
puts listing.digest

# frozen_string_literal: true

require 'bcrypt'
require 'jwt'
require 'rbnacl'

class TokenService
  def issue(payload, private_key)
    JWT.encode(payload, private_key, 'RS512')
  end

  def verify(token, secret)
    JWT.decode(token, secret, true, { algorithm: 'HS256' })
  end

  def store(password)
    BCrypt::Password.create(password)
  end

  def identity
    RbNaCl::SigningKey.generate
  end

  def box_key
    RbNaCl::PrivateKey.generate
  end

  def secret_box(key)
    RbNaCl::SecretBox.new(key)
  end
end

# frozen_string_literal: true

module Reports
  class Digest
    def self.new(name) = name.upcase
  end
end

namespace :keys do
  desc 'Rotate RSA-2048 keys and re-hash with SHA-256 (see runbook)'
  task :rotate do
    puts Reports::Digest.new('weekly')
    puts 'OpenSSL::PKey::RSA.new(4096) runs in the KMS, not here'
  end
end

# This file is auto-generated from the current state of the database.
ActiveRecord::Schema[7.1].define(version: 2024_05_01_000000) do
  create_table "keys", force: :cascade do |t|
    t.string "sha256_fingerprint"
    t.string "rsa_modulus"
    t.integer "aes_key_length"
    t.string "md5_legacy"
    t.text "description"
  end
end

# Keys of the payments platform
resource "aws_kms_key" "code_signing" {
  description              = "Release signing"
  customer_master_key_spec = "RSA_3072"
  key_usage                = "SIGN_VERIFY"
}

resource "aws_kms_key" "data" {
  description         = "Envelope encryption of customer data"
  enable_key_rotation = true
}

resource "aws_kms_key" "pq_signing" {
  customer_master_key_spec = "ML_DSA_65"
  key_usage                = "SIGN_VERIFY"
}

resource "aws_kms_key" "ecdh" {
  customer_master_key_spec = "ECC_NIST_P384"
  key_usage                = "KEY_AGREEMENT"
}

resource "google_kms_crypto_key" "token_signer" {
  name     = "token-signer"
  key_ring = google_kms_key_ring.main.id
  purpose  = "ASYMMETRIC_SIGN"

  version_template {
    algorithm        = "EC_SIGN_P256_SHA256"
    protection_level = "HSM"
  }
}

resource "google_kms_crypto_key" "pq_signer" {
  name     = "pq-signer"
  key_ring = google_kms_key_ring.main.id
  purpose  = "ASYMMETRIC_SIGN"
  version_template {
    algorithm = "PQ_SIGN_ML_DSA_65"
  }
}

resource "azurerm_key_vault_key" "wrap" {
  name         = "wrap-key"
  key_vault_id = azurerm_key_vault.main.id
  key_type     = "RSA-HSM"
  key_size     = 2048
  key_opts     = ["wrapKey", "unwrapKey"]
}

resource "azurerm_key_vault_key" "sign" {
  name         = "sign-key"
  key_vault_id = azurerm_key_vault.main.id
  key_type     = "EC"
  curve        = "P-256K"
  key_opts     = ["sign", "verify"]
}

resource "tls_private_key" "bootstrap_ca" {
  algorithm = "RSA"
  rsa_bits  = 4096
}

resource "tls_private_key" "node" {
  algorithm   = "ECDSA"
  ecdsa_curve = "P384"
}

# Look-alikes: variables and outputs are not resources
variable "key_algorithm" {
  type    = string
  default = "RSA_4096"
}

variable "ssl_policy" {
  default = "ELBSecurityPolicy-2016-08"
}

output "customer_master_key_spec" {
  value = "SYMMETRIC_DEFAULT"
}

locals {
  min_tls_version = "TLS1_0" # documented minimum for old clients
}

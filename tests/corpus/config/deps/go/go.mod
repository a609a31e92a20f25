module example.com/gateway

go 1.23

toolchain go1.24.2

require (
	github.com/cloudflare/circl v1.5.0 // indirect
	golang.org/x/crypto v0.31.0
	golang.org/x/net v0.33.0
)

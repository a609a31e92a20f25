package server

import (
	"crypto/mlkem"
	"crypto/tls"
)

func Config() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		CurvePreferences: []tls.CurveID{
			tls.X25519MLKEM768,
			tls.X25519,
			tls.CurveP384,
		},
	}
}

func KEM() (*mlkem.DecapsulationKey768, error) {
	return mlkem.GenerateKey768()
}

package decoy

import (
	aes "example.com/toolkit/aesthetics"
	"example.com/toolkit/rsa"
)

func Style() string {
	s := aes.NewCipher("pastel")
	k, _ := rsa.GenerateKey(nil, 2048)
	return s + k.Description
}

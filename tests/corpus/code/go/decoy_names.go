package decoy

// Package decoy holds look-alikes.
// rsa.GenerateKey(rand.Reader, 1024) is what the old code did.
/* md5.Sum(data) */

type md5Cache struct{ sha256 map[string]string }

type hasher struct{}

func (hasher) Sum(b []byte) []byte { return b }

var md5 = hasher{}

func describe(address, description string) string {
	c := md5Cache{sha256: map[string]string{}}
	_ = md5.Sum([]byte(address))
	return description + c.sha256["aes"]
}

package decoy

// Test vectors from FIPS 180-4 kept as data only.
var vectors = []struct {
	alg, in, want string
}{
	{"SHA-256", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	{"SHA-1", "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
	{"MD5", "", "d41d8cd98f00b204e9800998ecf8427e"},
}

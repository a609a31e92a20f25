package decoy

import "fmt"

const usage = `
Example:
	key, _ := rsa.GenerateKey(rand.Reader, 1024)
	sum := md5.Sum(data)
`

func help() {
	fmt.Println("call aes.NewCipher(key) then cipher.NewGCM(block)")
	fmt.Printf("sha1.Sum(%q) is deprecated\n", "x")
}

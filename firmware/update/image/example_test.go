package image_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"

	"aead.dev/minisign"

	"github.com/openiad/openiad/firmware/update/image"
)

// Build an image and read it back, checking the signature and every part.
func Example() {
	pub, priv, _ := minisign.GenerateKey(rand.Reader)
	var img bytes.Buffer
	_, err := image.Write(&img, image.Header{Board: "qemu-virt", Version: "1.2.3"}, image.KeySigner(priv, "example"),
		image.BytesSource("kernel", []byte("a kernel")),
		image.BytesSource("initramfs", []byte("an initramfs")))
	if err != nil {
		panic(err)
	}
	r, err := image.NewReader(&img, []image.PublicKey{pub})
	if err != nil {
		panic(err) // an untrusted key, a bad signature: before any part
	}
	fmt.Println(r.Manifest().Board, r.Manifest().Version)
	for {
		p, pr, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			panic(err)
		}
		b, err := io.ReadAll(pr) // ErrCorrupt instead of EOF when the bytes are not the signed ones
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s: %d bytes\n", p.Name, len(b))
	}
	// Output:
	// qemu-virt 1.2.3
	// kernel: 8 bytes
	// initramfs: 12 bytes
}

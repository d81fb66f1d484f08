package imagehash

import (
	"errors"
	"testing"

	"github.com/mailtrust/abusescan/internal/synth/photo"
)

// fuzzLimit keeps the fuzzer from spending its time decoding pictures it
// declared huge; the limit itself is what stops bombs.
const fuzzLimit = 1 << 20

func FuzzSum(f *testing.F) {
	img := photo.Portrait(5, 24, 20)
	f.Add(encodePNG(f, img))
	f.Add(encodeJPEG(f, img, 60))
	f.Add(encodeGIF(f, img))
	for _, name := range []string{"gopher-doc.1bpp.lossless.webp", "blue-purple-pink.lossy.webp"} {
		f.Add(readTestdata(f, name))
	}
	f.Add(pngWithIHDR(20000, 20000))
	f.Add(gifScreen(3, 2))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := Sum(data, fuzzLimit)
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Sum() error %v wraps neither ErrFormat nor ErrTooLarge", err)
			}
			if h != 0 {
				t.Fatalf("Sum() = %v with error %v, want 0", h, err)
			}
			return
		}
		if again, err := Sum(data, fuzzLimit); again != h || err != nil {
			t.Fatalf("Sum() = %v, then %v, %v", h, again, err)
		}
	})
}

package imagehash

import (
	"testing"

	"github.com/mailtrust/abusescan/internal/synth/photo"
)

func BenchmarkSum(b *testing.B) {
	img := photo.Portrait(1, 1024, 768)
	benches := []struct {
		name string
		data []byte
	}{
		{"jpeg-1024x768", encodeJPEG(b, img, 85)},
		{"png-1024x768", encodePNG(b, img)},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			b.SetBytes(int64(len(bb.data)))
			for b.Loop() {
				if _, err := Sum(bb.data, testLimit); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHash measures the hash alone, without decoding.
func BenchmarkHash(b *testing.B) {
	img := photo.Portrait(1, 1024, 768)
	for b.Loop() {
		hash(img)
	}
}

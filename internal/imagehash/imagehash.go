// Package imagehash computes perceptual hashes of pictures, so that one
// profile photo reused across many new mailboxes links them even when each
// copy was re-encoded, resized, cropped a little or brightened: the hashes of
// two such copies differ in a few bits (Distance at most Match), while the
// hashes of unrelated pictures differ in about half of them.
//
// The hash is a pHash: the picture's luminance is averaged down to 32x32,
// transformed with a 2-D DCT-II, and each of the 8x8 lowest frequencies gives
// one bit, set when the coefficient is above the median of the 63 non-DC
// ones. Those frequencies describe the picture's large light and dark
// regions, which light edits leave in place.
//
// Pictures come from hostile attachments. Sum reads the declared dimensions
// and refuses a picture over the caller's pixel limit before it decodes any
// pixels, so a small file cannot make it allocate gigabytes. It accepts
// JPEG, PNG, GIF (the first frame) and WebP only.
package imagehash

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"math/bits"
	"slices"
	"sync"

	"golang.org/x/image/webp"
)

// Errors of Sum. Both describe the input, so retrying will not help.
var (
	// ErrFormat is returned for data that is not a JPEG, PNG, GIF or WebP
	// picture, cannot be decoded, or declares a width or height of zero.
	ErrFormat = errors.New("not a decodable JPEG, PNG, GIF or WebP image")
	// ErrTooLarge is returned for a picture whose declared dimensions hold
	// more pixels than the limit given to Sum: a decompression bomb, or at
	// least a picture too costly to hash.
	ErrTooLarge = errors.New("image dimensions over the pixel limit")
)

// Match is the largest Distance at which two hashes are taken to be of the
// same picture. It was chosen from the distances measured by TestMatchRates
// (BENCH-imagehash.md): 97% of lightly edited copies of a photo stay within
// it (all re-encodings, resizes and crops of 2%, but only 70% of crops of 5%
// of each edge), while 0.016% of pairs of unrelated pictures, and 0.03% of
// pairs of unrelated portraits, come within it. Distances are always even
// (see Hash), so 13 would mean the same.
const Match = 12

// Hash is the 64-bit perceptual hash of a picture. Bit 8*v+u (from the least
// significant) is frequency (u across, v down) of the 8x8 lowest DCT
// frequencies. The DC bit (bit 0) is set for all but black pictures, and 31
// of the other 63 are set, those above their median; so the Distance of
// two hashes is nearly always even.
type Hash uint64

// String returns h as 16 lowercase hex digits.
func (h Hash) String() string { return fmt.Sprintf("%016x", uint64(h)) }

// Distance returns the number of bits in which a and b differ, 0 to 64.
func Distance(a, b Hash) int { return bits.OnesCount64(uint64(a ^ b)) }

// Sum returns the perceptual hash of the picture in data. It reads the
// declared dimensions first and returns an error wrapping ErrTooLarge,
// without decoding any pixels, when they hold more than maxPixels pixels (so
// a maxPixels of 0 or less refuses everything). Data that is not a
// JPEG, PNG, GIF or WebP, or does not decode, gives an error wrapping
// ErrFormat. GIFs are hashed by their first frame; transparent pixels count
// as black.
func Sum(data []byte, maxPixels int) (Hash, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return 0, fmt.Errorf("%w: header: %v", ErrFormat, err)
	}
	decode, ok := decoders[format]
	if !ok {
		// Another package of the program registered this format; it is not
		// one whose decoder this package vouches for.
		return 0, fmt.Errorf("%w: format %s", ErrFormat, format)
	}
	if err := checkSize(cfg.Width, cfg.Height, maxPixels); err != nil {
		return 0, fmt.Errorf("%s: %w", format, err)
	}
	img, err := decode(bytes.NewReader(data))
	if err != nil {
		return 0, fmt.Errorf("%w: decode %s %dx%d: %v", ErrFormat, format, cfg.Width, cfg.Height, err)
	}
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		// The decoders check this themselves; this keeps the pixel limit
		// honest should one of them ever not.
		return 0, fmt.Errorf("%w: %s decoded to %dx%d, declared %dx%d", ErrFormat, format, b.Dx(), b.Dy(), cfg.Width, cfg.Height)
	}
	return hash(img), nil
}

// decoders are the formats Sum accepts, by the name image.DecodeConfig
// gives. Importing them also registers them with package image.
var decoders = map[string]func(io.Reader) (image.Image, error){
	"jpeg": jpeg.Decode,
	"png":  png.Decode,
	"gif":  gif.Decode,
	"webp": webp.Decode,
}

// checkSize refuses dimensions that are empty, whose product overflows, or
// that hold more than maxPixels pixels.
func checkSize(w, h, maxPixels int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("%w: dimensions %dx%d", ErrFormat, w, h)
	}
	if w > math.MaxInt/h || w*h > maxPixels {
		return fmt.Errorf("%w: %dx%d over %d pixels", ErrTooLarge, w, h, maxPixels)
	}
	return nil
}

// side is the size of the grid the picture is averaged down to, and low the
// number of frequencies kept along each axis.
const (
	side = 32
	low  = 8
)

func hash(img image.Image) Hash {
	grid := downscale(img)
	coef := dct(&grid)

	// The DC term is the mean brightness; it says nothing about the
	// picture's shape and would skew the median.
	ac := make([]float64, 0, low*low-1)
	ac = append(ac, coef[1:]...)
	slices.Sort(ac)
	median := ac[len(ac)/2]

	var h Hash
	for i, c := range coef {
		if c > median {
			h |= 1 << i
		}
	}
	return h
}

// cosines holds the DCT-II basis: cosines()[u][x] = cos((2x+1)uπ/2N) for the
// low frequencies u. It is computed once, on first use.
var cosines = sync.OnceValue(func() *[low][side]float64 {
	var c [low][side]float64
	for u := range low {
		for x := range side {
			c[u][x] = math.Cos(float64(2*x+1) * float64(u) * math.Pi / (2 * side))
		}
	}
	return &c
})

// dct returns the 8x8 lowest frequencies of the 2-D DCT-II of grid, in
// row-major order (index 8*v+u). Only those are computed: the rest are not
// used. The scale factors of an orthonormal DCT are left out, since they
// are equal for all AC terms and do not change their order.
func dct(grid *[side][side]float64) [low * low]float64 {
	c := cosines()
	// Rows first: t[y][u] is the u-th frequency across row y.
	var t [side][low]float64
	for y := range side {
		for u := range low {
			var s float64
			for x := range side {
				s += grid[y][x] * c[u][x]
			}
			t[y][u] = s
		}
	}
	var out [low * low]float64
	for v := range low {
		for u := range low {
			var s float64
			for y := range side {
				s += t[y][u] * c[v][y]
			}
			out[v*low+u] = s
		}
	}
	return out
}

package photo

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"

	xdraw "golang.org/x/image/draw"
)

// Edit is one light edit of a picture, as an operator makes before reusing
// one photo for each new persona, so that the files differ byte for byte.
type Edit struct {
	// Crop is the fraction cut off each edge, 0 to 0.1.
	Crop float64
	// Scale multiplies both dimensions; 1 (or 0) keeps the size.
	Scale float64
	// Brightness is added to every channel as a fraction of full scale,
	// -0.3 to 0.3.
	Brightness float64
	// Quality is the JPEG quality, 1 to 100; 0 encodes PNG.
	Quality int
}

// Limits of Apply, which accepts any Edit: larger values are not light
// edits any more, and a crop of half of each edge would leave nothing.
const (
	maxCrop       = 0.45
	maxBrightness = 1.0
)

// Apply returns img cropped, scaled (bilinear, filtered when shrinking) and
// brightened as e says. Out-of-range fields are clamped; a Scale of 0 or
// less keeps the size. img is not modified.
func Apply(img image.Image, e Edit) image.Image {
	b := img.Bounds()
	crop := min(max(e.Crop, 0), maxCrop)
	if math.IsNaN(crop) {
		crop = 0
	}
	dx := int(math.Round(crop * float64(b.Dx())))
	dy := int(math.Round(crop * float64(b.Dy())))
	cr := image.Rect(b.Min.X+dx, b.Min.Y+dy, b.Max.X-dx, b.Max.Y-dy)
	out := image.NewRGBA(image.Rect(0, 0, cr.Dx(), cr.Dy()))
	draw.Draw(out, out.Rect, img, cr.Min, draw.Src)

	if s := e.Scale; s > 0 && s != 1 && !math.IsInf(s, 0) {
		nw := max(1, int(math.Round(float64(out.Rect.Dx())*s)))
		nh := max(1, int(math.Round(float64(out.Rect.Dy())*s)))
		scaled := image.NewRGBA(image.Rect(0, 0, nw, nh))
		xdraw.BiLinear.Scale(scaled, scaled.Rect, out, out.Rect, xdraw.Src, nil)
		out = scaled
	}

	if br := min(max(e.Brightness, -maxBrightness), maxBrightness); br != 0 && !math.IsNaN(br) {
		d := int(math.Round(br * 255))
		for i := 0; i+3 < len(out.Pix); i += 4 {
			// Premultiplied colour: a channel may not exceed alpha.
			a := int(out.Pix[i+3])
			for j := range 3 {
				out.Pix[i+j] = uint8(min(max(int(out.Pix[i+j])+d, 0), a))
			}
		}
	}
	return out
}

// Encode returns img as a JPEG of e.Quality (clamped to 1..100), or as a PNG
// when e.Quality is 0 or less. PNGs are compressed for speed, not size:
// the pixels are what matter to the tests and the data generator.
func Encode(img image.Image, e Edit) ([]byte, error) {
	var buf bytes.Buffer
	if e.Quality <= 0 {
		enc := png.Encoder{CompressionLevel: png.BestSpeed}
		if err := enc.Encode(&buf, img); err != nil {
			return nil, fmt.Errorf("encode png: %w", err)
		}
		return buf.Bytes(), nil
	}
	q := min(e.Quality, 100)
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		return nil, fmt.Errorf("encode jpeg quality %d: %w", q, err)
	}
	return buf.Bytes(), nil
}

// RandomEdit returns a light random edit: crop up to 4% of each edge, scale
// 0.6 to 1.4, brightness within ±15%, and JPEG quality 40 to 95, or PNG one
// time in five.
func RandomEdit(r *rand.Rand) Edit {
	e := Edit{
		Crop:       r.Float64() * 0.04,
		Scale:      0.6 + r.Float64()*0.8,
		Brightness: (r.Float64()*2 - 1) * 0.15,
	}
	if r.IntN(5) > 0 {
		e.Quality = 40 + r.IntN(56)
	}
	return e
}

package photo

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"testing"
)

func TestDeterministic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		draw func(seed uint64, w, h int) *image.RGBA
	}{
		{"Portrait", Portrait},
		{"Scene", Scene},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for seed := range uint64(20) {
				got, want := tt.draw(seed, 96, 80), tt.draw(seed, 96, 80)
				if !bytes.Equal(got.Pix, want.Pix) {
					t.Fatalf("%s(%d) differs between calls", tt.name, seed)
				}
			}
		})
	}
}

// meanDiff returns the mean absolute difference of two same-sized images'
// channels, 0 to 255.
func meanDiff(a, b *image.RGBA) float64 {
	var sum int
	for i := range a.Pix {
		d := int(a.Pix[i]) - int(b.Pix[i])
		sum += max(d, -d)
	}
	return float64(sum) / float64(len(a.Pix))
}

// blur8 averages img down to an 8x8 grid of grey levels: the coarse view
// in which perceptual hashes compare pictures.
func blur8(img *image.RGBA) [64]float64 {
	var g [64]float64
	b := img.Rect
	for y := range b.Dy() {
		for x := range b.Dx() {
			c := img.RGBAAt(x, y)
			g[8*(8*y/b.Dy())+8*x/b.Dx()] += 0.299*float64(c.R) + 0.587*float64(c.G) + 0.114*float64(c.B)
		}
	}
	n := float64(b.Dx()*b.Dy()) / 64
	for i := range g {
		g[i] /= n
	}
	return g
}

// TestDistinct checks that different seeds differ, and differ in their
// large regions, not only in noise.
func TestDistinct(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		draw func(seed uint64, w, h int) *image.RGBA
	}{
		{"Portrait", Portrait},
		{"Scene", Scene},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const n = 30
			imgs := make([]*image.RGBA, n)
			for i := range imgs {
				imgs[i] = tt.draw(uint64(i), 64, 64)
			}
			for i := range imgs {
				for j := i + 1; j < n; j++ {
					if d := meanDiff(imgs[i], imgs[j]); d < 10 {
						t.Errorf("%s(%d) and %s(%d): mean difference %.1f, want at least 10", tt.name, i, tt.name, j, d)
					}
					gi, gj := blur8(imgs[i]), blur8(imgs[j])
					var coarse float64
					for k := range gi {
						coarse += math.Abs(gi[k] - gj[k])
					}
					if coarse /= 64; coarse < 8 {
						t.Errorf("%s(%d) and %s(%d): coarse difference %.1f, want at least 8", tt.name, i, tt.name, j, coarse)
					}
				}
			}
		})
	}
}

func TestPortraitNotScene(t *testing.T) {
	t.Parallel()
	for seed := range uint64(10) {
		if d := meanDiff(Portrait(seed, 64, 64), Scene(seed, 64, 64)); d < 10 {
			t.Errorf("Portrait(%d) and Scene(%d): mean difference %.1f, want at least 10", seed, seed, d)
		}
	}
}

func TestSizes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		w, h int
	}{
		{"square", 64, 64},
		{"tall", 30, 90},
		{"one pixel", 1, 1},
		{"empty", 0, 10},
		{"negative", -5, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := image.Pt(max(tt.w, 0), max(tt.h, 0))
			for name, img := range map[string]*image.RGBA{"Portrait": Portrait(1, tt.w, tt.h), "Scene": Scene(1, tt.w, tt.h)} {
				if got := img.Rect.Size(); got != want {
					t.Errorf("%s(1, %d, %d) is %v, want %v", name, tt.w, tt.h, got, want)
				}
			}
		})
	}
}

func TestApply(t *testing.T) {
	t.Parallel()
	src := Portrait(3, 200, 100)
	tests := []struct {
		name      string
		edit      Edit
		wantSize  image.Point
		wantShift float64 // mean channel change, roughly
	}{
		{"none", Edit{}, image.Pt(200, 100), 0},
		{"scale 1", Edit{Scale: 1}, image.Pt(200, 100), 0},
		{"crop 5%", Edit{Crop: 0.05}, image.Pt(180, 90), 0},
		{"crop clamped", Edit{Crop: 2}, image.Pt(20, 10), 0},
		{"negative crop", Edit{Crop: -1}, image.Pt(200, 100), 0},
		{"NaN crop", Edit{Crop: math.NaN()}, image.Pt(200, 100), 0},
		{"half", Edit{Scale: 0.5}, image.Pt(100, 50), 0},
		{"larger", Edit{Scale: 1.5}, image.Pt(300, 150), 0},
		{"negative scale", Edit{Scale: -2}, image.Pt(200, 100), 0},
		{"crop then scale", Edit{Crop: 0.1, Scale: 0.5}, image.Pt(80, 40), 0},
		{"brighter", Edit{Brightness: 0.1}, image.Pt(200, 100), 25},
		{"darker", Edit{Brightness: -0.1}, image.Pt(200, 100), -25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := append([]byte(nil), src.Pix...)
			got := Apply(src, tt.edit)
			if !bytes.Equal(src.Pix, before) {
				t.Fatal("Apply modified its input")
			}
			if size := got.Bounds().Size(); size != tt.wantSize {
				t.Fatalf("Apply(%+v) size %v, want %v", tt.edit, size, tt.wantSize)
			}
			if tt.wantSize != src.Rect.Size() {
				return
			}
			var shift float64
			for y := range tt.wantSize.Y {
				for x := range tt.wantSize.X {
					r0, g0, b0, _ := src.At(x, y).RGBA()
					r1, g1, b1, _ := got.At(x, y).RGBA()
					shift += (float64(r1) - float64(r0) + float64(g1) - float64(g0) + float64(b1) - float64(b0)) / 3 / 257
				}
			}
			shift /= float64(tt.wantSize.X * tt.wantSize.Y)
			// Clipping at black and white makes the shift a little smaller.
			if math.Abs(shift-tt.wantShift) > 5 {
				t.Errorf("Apply(%+v) shifted channels by %.1f, want about %.0f", tt.edit, shift, tt.wantShift)
			}
		})
	}
}

func TestEncode(t *testing.T) {
	t.Parallel()
	img := Portrait(4, 120, 90)
	tests := []struct {
		name    string
		quality int
		format  string
	}{
		{"png", 0, "png"},
		{"negative is png", -1, "png"},
		{"jpeg 75", 75, "jpeg"},
		{"jpeg over 100", 250, "jpeg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data, err := Encode(img, Edit{Quality: tt.quality})
			if err != nil {
				t.Fatalf("Encode(quality %d): %v", tt.quality, err)
			}
			var got image.Image
			if tt.format == "png" {
				got, err = png.Decode(bytes.NewReader(data))
			} else {
				got, err = jpeg.Decode(bytes.NewReader(data))
			}
			if err != nil {
				t.Fatalf("decode %s: %v", tt.format, err)
			}
			if got.Bounds() != img.Rect {
				t.Errorf("decoded bounds %v, want %v", got.Bounds(), img.Rect)
			}
		})
	}
}

func TestRandomEdit(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	pngs := 0
	const n = 2000
	for range n {
		e := RandomEdit(r)
		if e.Crop < 0 || e.Crop > 0.04 {
			t.Errorf("RandomEdit().Crop = %v, want 0 to 0.04", e.Crop)
		}
		if e.Scale < 0.6 || e.Scale > 1.4 {
			t.Errorf("RandomEdit().Scale = %v, want 0.6 to 1.4", e.Scale)
		}
		if math.Abs(e.Brightness) > 0.15 {
			t.Errorf("RandomEdit().Brightness = %v, want within ±0.15", e.Brightness)
		}
		switch {
		case e.Quality == 0:
			pngs++
		case e.Quality < 40 || e.Quality > 95:
			t.Errorf("RandomEdit().Quality = %d, want 40 to 95 or 0", e.Quality)
		}
	}
	if pngs < n/8 || pngs > n/3 {
		t.Errorf("RandomEdit() gave %d PNGs of %d, want about one in five", pngs, n)
	}
}

func BenchmarkPortrait(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		Portrait(uint64(i), 256, 256)
	}
}

func BenchmarkScene(b *testing.B) {
	for i := 0; b.Loop(); i++ {
		Scene(uint64(i), 256, 256)
	}
}

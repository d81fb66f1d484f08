// Package photo draws deterministic synthetic pictures: face-like portraits
// that stand in for personas' profile photos, and unrelated scenes that
// stand in for memes and newsletter banners. It also makes the light edits
// (crop, resize, brightness, re-encoding) an operator applies to one
// picture before reusing it across many new mailboxes.
//
// The pictures are built for perceptual hashing, which sees only the lowest
// frequencies of a picture: seeds vary the layout, sizes and tones of the
// large regions (background, head, hair, shirt), not only small details, so
// that two seeds differ the way two unrelated photos do. Everything is a pure
// function of its arguments; the same seed gives the same pixels everywhere.
package photo

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
)

// stream separates the random streams of Portrait and Scene, so that a
// portrait and a scene of the same seed are unrelated.
const (
	portraitStream = 0x706f727472616974 // "portrait"
	sceneStream    = 0x7363656e65000000 // "scene"
)

// rgb is a colour with float channels in 0..255, so that shading and mixing
// can overshoot before the final clamp.
type rgb struct{ r, g, b float32 }

func (c rgb) scale(k float32) rgb { return rgb{c.r * k, c.g * k, c.b * k} }

func (c rgb) add(d rgb) rgb { return rgb{c.r + d.r, c.g + d.g, c.b + d.b} }

func mix(a, b rgb, t float32) rgb {
	return rgb{a.r + (b.r-a.r)*t, a.g + (b.g-a.g)*t, a.b + (b.b-a.b)*t}
}

func randColour(r *rand.Rand) rgb {
	return rgb{float32(r.IntN(256)), float32(r.IntN(256)), float32(r.IntN(256))}
}

// skinTones spans light to dark skin; a portrait's tone is one of them,
// jittered.
var skinTones = [...]rgb{
	{255, 224, 196}, {241, 194, 160}, {224, 172, 130}, {198, 134, 96},
	{161, 102, 70}, {120, 75, 50}, {90, 56, 38},
}

// hairColours spans black to blond and grey.
var hairColours = [...]rgb{
	{20, 16, 14}, {55, 38, 28}, {95, 62, 38}, {150, 105, 60},
	{210, 175, 110}, {170, 165, 160}, {120, 40, 25},
}

// field is a smooth random function over the unit square: bilinear
// interpolation of a small grid of random values in -1..1. It gives the
// low-frequency shading that differs between real photos.
type field struct {
	n    int
	vals []float32
}

func newField(r *rand.Rand, n int) field {
	f := field{n: n, vals: make([]float32, (n+1)*(n+1))}
	for i := range f.vals {
		f.vals[i] = float32(r.Float64()*2 - 1)
	}
	return f
}

// row fills dst (n+1 values) with the field along the row at v, so that
// lineAt is cheap for each pixel of that row.
func (f field) row(v float32, dst []float32) {
	y := v * float32(f.n)
	iy := min(max(int(y), 0), f.n-1)
	fy := y - float32(iy)
	n := f.n + 1
	for i := range n {
		a, c := f.vals[iy*n+i], f.vals[(iy+1)*n+i]
		dst[i] = a + (c-a)*fy
	}
}

// lineAt interpolates a row filled by field.row at u.
func lineAt(line []float32, u float32) float32 {
	n := len(line) - 1
	x := u * float32(n)
	ix := min(max(int(x), 0), n-1)
	fx := x - float32(ix)
	return line[ix] + (line[ix+1]-line[ix])*fx
}

// ellipse is an axis-aligned ellipse in unit coordinates.
type ellipse struct{ cx, cy, rx, ry float32 }

// in returns the squared normalized radius of (u, v): under 1 inside.
func (e ellipse) in(u, v float32) float32 {
	du, dv := (u-e.cx)/e.rx, (v-e.cy)/e.ry
	return du*du + dv*dv
}

func uniform(r *rand.Rand, lo, hi float64) float32 {
	return float32(lo + r.Float64()*(hi-lo))
}

// Portrait returns a deterministic, photo-like image of w x h pixels for
// seed: a face-like composition (a background gradient with soft blobs, a
// skin-toned head, hair, eyes, mouth, neck and shirt, with smooth shading and
// fine grain). Distinct seeds place, size and colour the large regions
// differently, so that they differ at the low frequencies a perceptual hash
// sees. A width or height under 1 gives an empty image.
func Portrait(seed uint64, w, h int) *image.RGBA {
	w, h = max(w, 0), max(h, 0)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	if w == 0 || h == 0 {
		return img
	}
	r := rand.New(rand.NewPCG(seed, portraitStream))

	// Background: a gradient in a random direction between two random
	// colours, modulated by a coarse random field and, sometimes, a
	// contrasting panel (a door, a window, a wall edge).
	bg0, bg1 := randColour(r), randColour(r)
	angle := r.Float64() * 2 * math.Pi
	dirU, dirV := float32(math.Cos(angle)), float32(math.Sin(angle))
	bgField := newField(r, 3)
	bgAmp := uniform(r, 30, 80)
	panel := image.Rectangle{}
	panelColour := randColour(r)
	if r.IntN(3) > 0 {
		x0, y0 := r.IntN(w), r.IntN(h)
		panel = image.Rect(x0, y0, x0+w/4+r.IntN(w/2+1), y0+h/4+r.IntN(h/2+1)).Intersect(img.Rect)
	}

	// Head, placed and sized freely: real profile photos are framed in
	// many ways.
	head := ellipse{
		cx: uniform(r, 0.28, 0.72),
		cy: uniform(r, 0.28, 0.52),
		rx: uniform(r, 0.12, 0.26),
	}
	head.ry = head.rx * uniform(r, 1.15, 1.45)
	skin := skinTones[r.IntN(len(skinTones))].add(rgb{uniform(r, -15, 15), uniform(r, -15, 15), uniform(r, -15, 15)})
	lightU, lightV := uniform(r, -1, 1), uniform(r, -1, 0.3)

	// Hair: an ellipse behind and above the head; long hair reaches the
	// shoulders beside the face. The hairline is how far down the forehead
	// the hair covers the head.
	hairCol := hairColours[r.IntN(len(hairColours))]
	long := r.IntN(2) == 0
	hair := ellipse{cx: head.cx + uniform(r, -0.03, 0.03), cy: head.cy - head.ry*uniform(r, 0.1, 0.3), rx: head.rx * uniform(r, 1.05, 1.3), ry: head.ry * uniform(r, 0.85, 1.05)}
	if long {
		hair.cy = head.cy + head.ry*uniform(r, 0.1, 0.4)
		hair.ry = head.ry * uniform(r, 1.3, 1.7)
	}
	bald := r.IntN(8) == 0
	hairline := head.cy - head.ry*uniform(r, 0.35, 0.6)

	eyeY := head.cy - head.ry*uniform(r, 0.05, 0.2)
	eyeDX := head.rx * uniform(r, 0.32, 0.45)
	eyeR := head.rx * uniform(r, 0.1, 0.16)
	eyeL := ellipse{cx: head.cx - eyeDX, cy: eyeY, rx: eyeR, ry: eyeR * 0.6}
	eyeRt := ellipse{cx: head.cx + eyeDX, cy: eyeY, rx: eyeR, ry: eyeR * 0.6}
	eyeCol := rgb{30, 25, 25}
	mouth := ellipse{cx: head.cx, cy: head.cy + head.ry*uniform(r, 0.45, 0.6), rx: head.rx * uniform(r, 0.25, 0.4), ry: head.ry * 0.07}
	mouthCol := mix(skin, rgb{150, 40, 50}, 0.6)

	neckHalf := head.rx * 0.45
	neckTop := head.cy + head.ry*0.6
	shirt := ellipse{cx: head.cx + uniform(r, -0.05, 0.05), cy: head.cy + head.ry + uniform(r, 0.45, 0.75), rx: uniform(r, 0.35, 0.6), ry: uniform(r, 0.4, 0.55)}
	shirtCol := randColour(r)
	shirtField := newField(r, 4)
	// Long hair falls behind the shoulders; the shirt starts there.
	shirtTop := shirt.cy - shirt.ry*0.7

	grain := r.Uint64() | 1
	invW, invH := 1/float32(w), 1/float32(h)
	bgLine := make([]float32, bgField.n+1)
	shirtLine := make([]float32, shirtField.n+1)
	for y := range h {
		v := (float32(y) + 0.5) * invH
		bgField.row(v, bgLine)
		shirtField.row(v, shirtLine)
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		for x := range w {
			u := (float32(x) + 0.5) * invW
			var c rgb
			if hd := head.in(u, v); hd < 1 {
				switch {
				case eyeL.in(u, v) < 1 || eyeRt.in(u, v) < 1:
					c = eyeCol
				case mouth.in(u, v) < 1:
					c = mouthCol
				case !bald && v < hairline && hair.in(u, v) < 1:
					c = shade(hairCol, u-hair.cx, v-hair.cy, lightU, lightV, 0.5)
				default:
					c = shade(skin, (u-head.cx)/head.rx, (v-head.cy)/head.ry, lightU, lightV, 0.25)
				}
			} else {
				switch {
				case !bald && v < shirtTop && hair.in(u, v) < 1:
					c = shade(hairCol, u-hair.cx, v-hair.cy, lightU, lightV, 0.5)
				case v > shirtTop && shirt.in(u, v) < 1:
					c = shirtCol.scale(0.85 + 0.2*lineAt(shirtLine, u))
				case v > neckTop && u > head.cx-neckHalf && u < head.cx+neckHalf && v < shirt.cy:
					c = skin.scale(0.8)
				default:
					t := (u-0.5)*dirU + (v-0.5)*dirV + 0.5
					c = mix(bg0, bg1, min(max(t, 0), 1))
					if (image.Point{x, y}).In(panel) {
						c = mix(c, panelColour, 0.7)
					}
					d := bgAmp * lineAt(bgLine, u)
					c = c.add(rgb{d, d, d})
				}
			}
			// Fine grain, as sensor noise: invisible to the hash, but it
			// gives the JPEG encoder real texture to lose.
			grain ^= grain << 13
			grain ^= grain >> 7
			grain ^= grain << 17
			n := float32(int(grain&15) - 8)
			c = c.add(rgb{n, n, n})
			row[4*x+0] = clamp(c.r)
			row[4*x+1] = clamp(c.g)
			row[4*x+2] = clamp(c.b)
			row[4*x+3] = 255
		}
	}
	return img
}

// shade lights a rounded surface: (du, dv) is the position from the centre,
// (lu, lv) the direction the light comes from, k the strength.
func shade(c rgb, du, dv, lu, lv, k float32) rgb {
	return c.scale(1 - k*0.5*(du*lu+dv*lv) - k*0.3*(du*du+dv*dv))
}

func clamp(v float32) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}

// Scene returns a deterministic picture of w x h pixels for seed, unrelated
// to any portrait: a gradient background, filled rectangles and discs, and
// bands of text-like stripes, as memes and newsletter banners have. A width
// or height under 1 gives an empty image.
func Scene(seed uint64, w, h int) *image.RGBA {
	w, h = max(w, 0), max(h, 0)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	if w == 0 || h == 0 {
		return img
	}
	r := rand.New(rand.NewPCG(seed, sceneStream))

	bg0, bg1 := randColour(r), randColour(r)
	vertical := r.IntN(2) == 0
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		for x := range w {
			t := float32(x) / float32(w)
			if vertical {
				t = float32(y) / float32(h)
			}
			c := mix(bg0, bg1, t)
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = clamp(c.r), clamp(c.g), clamp(c.b), 255
		}
	}

	for range 3 + r.IntN(8) {
		c := randColour(r)
		col := color.RGBA{clamp(c.r), clamp(c.g), clamp(c.b), 255}
		cx, cy := r.IntN(w), r.IntN(h)
		sw, sh := 1+r.IntN(w/2+1), 1+r.IntN(h/2+1)
		if r.IntN(2) == 0 {
			fillRect(img, image.Rect(cx-sw/2, cy-sh/2, cx+sw/2, cy+sh/2), col)
			continue
		}
		rad := min(sw, sh) / 2
		fillDisc(img, cx, cy, rad, col)
	}

	// Text bands: a light strip with rows of dark dashes of random
	// lengths, like a caption.
	for range r.IntN(3) {
		top := r.IntN(h)
		band := image.Rect(0, top, w, top+h/8+r.IntN(h/6+1))
		paper, ink := color.RGBA{245, 245, 240, 255}, color.RGBA{20, 20, 20, 255}
		if r.IntN(2) == 0 {
			paper, ink = ink, paper
		}
		fillRect(img, band, paper)
		lineH := max(h/40, 2)
		for y := band.Min.Y + lineH; y+lineH <= band.Max.Y-lineH; y += 2 * lineH {
			for x := w / 20; x < w-w/20; {
				word := max(w/40, 1) + r.IntN(w/12+1)
				fillRect(img, image.Rect(x, y, min(x+word, w-w/20), y+lineH), ink)
				x += word + max(w/60, 1)
			}
		}
	}
	return img
}

func fillRect(img *image.RGBA, rect image.Rectangle, c color.RGBA) {
	rect = rect.Intersect(img.Rect)
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		row := img.Pix[img.PixOffset(rect.Min.X, y):img.PixOffset(rect.Max.X, y)]
		for i := 0; i < len(row); i += 4 {
			row[i], row[i+1], row[i+2], row[i+3] = c.R, c.G, c.B, c.A
		}
	}
}

func fillDisc(img *image.RGBA, cx, cy, rad int, c color.RGBA) {
	rect := image.Rect(cx-rad, cy-rad, cx+rad+1, cy+rad+1).Intersect(img.Rect)
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		for x := rect.Min.X; x < rect.Max.X; x++ {
			if dx, dy := x-cx, y-cy; dx*dx+dy*dy <= rad*rad {
				img.SetRGBA(x, y, c)
			}
		}
	}
}

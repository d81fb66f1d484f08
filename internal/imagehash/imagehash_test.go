package imagehash

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailtrust/abusescan/internal/synth/photo"
	"golang.org/x/image/webp"
)

// testLimit is a pixel limit generous enough for every test picture.
const testLimit = 10_000_000

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatalf("png.Encode: %v", err)
	}
	return buf.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image, quality int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatalf("jpeg.Encode: %v", err)
	}
	return buf.Bytes()
}

func encodeGIF(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := gif.Encode(&buf, img, nil); err != nil {
		t.Fatalf("gif.Encode: %v", err)
	}
	return buf.Bytes()
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustSum(t testing.TB, data []byte) Hash {
	t.Helper()
	h, err := Sum(data, testLimit)
	if err != nil {
		t.Fatalf("Sum: %v", err)
	}
	return h
}

// TestSumFormats checks that one picture hashes alike whatever format
// carries it.
func TestSumFormats(t *testing.T) {
	t.Parallel()
	img := photo.Portrait(7, 200, 240)
	want := mustSum(t, encodePNG(t, img))
	tests := []struct {
		name    string
		data    []byte
		maxDist int
	}{
		{"png", encodePNG(t, img), 0},
		{"jpeg", encodeJPEG(t, img, 85), 2},
		{"gif", encodeGIF(t, img), 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := mustSum(t, tt.data)
			if d := Distance(got, want); d > tt.maxDist {
				t.Errorf("Sum(%s) = %v, png %v: distance %d, want at most %d", tt.name, got, want, d, tt.maxDist)
			}
		})
	}
}

// TestSumWebP checks the WebP decoders against a PNG of the same pixels.
func TestSumWebP(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"blue-purple-pink.lossy.webp", "gopher-doc.1bpp.lossless.webp", "yellow_rose.lossy-with-alpha.webp"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data := readTestdata(t, name)
			got := mustSum(t, data)
			img, err := webp.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			want := mustSum(t, encodePNG(t, img))
			if d := Distance(got, want); d > 2 {
				t.Errorf("Sum(%s) = %v, PNG of its pixels %v: distance %d, want at most 2", name, got, want, d)
			}
		})
	}
}

// TestHashPixelTypes checks that each fast path reads pixels as the generic
// one does.
func TestHashPixelTypes(t *testing.T) {
	t.Parallel()
	src := photo.Portrait(11, 97, 131) // odd sizes: cells straddle pixels
	b := src.Bounds()
	convert := func(m draw.Image) image.Image {
		draw.Draw(m, b, src, b.Min, draw.Src)
		return m
	}
	ycc := image.NewYCbCr(b, image.YCbCrSubsampleRatio420)
	for y := range b.Dy() {
		for x := range b.Dx() {
			c := src.RGBAAt(x, y)
			yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
			ycc.Y[ycc.YOffset(x, y)] = yy
			ycc.Cb[ycc.COffset(x, y)] = cb
			ycc.Cr[ycc.COffset(x, y)] = cr
		}
	}
	nycca := &image.NYCbCrA{YCbCr: *ycc, A: bytes.Repeat([]byte{255}, b.Dx()*b.Dy()), AStride: b.Dx()}
	want := hash(src)
	tests := []struct {
		name    string
		img     image.Image
		maxDist int
	}{
		{"RGBA", src, 0},
		{"NRGBA", convert(image.NewNRGBA(b)), 0},
		{"RGBA64 (generic)", convert(image.NewRGBA64(b)), 0},
		// Conversions round differently; a rounding may move one
		// coefficient across the median, which changes two bits.
		{"Gray", convert(image.NewGray(b)), 2},
		{"YCbCr", ycc, 2},
		{"NYCbCrA", nycca, 2},
		{"Paletted", convert(image.NewPaletted(b, palette.Plan9)), 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := hash(tt.img)
			if d := Distance(got, want); d > tt.maxDist {
				t.Errorf("hash(%s) = %v, RGBA %v: distance %d, want at most %d", tt.name, got, want, d, tt.maxDist)
			}
		})
	}
}

// TestHashSubImage checks that a sub-image is read from its own bounds.
func TestHashSubImage(t *testing.T) {
	t.Parallel()
	big := photo.Portrait(3, 300, 300)
	r := image.Rect(40, 60, 240, 280)
	sub := big.SubImage(r)
	crop := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(crop, crop.Rect, big, r.Min, draw.Src)
	ycc := image.NewYCbCr(image.Rect(0, 0, 300, 300), image.YCbCrSubsampleRatio444)
	gray := image.NewGray(big.Rect)
	draw.Draw(gray, gray.Rect, big, image.Point{}, draw.Src)
	for y := range 300 {
		for x := range 300 {
			ycc.Y[ycc.YOffset(x, y)] = gray.GrayAt(x, y).Y
		}
	}
	tests := []struct {
		name string
		img  image.Image
	}{
		{"RGBA", sub},
		{"Gray", gray.SubImage(r)},
		{"YCbCr", ycc.SubImage(r)},
	}
	want := hash(crop)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := hash(tt.img); Distance(got, want) > 2 {
				t.Errorf("hash(sub-image) = %v, want %v (copy of the same pixels)", got, want)
			}
		})
	}
}

// pngWithIHDR returns a PNG signature, an IHDR chunk declaring w x h 8-bit
// grey with a valid CRC, and an IEND chunk: a header that promises pixels
// the file does not hold.
func pngWithIHDR(w, h uint32) []byte {
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(data)))
		buf.Write(n[:])
		body := append([]byte(typ), data...)
		buf.Write(body)
		binary.BigEndian.PutUint32(n[:], crc32.ChecksumIEEE(body))
		buf.Write(n[:])
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8] = 8 // bit depth; colour type 0 (grey), no interlace
	chunk("IHDR", ihdr)
	chunk("IEND", nil)
	return buf.Bytes()
}

// gifScreen returns a GIF header declaring a w x h logical screen and
// nothing else.
func gifScreen(w, h uint16) []byte {
	b := []byte("GIF89a")
	b = binary.LittleEndian.AppendUint16(b, w)
	b = binary.LittleEndian.AppendUint16(b, h)
	return append(b, 0, 0, 0, 0x3b)
}

func TestSumErrors(t *testing.T) {
	t.Parallel()
	small := encodePNG(t, photo.Portrait(1, 64, 64))
	jpg := encodeJPEG(t, photo.Portrait(1, 64, 64), 80)
	// Uniform grey compresses to a few kilobytes however many pixels it
	// has: the shape of a real decompression bomb.
	bigGrey := encodePNG(t, image.NewGray(image.Rect(0, 0, 1001, 1000)))
	tests := []struct {
		name      string
		data      []byte
		maxPixels int
		want      error
		wantMsg   string
	}{
		{"nil", nil, testLimit, ErrFormat, "header"},
		{"garbage", []byte("this is not a picture at all"), testLimit, ErrFormat, "unknown format"},
		{"bmp", append([]byte("BM"), make([]byte, 60)...), testLimit, ErrFormat, ""},
		{"truncated png", small[:len(small)/2], testLimit, ErrFormat, "decode png 64x64"},
		{"png header only", small[:40], testLimit, ErrFormat, "png"},
		{"truncated jpeg", jpg[:len(jpg)/2], testLimit, ErrFormat, "decode jpeg 64x64"},
		{"png of no pixels", pngWithIHDR(0, 10), testLimit, ErrFormat, ""},
		{"gif of no pixels", gifScreen(0, 0), testLimit, ErrFormat, "0x0"},
		{"gif header only", gifScreen(10, 10), testLimit, ErrFormat, "decode gif 10x10"},
		{"bomb header", pngWithIHDR(20000, 20000), 50_000_000, ErrTooLarge, "20000x20000 over 50000000 pixels"},
		{"huge header", pngWithIHDR(100_000, 100_000), testLimit, ErrTooLarge, "100000x100000"},
		{"compressible over limit", bigGrey, 1_000_000, ErrTooLarge, "png: "},
		{"no limit", small, 0, ErrTooLarge, "64x64 over 0 pixels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Sum(tt.data, tt.maxPixels)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Sum() = %v, %v; want error %v", got, err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Sum() error %q does not say %q", err, tt.wantMsg)
			}
		})
	}
}

func TestSumAtLimit(t *testing.T) {
	t.Parallel()
	data := encodePNG(t, image.NewGray(image.Rect(0, 0, 1000, 1000)))
	if _, err := Sum(data, 1_000_000); err != nil {
		t.Errorf("Sum(1000x1000, limit 1000000): %v", err)
	}
}

func TestCheckSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		w, h, max int
		want      error
	}{
		{"fits", 100, 100, 10_000, nil},
		{"one over", 101, 100, 10_000, ErrTooLarge},
		{"zero width", 0, 100, 10_000, ErrFormat},
		{"negative height", 100, -1, 10_000, ErrFormat},
		{"product overflows", math.MaxInt / 2, 3, math.MaxInt, ErrTooLarge},
		{"largest product", math.MaxInt, 1, math.MaxInt, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := checkSize(tt.w, tt.h, tt.max); !errors.Is(got, tt.want) || (got == nil) != (tt.want == nil) {
				t.Errorf("checkSize(%d, %d, %d) = %v, want %v", tt.w, tt.h, tt.max, got, tt.want)
			}
		})
	}
}

func TestSumTinyAndFlat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		img  image.Image
	}{
		{"1x1", photo.Portrait(2, 1, 1)},
		{"3x50", photo.Portrait(2, 3, 50)},
		{"31x33", photo.Portrait(2, 31, 33)},
		{"black", image.NewGray(image.Rect(0, 0, 40, 40))},
		{"transparent", image.NewNRGBA(image.Rect(0, 0, 40, 40))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := encodePNG(t, tt.img)
			got := mustSum(t, data)
			if again := mustSum(t, data); again != got {
				t.Errorf("Sum() = %v then %v, want the same", got, again)
			}
		})
	}
}

func TestDistance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b Hash
		want int
	}{
		{0, 0, 0},
		{0, 1, 1},
		{0xff00, 0x00ff, 16},
		{0, math.MaxUint64, 64},
		{0x8000000000000001, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.a.String()+"-"+tt.b.String(), func(t *testing.T) {
			t.Parallel()
			if got := Distance(tt.a, tt.b); got != tt.want {
				t.Errorf("Distance(%v, %v) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if got := Distance(tt.b, tt.a); got != tt.want {
				t.Errorf("Distance(%v, %v) = %d, want %d", tt.b, tt.a, got, tt.want)
			}
		})
	}
}

func TestHashString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		h    Hash
		want string
	}{
		{0, "0000000000000000"},
		{0xabc, "0000000000000abc"},
		{math.MaxUint64, "ffffffffffffffff"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := tt.h.String(); got != tt.want {
				t.Errorf("Hash(%#x).String() = %q, want %q", uint64(tt.h), got, tt.want)
			}
		})
	}
}

// TestSumStable pins the hash of one picture: hashes are stored, so a
// change to the algorithm must be deliberate.
func TestSumStable(t *testing.T) {
	t.Parallel()
	got := mustSum(t, encodePNG(t, photo.Portrait(42, 128, 128)))
	const want = "cc39313643d9a967"
	if got.String() != want {
		t.Errorf("Sum(Portrait(42)) = %v, want %v", got, want)
	}
}

func TestSumFirstGIFFrame(t *testing.T) {
	t.Parallel()
	frame := func(seed uint64) *image.Paletted {
		src := photo.Portrait(seed, 80, 80)
		p := image.NewPaletted(src.Rect, palette.Plan9)
		draw.Draw(p, p.Rect, src, image.Point{}, draw.Src)
		return p
	}
	var buf bytes.Buffer
	anim := &gif.GIF{Image: []*image.Paletted{frame(1), frame(2)}, Delay: []int{10, 10}}
	if err := gif.EncodeAll(&buf, anim); err != nil {
		t.Fatal(err)
	}
	got := mustSum(t, buf.Bytes())
	if want := mustSum(t, encodeGIF(t, frame(1))); got != want {
		t.Errorf("Sum(animation) = %v, want the first frame's %v", got, want)
	}
}

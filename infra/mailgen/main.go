// Command mailgen writes the hostile sample messages of internal/mail's
// tests into a directory, byte-for-byte the same on every run, so the
// committed samples can be checked against their recipe.
//
// Usage, from the repository root:
//
//	go run ./infra/mailgen -out testdata/mail/hostile
package main

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/binary"
	"flag"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	out := flag.String("out", "testdata/mail/hostile", "directory to write the samples to")
	flag.Parse()
	if err := write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "mailgen:", err)
		os.Exit(1)
	}
}

// samples maps each file name to its builder.
var samples = map[string]func() ([]byte, error){
	"deep-nesting.eml":      deepNesting,
	"many-parts.eml":        manyParts,
	"huge-header.eml":       hugeHeader,
	"many-header-lines.eml": manyHeaderLines,
	"folded-boundary.eml":   foldedBoundary,
	"bad-base64.eml":        badBase64,
	"base64-flood.eml":      base64Flood,
	"bad-charsets.eml":      badCharsets,
	"png-bomb.eml":          pngBomb,
	"nul-long-line.eml":     nulLongLine,
	"junk-received.eml":     junkReceived,
}

func write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, build := range samples {
		b, err := build()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if len(b) >= 1<<20 {
			return fmt.Errorf("%s: %d bytes, over 1 MiB", name, len(b))
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

const head = "From: Sender <sender@example.com>\r\n" +
	"To: victim@example.net\r\n" +
	"Date: Mon, 2 Jan 2006 15:04:05 -0700\r\n" +
	"Subject: sample\r\n" +
	"MIME-Version: 1.0\r\n"

// deepNesting nests 8,000 multiparts, which took enmime 47 s.
func deepNesting() ([]byte, error) {
	const n = 8000
	var b bytes.Buffer
	b.WriteString(head)
	b.WriteString("Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n", i-1, i)
	}
	fmt.Fprintf(&b, "--b%d\r\nContent-Type: text/plain\r\n\r\ndeep\r\n", n-1)
	for i := n - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return b.Bytes(), nil
}

// manyParts holds 100,000 empty parts, which took enmime 82 s and 1 GB.
func manyParts() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(head)
	b.WriteString("Content-Type: multipart/mixed; boundary=z\n\n")
	for range 100_000 {
		b.WriteString("--z\n\n")
	}
	b.WriteString("--z--\n")
	return b.Bytes(), nil
}

// hugeHeader has one header field of 900 KB.
func hugeHeader() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(head)
	b.WriteString("X-Filler: ")
	for range 900_000 / 76 {
		b.WriteString(strings.Repeat("a", 74))
		b.WriteString("\r\n ")
	}
	b.WriteString("end\r\n\r\nbody\r\n")
	return b.Bytes(), nil
}

// manyHeaderLines has 100,000 header fields.
func manyHeaderLines() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(head)
	for i := range 100_000 {
		fmt.Fprintf(&b, "X-%d: v\n", i%10)
	}
	b.WriteString("\nbody\n")
	return b.Bytes(), nil
}

// foldedBoundary hides 600 parts behind a boundary declared in upper case,
// folded onto a line with no indent and no colon, unquoted.
func foldedBoundary() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(head)
	b.WriteString("CONTENT-TYPE: Multipart/Mixed;\r\nBOUNDARY=Fold.1\r\n\r\npreamble\r\n")
	for range 600 {
		b.WriteString("--Fold.1\r\nContent-Type: text/plain\r\n\r\nx\r\n")
	}
	b.WriteString("--Fold.1--\r\n")
	return b.Bytes(), nil
}

// badBase64 carries an attachment with stray bytes in its base64.
func badBase64() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(head)
	b.WriteString("Content-Type: multipart/mixed; boundary=\"bb\"\r\n\r\n")
	b.WriteString("--bb\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the attachment.\r\n")
	b.WriteString("--bb\r\nContent-Type: application/pdf; name=\"x.pdf\"\r\n" +
		"Content-Disposition: attachment; filename=\"x.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("%PDF-1.4 fake ", 40)))
	for i := 0; i < len(enc); i += 60 {
		b.WriteString(enc[i:min(i+60, len(enc))])
		b.WriteString("!*\r\n") // two stray bytes a line
	}
	b.WriteString("--bb\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n@@@@ not base64 at all ####\r\n")
	b.WriteString("--bb--\r\n")
	return b.Bytes(), nil
}

// base64Flood is a base64 part of 600 KB of bytes outside the alphabet, for
// each of which enmime would build an error.
func base64Flood() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(head)
	b.WriteString("Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	for range 600_000 / 78 {
		b.WriteString(strings.Repeat("!", 76))
		b.WriteString("\r\n")
	}
	return b.Bytes(), nil
}

// badCharsets declares an unknown charset, a wrong one and a mangled one.
func badCharsets() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("From: =?x-unknown-7?Q?Caf=E9?= <a@example.com>\r\n" +
		"To: b@example.net\r\nSubject: =?utf-8?B?////?=\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"cs\"\r\n\r\n")
	b.WriteString("--cs\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n\r\nhello unknown charset\r\n")
	b.WriteString("--cs\r\nContent-Type: text/plain; charset=utf-8\r\n\r\ncaf\xe9 na\xefve \xff\xfe latin-1 bytes said to be utf-8\r\n")
	b.WriteString("--cs\r\nContent-Type: text/html; charset=\"charset=windows-1252\"\r\n\r\n<p>mangled \x93charset\x94</p>\r\n")
	b.WriteString("--cs--\r\n")
	return b.Bytes(), nil
}

// pngBomb attaches a real 20,000 × 20,000 grayscale PNG of zeros: 400 M
// pixels in a few hundred KB.
func pngBomb() ([]byte, error) {
	img, err := zeroPNG(20_000, 20_000)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(head)
	b.WriteString("Content-Type: multipart/mixed; boundary=\"pb\"\r\n\r\n")
	b.WriteString("--pb\r\nContent-Type: text/plain\r\n\r\nlook\r\n")
	b.WriteString("--pb\r\nContent-Type: image/png; name=\"a.png\"\r\n" +
		"Content-Disposition: attachment; filename=\"a.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString(img)
	for i := 0; i < len(enc); i += 76 {
		b.WriteString(enc[i:min(i+76, len(enc))])
		b.WriteString("\r\n")
	}
	b.WriteString("--pb--\r\n")
	return b.Bytes(), nil
}

// zeroPNG encodes a w × h grayscale image of zeros. Compressing 400 MB
// takes seconds, so one band of rows is compressed and its deflate blocks
// repeated: each band ends in a sync flush and refers to nothing before it.
func zeroPNG(w, h int) ([]byte, error) {
	const band = 100 // rows; h must be a multiple of it
	if h%band != 0 {
		return nil, fmt.Errorf("height %d not a multiple of %d", h, band)
	}
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8] = 8 // bit depth; color type 0 (gray), no interlace
	chunk(&out, "IHDR", ihdr)
	var blk bytes.Buffer
	fw, err := flate.NewWriter(&blk, flate.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := fw.Write(make([]byte, band*(w+1))); err != nil { // filter byte 0, then zeros
		return nil, err
	}
	if err := fw.Flush(); err != nil {
		return nil, err
	}
	z := []byte{0x78, 0xda} // zlib header, best compression
	for range h / band {
		z = append(z, blk.Bytes()...)
	}
	z = append(z, 0x03, 0x00) // final empty fixed-Huffman block
	// Adler-32 of n zero bytes: a stays 1, b adds 1 per byte.
	n := uint64(h) * uint64(w+1)
	z = binary.BigEndian.AppendUint32(z, uint32(n%65521)<<16|1)
	chunk(&out, "IDAT", z)
	chunk(&out, "IEND", nil)
	return out.Bytes(), nil
}

func chunk(out *bytes.Buffer, typ string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	out.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	out.WriteString(typ)
	out.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	out.Write(n[:])
}

// nulLongLine has NUL bytes in headers and body and a 900 KB line.
func nulLongLine() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("From: nul\x00name <n@example.com>\r\nTo: t@exa\x00mple.net\r\n" +
		"Subject: a\x00b\r\nContent-Type: text/plain\r\n\r\n")
	b.WriteString("before\x00after\r\n")
	b.WriteString(strings.Repeat("word ", 900_000/5))
	b.WriteString("\r\nend\r\n")
	return b.Bytes(), nil
}

// junkReceived has Received headers with junk; the earliest (last) hop's
// client is 203.0.113.9 behind a forged IP-literal HELO.
func junkReceived() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("Received: from [[[[ ]]]] (999.1.1.1) by mx.example.net; junk\r\n" +
		"Received: \x01\x02 ((((( [ ; by by by\r\n" +
		"Received: from [6.6.6.6] (unknown [203.0.113.9])\r\n\tby mx.example.net (Postfix) with ESMTP id 1;\r\n" +
		"\tMon, 2 Jan 2006 15:04:05 -0700\r\n")
	b.WriteString(head)
	b.WriteString("\r\nhello\r\n")
	return b.Bytes(), nil
}

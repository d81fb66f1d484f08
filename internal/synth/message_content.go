package synth

import (
	"bytes"
	"fmt"
	"image"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/mailtrust/abusescan/internal/synth/photo"
)

// The files generated messages carry: résumés and newsletters (small
// PDF-shaped documents), profile photos, family photos and memes (JPEG
// pictures of internal/synth/photo).

// Picture sizes: a profile photo and a phone picture, small enough that a
// backtest's thousands of messages stay quick to read.
const (
	photoW, photoH = 160, 200
	sceneW, sceneH = 200, 150
)

// pdfBlob is a PDF-shaped document of about size bytes whose one page
// writes lines: a content stream, a filler stream standing in for an
// embedded font (random bytes, as compressed data looks) and a correct
// cross-reference table. The same seed, title and lines give the same
// bytes.
func pdfBlob(seed uint64, title string, lines []string, size int) *blob {
	return lazyBlob(func() ([]byte, error) { return fakePDF(seed, title, lines, size), nil })
}

func fakePDF(seed uint64, title string, lines []string, size int) []byte {
	r := rand.New(rand.NewPCG(seed, 0x706466))
	var content strings.Builder
	content.WriteString("BT\n/F1 11 Tf\n14 TL\n72 740 Td\n")
	for _, l := range lines {
		content.WriteString("(" + pdfEscape(l) + ") Tj T*\n")
	}
	content.WriteString("ET\n")
	filler := make([]byte, max(size-len(content.String())-900, 256))
	for i := range filler {
		filler[i] = byte(r.Uint32())
	}
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", content.Len(), content.String()),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /FontFile 6 0 R >>",
		fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", len(filler), filler),
		fmt.Sprintf("<< /Title (%s) /Producer (Microsoft Word) /CreationDate (D:2026%02d%02d%02d%02d00) >>",
			pdfEscape(title), r.IntN(9)+1, r.IntN(28)+1, r.IntN(24), r.IntN(60)),
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R /ID [<%016x%016x>] >>\nstartxref\n%d\n%%%%EOF\n",
		len(objs)+1, len(objs), r.Uint64(), r.Uint64(), xref)
	return b.Bytes()
}

func pdfEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(s)
}

// resumeLines is the text of a résumé of name.
func resumeLines(r *rng, name, email, summary string) []string {
	lines := []string{strings.ToUpper(name), email + " | " + phoneUS(r), "", "SUMMARY", summary, "", "EXPERIENCE"}
	for range r.between(2, 4) {
		from := 2026 - r.between(2, 14)
		lines = append(lines, fmt.Sprintf("%s, %s  %d - %d", pick(r, roles[:]), pick(r, companyWords[:])+" "+pick(r, companyKinds[:]), from, from+r.between(1, 4)),
			"- "+pick(r, []string{"Built and maintained", "Designed", "Led the rewrite of", "Scaled", "Automated"})+" "+
				pick(r, []string{"the payments platform", "a customer portal", "internal tooling", "the data pipeline", "the mobile app"})+
				fmt.Sprintf(" serving %d,000 users", r.between(5, 900)))
	}
	lines = append(lines, "", "EDUCATION", pick(r, []string{"B.S. Computer Science", "M.S. Software Engineering", "B.Eng. Computer Engineering"})+
		", "+pick(r, []string{"University of Washington", "Texas A&M University", "Rutgers University", "University of Michigan", "Arizona State University"}))
	return lines
}

// resumeBlob is a résumé document for name: 5 to 14 KB.
func resumeBlob(r *rng, name, email, summary string) *blob {
	lines := resumeLines(r, name, email, summary)
	return pdfBlob(r.u64(), name+" - Resume", lines, r.between(5000, 14000))
}

// picture is a photo's source image, drawn once for all its edits.
type picture struct {
	img func() *image.RGBA
}

func portraitPic(seed uint64) picture {
	return picture{img: sync.OnceValue(func() *image.RGBA { return photo.Portrait(seed, photoW, photoH) })}
}

func scenePic(seed uint64) picture {
	return picture{img: sync.OnceValue(func() *image.RGBA { return photo.Scene(seed, sceneW, sceneH) })}
}

// encoded is the picture with an edit applied, as a JPEG (or PNG) file.
func (p picture) encoded(e photo.Edit) *blob {
	return lazyBlob(func() ([]byte, error) { return photo.Encode(photo.Apply(p.img(), e), e) })
}

// original is the picture as first saved: a JPEG of good quality.
func (p picture) original(quality int) *blob {
	return lazyBlob(func() ([]byte, error) { return photo.Encode(p.img(), photo.Edit{Quality: quality}) })
}

// lightEdit draws an operator's light edit of a photo, a PNG only now and
// then (they are large).
func lightEdit(r *rng) photo.Edit {
	e := photo.RandomEdit(r.r)
	if e.Quality == 0 && r.chance(0.75) {
		e.Quality = r.between(60, 92)
	}
	return e
}

// recompress is what a messaging app or mail client does to a forwarded
// picture: a new JPEG quality, sometimes a smaller size.
func recompress(r *rng) photo.Edit {
	e := photo.Edit{Quality: r.between(45, 85)}
	if r.chance(0.4) {
		e.Scale = r.uniform(0.6, 0.95)
	}
	return e
}

// mimeOf is the content type of an encoded picture.
func mimeOf(e photo.Edit) (ctype, ext string) {
	if e.Quality <= 0 {
		return "image/png", ".png"
	}
	return "image/jpeg", ".jpg"
}

// Company names of the job applications' recipients.
var (
	companyWords = [...]string{"Blue", "North", "Bright", "Apex", "Cedar", "Summit", "Harbor", "Pixel", "Quantum",
		"Silver", "Red", "Iron", "Clear", "Swift", "Maple", "Nova", "Stone", "River", "Orbit", "Atlas", "Lumen",
		"Vertex", "Cobalt", "Granite", "Pioneer", "Beacon", "Falcon", "Evergreen", "Horizon", "Copper", "Zenith",
		"Prairie", "Coastal", "Crescent", "Echo", "Forge", "Kestrel", "Meridian", "Onyx", "Redwood"}
	companyKinds = [...]string{"Labs", "Systems", "Software", "Digital", "Health", "Logistics", "Analytics", "Cloud",
		"Networks", "Financial", "Robotics", "Media", "Works", "Technologies", "Solutions", "Data", "Security", "Retail"}
	recruiterLocals = [...]string{"careers", "jobs", "hr", "recruiting", "talent", "hiring", "apply", "people", "recruitment"}
)

// company is a firm that hires: its name and mail domain.
type company struct{ name, domain string }

// companies lists every combination of the name parts, in a fixed order.
func companies() []company {
	out := make([]company, 0, len(companyWords)*len(companyKinds))
	for _, w := range companyWords {
		for _, k := range companyKinds {
			out = append(out, company{name: w + " " + k, domain: strings.ToLower(w+k) + ".example"})
		}
	}
	return out
}

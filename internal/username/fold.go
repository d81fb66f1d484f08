package username

// foldLatin maps U+00C0..U+024F (Latin-1 Supplement, Latin Extended-A and -B)
// to the lowercase ASCII letter a name written without diacritics would use,
// '_' when there is none. It was generated from the Unicode canonical
// decompositions (NFD, first code point) plus the letters that have no
// decomposition but an obvious ASCII spelling (Ø, Đ, Ł, Ħ, ı …), so that
// display names like "Nguyễn Thị Hải" or "José Núñez" compare with the ASCII
// mailbox names people choose for themselves.
const foldLatin = "" +
	"aaaaaa_ceeeeiiiidnooooo_ouuuuy__aaaaaa_ceeeeiiiidnooooo_ouuuuy_y" + // U+00C0
	"aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii__jjkkkllllll_" + // U+0100
	"_llnnnnnn___oooooo__rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzz_" + // U+0140
	"b________d_____________i__l_____oo_____________uu____zz_________" + // U+0180
	"_____________aaiioouuuuuuuuuu_aaaa____ggkkoooo__j___gg__nnaa____" + // U+01C0
	"aaaaeeeeiiiioooorrrruuuusstt__hh______aaeeooooooooyy____________" + // U+0200
	"________________" // U+0240

// foldLatinExt does the same for U+1E00..U+1EFF (Latin Extended Additional,
// which holds most Vietnamese letters).
const foldLatinExt = "" +
	"aabbbbbbccddddddddddeeeeeeeeeeffgghhhhhhhhhhiiiikkkkkkllllllllmm" + // U+1E00
	"mmmmnnnnnnnnoooooooopppprrrrrrrrssssssssssttttttttuuuuuuuuuuvvvv" + // U+1E40
	"wwwwwwwwwwxxxxyyzzzzzzhtwy______aaaaaaaaaaaaaaaaaaaaaaaaeeeeeeee" + // U+1E80
	"eeeeeeeeiiiioooooooooooooooooooooooouuuuuuuuuuuuuuyyyyyyyy______" // U+1EC0

// foldRune appends to dst the lowercase ASCII letters that spell r without
// diacritics, and reports whether r is such a letter. Letters of other
// scripts are not letters here: a model of Latin-alphabet names cannot judge
// them.
func foldRune(dst []byte, r rune) ([]byte, bool) {
	switch {
	case 'a' <= r && r <= 'z':
		return append(dst, byte(r)), true
	case 'A' <= r && r <= 'Z':
		return append(dst, byte(r)+'a'-'A'), true
	case r < 0xC0:
		return dst, false
	}
	switch r {
	case 'ß':
		return append(dst, 's', 's'), true
	case 'Æ', 'æ':
		return append(dst, 'a', 'e'), true
	case 'Œ', 'œ':
		return append(dst, 'o', 'e'), true
	case 'Þ', 'þ':
		return append(dst, 't', 'h'), true
	case 'Ĳ', 'ĳ':
		return append(dst, 'i', 'j'), true
	}
	var c byte = '_'
	switch {
	case r < 0xC0+rune(len(foldLatin)):
		c = foldLatin[r-0xC0]
	case 0x1E00 <= r && r < 0x1E00+rune(len(foldLatinExt)):
		c = foldLatinExt[r-0x1E00]
	}
	if c == '_' {
		return dst, false
	}
	return append(dst, c), true
}

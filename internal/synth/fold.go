package synth

import (
	"strings"
	"unicode"
)

// nameParts splits a locale entry "native|latin" into the form people type
// as their display name and the Latin spelling they use in usernames. Entries
// without a bar are both.
func nameParts(entry string) (native, latin string) {
	if n, l, ok := strings.Cut(entry, "|"); ok {
		return n, l
	}
	return entry, entry
}

// fold turns a name into what people put in a mailbox name: lowercase ASCII
// letters only. Diacritics are stripped ("Hélène" -> "helene"); German
// umlauts become ae/oe/ue when umlautE is set, as many Germans write them
// ("Müller" -> "mueller"), or lose their dots otherwise ("muller").
// Cyrillic is transliterated the way passports do, with the Ukrainian
// readings of г, и, і, ї and є when country is "UA".
func fold(name, country string, umlautE bool) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r)
		case r >= '0' && r <= '9', r == ' ', r == '\'', r == '-', r == '.':
			// separators and apostrophes ("O'Brien", "van der Meer") vanish
		case umlautE && (r == 'ä' || r == 'ö' || r == 'ü'):
			b.WriteString(string(r2ascii(r)) + "e")
		default:
			if s, ok := latinFold(r); ok {
				b.WriteString(s)
			} else if s, ok := cyrillic(r, country); ok {
				b.WriteString(s)
			}
		}
	}
	return b.String()
}

func latinFold(r rune) (string, bool) {
	switch r {
	case 'à', 'á', 'â', 'ã', 'ä', 'å', 'ā':
		return "a", true
	case 'æ':
		return "ae", true
	case 'ç', 'č', 'ć':
		return "c", true
	case 'è', 'é', 'ê', 'ë', 'ē', 'ę':
		return "e", true
	case 'ì', 'í', 'î', 'ï', 'ı', 'ī':
		return "i", true
	case 'ñ', 'ń':
		return "n", true
	case 'ò', 'ó', 'ô', 'õ', 'ö', 'ø', 'ō':
		return "o", true
	case 'œ':
		return "oe", true
	case 'ù', 'ú', 'û', 'ü', 'ū':
		return "u", true
	case 'ý', 'ÿ':
		return "y", true
	case 'ß':
		return "ss", true
	case 'ş', 'š', 'ś':
		return "s", true
	case 'ğ':
		return "g", true
	case 'ł':
		return "l", true
	case 'ž', 'ź', 'ż':
		return "z", true
	}
	return "", false
}

func cyrillic(r rune, country string) (string, bool) {
	if country == "UA" {
		switch r {
		case 'г':
			return "h", true
		case 'и':
			return "y", true
		case 'і':
			return "i", true
		case 'ї':
			return "i", true
		case 'є':
			return "ie", true
		case 'ґ':
			return "g", true
		}
	}
	switch {
	case r >= 'а' && r <= 'я':
		// а б в г д е ж з и й к л м н о п р с т у ф х ц ч ш щ ъ ы ь э ю я
		return [...]string{"a", "b", "v", "g", "d", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p",
			"r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"}[r-'а'], true
	case r == 'ё':
		return "e", true
	case r == 'і':
		return "i", true
	case r == 'є':
		return "ye", true
	case r == 'ї':
		return "yi", true
	}
	return "", false
}

// r2ascii is the base letter of a German umlaut.
func r2ascii(r rune) byte {
	switch r {
	case 'ä':
		return 'a'
	case 'ö':
		return 'o'
	}
	return 'u'
}

// feminine gives the feminine form of a Russian or Ukrainian surname
// (Иванов -> Иванова, Ковалевский -> Ковалевская); surnames that do not
// change (Шевченко, Мельник) are returned as they are, except that Ukrainian
// -ов/-ев names take -а like Russian ones.
func feminine(last string) string {
	switch {
	case strings.HasSuffix(last, "ский"):
		return strings.TrimSuffix(last, "ий") + "ая"
	case strings.HasSuffix(last, "цкий"):
		return strings.TrimSuffix(last, "ий") + "ая"
	case strings.HasSuffix(last, "ов"), strings.HasSuffix(last, "ев"), strings.HasSuffix(last, "ёв"),
		strings.HasSuffix(last, "ин"), strings.HasSuffix(last, "ын"):
		return last + "а"
	}
	return last
}

// capitalize upper-cases the first letter of an ASCII word.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

package username

import "slices"

// nicknames maps familiar English forms of first names to the names they
// stand for, for the ones that are not simply the start of the name ("chris"
// for Christopher is found without a table). Sorted by formal name. A short
// hand-made list: it only has to keep the commonest nicknames from looking
// like random filler.
var nicknames = [...]struct {
	formal string
	nicks  []string
}{
	{"abigail", []string{"abby", "gail"}},
	{"albert", []string{"al", "bert"}},
	{"alexander", []string{"alex", "sasha", "xander"}},
	{"alexandra", []string{"alex", "sasha", "sandra", "lexi"}},
	{"andrew", []string{"andy", "drew"}},
	{"anthony", []string{"tony"}},
	{"barbara", []string{"barb", "babs"}},
	{"benjamin", []string{"ben", "benny"}},
	{"catherine", []string{"cathy", "kate", "katie", "cat"}},
	{"charles", []string{"charlie", "chuck", "chas"}},
	{"christine", []string{"chris", "tina"}},
	{"christopher", []string{"chris", "kit", "topher"}},
	{"daniel", []string{"dan", "danny"}},
	{"david", []string{"dave", "davey"}},
	{"deborah", []string{"debbie", "deb"}},
	{"dorothy", []string{"dot", "dottie"}},
	{"edward", []string{"ed", "eddie", "ted", "ned"}},
	{"elizabeth", []string{"liz", "lizzie", "beth", "betty", "betsy", "eliza", "libby"}},
	{"frances", []string{"fran", "frankie"}},
	{"francis", []string{"frank"}},
	{"gregory", []string{"greg"}},
	{"henry", []string{"hank", "harry"}},
	{"jacqueline", []string{"jackie"}},
	{"james", []string{"jim", "jimmy", "jamie"}},
	{"jennifer", []string{"jen", "jenny"}},
	{"john", []string{"jack", "johnny"}},
	{"jonathan", []string{"jon", "jonny"}},
	{"joseph", []string{"joe", "joey"}},
	{"katherine", []string{"kathy", "kate", "katie", "kat", "kay"}},
	{"kathleen", []string{"kathy", "kate"}},
	{"lawrence", []string{"larry"}},
	{"margaret", []string{"maggie", "meg", "peggy", "marge", "greta"}},
	{"matthew", []string{"matt"}},
	{"michael", []string{"mike", "mikey", "mick"}},
	{"nicholas", []string{"nick", "nicky"}},
	{"patricia", []string{"pat", "patty", "trish", "tricia"}},
	{"patrick", []string{"pat", "paddy"}},
	{"peter", []string{"pete"}},
	{"rebecca", []string{"becky", "becca"}},
	{"richard", []string{"rick", "ricky", "rich", "dick"}},
	{"robert", []string{"rob", "bob", "bobby", "robbie", "bert"}},
	{"ronald", []string{"ron", "ronnie"}},
	{"samantha", []string{"sam", "sammy"}},
	{"samuel", []string{"sam", "sammy"}},
	{"stephen", []string{"steve", "stevie"}},
	{"steven", []string{"steve", "stevie"}},
	{"susan", []string{"sue", "suzy"}},
	{"theodore", []string{"ted", "teddy", "theo"}},
	{"thomas", []string{"tom", "tommy"}},
	{"timothy", []string{"tim", "timmy"}},
	{"victoria", []string{"vicky", "tori"}},
	{"william", []string{"will", "bill", "billy", "willie", "liam"}},
}

// nicknamesOf returns the familiar forms of a first name; the slice is
// shared and must not be changed.
func nicknamesOf(formal []byte) []string {
	lo, hi := 0, len(nicknames)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if nicknames[mid].formal < string(formal) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(nicknames) && nicknames[lo].formal == string(formal) {
		return nicknames[lo].nicks
	}
	return nil
}

// commonWords are letters people add to their own names in mailbox names
// ("smithfamily", "thereal.jane", "janedoe.usa"). Like the nicknames, a
// short hand-made list: it keeps the commonest additions from being judged
// as random filler, many of which (usa, nyc, xoxo) would be.
var commonWords = [...]string{
	"art", "arts", "baby", "biz", "boy", "bro", "cpa", "dad", "dds", "design", "dev",
	"dr", "esq", "fam", "family", "girl", "home", "iii", "inc", "its", "jr",
	"king", "llc", "love", "mail", "man", "mba", "mom", "mr", "mrs", "ms",
	"mum", "music", "nyc", "official", "online", "phd", "photo", "photos",
	"pro", "queen", "real", "shop", "sis", "sr", "studio", "team", "tech",
	"the", "uk", "usa", "work", "xo", "xoxo", "xxx",
}

// isCommonWord reports whether w is one of commonWords.
func isCommonWord(w string) bool {
	_, ok := slices.BinarySearch(commonWords[:], w)
	return ok
}

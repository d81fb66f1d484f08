package username

import (
	"slices"
	"strings"
	"testing"
)

func TestNameMismatch(t *testing.T) {
	t.Parallel()
	m := defaultModel(t)
	tests := []struct {
		local, display string
		want           Pattern
		wantFiller     string
	}{
		// Nothing to compare.
		{"james.miller", "", PatternNone, ""},
		{"james.miller", "  ,. ", PatternNone, ""},
		{"1987", "James Miller", PatternNone, ""},
		{"", "James Miller", PatternNone, ""},
		{"james.miller", "李伟", PatternNone, ""},

		// Genuine forms.
		{"james.miller", "James Miller", PatternFirstLast, ""},
		{"James.Miller1987", "James Miller", PatternFirstLast, ""},
		{"jamesmiller87", "James Miller", PatternFirstLast, ""},
		{"miller_james", "James Miller", PatternFirstLast, ""},
		{"jim.miller", "James Miller", PatternFirstLast, ""},
		{"jmiller", "James Miller", PatternInitialLast, ""},
		{"j.miller", "James Miller", PatternInitialLast, ""},
		{"millerj", "James Miller", PatternInitialLast, ""},
		{"jrmiller", "James Robert Miller", PatternInitialLast, ""},
		{"jamesm", "James Miller", PatternFirstInitial, ""},
		{"miller1987", "James Miller", PatternOneName, ""},
		{"james", "James Miller", PatternOneName, ""},
		{"chris1990", "Christopher Lee", PatternNickname, ""},
		{"bill", "William Jones", PatternNickname, ""},
		{"jm1987", "James Miller", PatternInitials, ""},
		{"jamie.miller+shopping", "James Miller", PatternFirstLast, ""},
		{"nguyen.thanh.hai", "Nguyễn Thanh Hải", PatternFirstLast, ""},
		{"nguyenthanhhai", "Nguyen Thanh Hai", PatternFirstLast, ""},
		{"oluwaseun.adeyemi", "Oluwaseun Adeyemi", PatternFirstLast, ""},
		{"priya.sharma92", "Priya Sharma", PatternFirstLast, ""},
		{"li.wei1990", "Li Wei", PatternFirstLast, ""},
		{"wei.li", "Li Wei", PatternFirstLast, ""},
		{"obrien", "Seán O'Brien", PatternOneName, ""},
		{"sean.obrien", "Seán O’Brien", PatternFirstLast, ""},
		{"jose.garcia", "José García", PatternFirstLast, ""},
		{"muller.jurgen", "Jürgen Müller", PatternFirstLast, ""},
		{"mariejeanne", "Marie-Jeanne Dupont", PatternFirstLast, ""},
		{"robles.m", "Robles, Margarite", PatternInitialLast, ""},
		{"jsmith", "Dr. John Smith Jr.", PatternInitialLast, ""},
		{"smithfamily", "John Smith", PatternNameExtra, "family"},
		{"thereal.jsmith", "John Smith", PatternNameExtra, "thereal"},
		{"jsmithxq", "John Smith", PatternNameExtra, "xq"},
		{"millerjames.usa", "James Miller", PatternNameExtra, "usa"},
		{"coolguy99", "James Miller", PatternUnrelated, ""},
		{"xkqzvbrw", "James Miller", PatternUnrelated, ""},

		// Bought and farmed personas.
		{"roblesxyfi", "Margarite Robles", PatternSurnameRandom, "xyfi"},
		{"robles.xyfi", "Margarite Robles", PatternSurnameRandom, "xyfi"},
		{"truesdaleebweli", "Elin Truesdale", PatternSurnameRandomFirst, "ebw"},
		{"TruesdaleebwEli", "Elin Truesdale", PatternSurnameRandomFirst, "ebw"},
		{"truesdaleqzkelin", "Elin Truesdale", PatternSurnameRandomFirst, "qzk"},
		{"margaritexyfi", "Margarite Robles", PatternFirstRandom, "xyfi"},
		{"elinwqpz", "Elin Truesdale", PatternFirstRandom, "wqpz"},
		{"xyfirobles", "Margarite Robles", PatternNameRandom, "xyfi"},
		{"margaritexyfirobles", "Margarite Robles", PatternNameRandom, "xyfi"},
		{"kowalskibtqj22", "Anna Kowalski", PatternSurnameRandom, "btqj"},
	}
	for _, tt := range tests {
		t.Run(tt.local+"/"+tt.display, func(t *testing.T) {
			t.Parallel()
			got := m.NameMismatch(tt.local, tt.display)
			if got.Pattern != tt.want {
				t.Errorf("NameMismatch(%q, %q).Pattern = %v, want %v (%s)", tt.local, tt.display, got.Pattern, tt.want, got)
			}
			if tt.wantFiller != "" && got.Filler != tt.wantFiller && !strings.Contains(got.Filler, tt.wantFiller) {
				t.Errorf("NameMismatch(%q, %q).Filler = %q, want %q", tt.local, tt.display, got.Filler, tt.wantFiller)
			}
			if got.Suspicious() != tt.want.Suspicious() {
				t.Errorf("Suspicious() = %v, want %v", got.Suspicious(), tt.want.Suspicious())
			}
			if got.Suspicious() && got.Randomness < FillerThreshold {
				t.Errorf("suspicious with Randomness %.2f < %v", got.Randomness, FillerThreshold)
			}
		})
	}
}

// TestNameMismatchSecondName checks that a second real name after the
// surname is not taken for random filler, across many names rather than one.
func TestNameMismatchSecondName(t *testing.T) {
	t.Parallel()
	m := defaultModel(t)
	others := []string{"maria", "anna", "grace", "rose", "james", "lee", "marie", "jean", "kate", "louise", "ann", "mae", "lynn", "beth", "jo", "ray"}
	for _, o := range others {
		t.Run(o, func(t *testing.T) {
			t.Parallel()
			got := m.NameMismatch("robles"+o, "Margarite Robles")
			if got.Suspicious() {
				t.Errorf("NameMismatch(robles%s) = %s, want not suspicious", o, got)
			}
		})
	}
}

func TestMismatchString(t *testing.T) {
	t.Parallel()
	m := defaultModel(t)
	tests := []struct {
		local, display, want string
	}{
		{"roblesxyfi", "Margarite Robles", "username = surname 'robles' + random 'xyfi'"},
		{"truesdaleebweli", "Elin Truesdale", "username = surname 'truesdale' + random 'ebw' + first name 'eli'"},
		{"j.miller", "James Miller", "username = initial 'j' + surname 'miller'"},
		{"smithfamily", "John Smith", "username = surname 'smith' + other 'family'"},
		{"coolguy", "John Smith", "username unrelated to display name"},
		{"coolguy", "", "username not compared with a display name"},
	}
	for _, tt := range tests {
		t.Run(tt.local, func(t *testing.T) {
			t.Parallel()
			if got := m.NameMismatch(tt.local, tt.display).String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMismatchParts(t *testing.T) {
	t.Parallel()
	m := defaultModel(t)
	got := m.NameMismatch("Truesdale.ebw-Eli1987", "Elin Truesdale").Parts
	want := []Part{{PartLast, "truesdale"}, {PartFiller, "ebw"}, {PartFirst, "eli"}}
	if !slices.Equal(got, want) {
		t.Errorf("Parts = %v, want %v", got, want)
	}
	// Filler runs apart in the username stay apart.
	res := m.NameMismatch("xq.smith.zv", "John Smith")
	if got, want := res.Filler, "xqzv"; got != want {
		t.Errorf("Filler = %q, want %q", got, want)
	}
	if n := len(res.Parts); n != 3 {
		t.Errorf("len(Parts) = %d, want 3: %v", n, res.Parts)
	}
}

func TestPatternString(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for p := PatternNone; p <= PatternNameRandom; p++ {
		s := p.String()
		if s == "" || seen[s] || strings.HasPrefix(s, "pattern(") {
			t.Errorf("Pattern(%d).String() = %q, want a distinct name", p, s)
		}
		seen[s] = true
	}
	if got, want := Pattern(200).String(), "pattern(200)"; got != want {
		t.Errorf("Pattern(200).String() = %q, want %q", got, want)
	}
	if got, want := PartKind(0).String(), "part(0)"; got != want {
		t.Errorf("PartKind(0).String() = %q, want %q", got, want)
	}
	suspicious := []Pattern{PatternSurnameRandom, PatternSurnameRandomFirst, PatternFirstRandom, PatternNameRandom}
	for p := PatternNone; p <= PatternNameRandom+1; p++ {
		if got, want := p.Suspicious(), slices.Contains(suspicious, p); got != want {
			t.Errorf("%v.Suspicious() = %v, want %v", p, got, want)
		}
	}
}

func TestTablesSorted(t *testing.T) {
	t.Parallel()
	if !slices.IsSorted(commonWords[:]) {
		t.Error("commonWords not sorted")
	}
	if !slices.IsSortedFunc(nicknames[:], func(a, b struct {
		formal string
		nicks  []string
	}) int {
		return strings.Compare(a.formal, b.formal)
	}) {
		t.Error("nicknames not sorted by formal name")
	}
	for _, n := range nicknames {
		if got := nicknamesOf([]byte(n.formal)); !slices.Equal(got, n.nicks) {
			t.Errorf("nicknamesOf(%q) = %v, want %v", n.formal, got, n.nicks)
		}
	}
}

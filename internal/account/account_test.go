package account

import "testing"

func TestNameKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"James Miller", "james miller"},
		{"  JAMES   miller ", "james miller"},
		{"\"Miller, James\"", "miller james"},
		{"José Núñez", "josé núñez"},
		{"J. R. R. Tolkien", "j r r tolkien"},
		{"<>!!", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NameKey(tt.in); got != tt.want {
			t.Errorf("NameKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	long := make([]byte, 10000)
	for i := range long {
		long[i] = 'a'
	}
	if got := NameKey(string(long)); len(got) > 260 {
		t.Errorf("NameKey of 10000 letters kept %d bytes", len(got))
	}
}

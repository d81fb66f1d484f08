package textsim

import (
	"strings"
	"testing"
)

func BenchmarkSum(b *testing.B) {
	text := strings.Repeat(letter, 4096/len(letter)+1)[:4096]
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Sum(text)
	}
}

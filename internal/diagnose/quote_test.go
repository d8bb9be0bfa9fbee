package diagnose

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestQuote(t *testing.T) {
	for _, tc := range []struct {
		in    string
		limit int
		want  string
	}{
		{"Access Denied", 64, "Access Denied"},
		{"red \x1b[31m text\r\n", 64, "red  [31m text  "},
		{"\u202eevil", 64, " evil"},
		{"invalid \xff byte", 64, "invalid   byte"},
		{strings.Repeat("a", 10), 4, "aaaa…"},
		{"ééé", 3, "é…"}, // never half a character
	} {
		got := Quote(tc.in, tc.limit)
		assert.Equal(t, tc.want, got, "%q", tc.in)
		assert.True(t, utf8.ValidString(got), "%q", got)
	}
}

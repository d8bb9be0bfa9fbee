package diagnose

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds of what a reply may put into an error, a diagnosis or a report:
// a server, or a host a tenant pointed the recorder at, chooses these
// bytes, and whoever reads the text must not be handed a page of them.
const (
	maxMessage = 512 // an error's message: AWS's longest (access denials) fit
	maxToken   = 128 // a code or a request ID
)

// Quote is s cut to at most limit bytes, at a character's end, with "…"
// where it was cut, and with every character that is not printable (a
// control character, an escape sequence, a direction override) replaced
// by a space.
func Quote(s string, limit int) string {
	clean := strings.Map(func(r rune) rune {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, s)
	if len(clean) <= limit {
		return clean
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(clean[cut]) {
		cut--
	}
	return clean[:cut] + "…"
}

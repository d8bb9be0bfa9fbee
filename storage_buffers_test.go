package recstore_test

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/auvious/recstore"
)

// TestReadFirstPartBuffer checks that the first part's buffer fits what
// is known of the stream: a short recording must not cost a whole part.
func TestReadFirstPartBuffer(t *testing.T) {
	const part = 2 << 20
	stream := func(n int) io.Reader { return struct{ io.Reader }{strings.NewReader(strings.Repeat("x", n))} }
	for _, tc := range []struct {
		name    string
		r       io.Reader
		wantLen int
		wantCap int
		wantErr error
	}{
		{"known length, small", bytes.NewReader(make([]byte, 4096)), 4096, 4097, io.EOF},
		{"known length, empty", strings.NewReader(""), 0, 1, io.EOF},
		{"known length, a whole part", bytes.NewReader(make([]byte, part)), part, part, nil},
		{"known length, over a part", bytes.NewBuffer(make([]byte, part+5)), part, part, nil},
		{"unknown length, small", stream(100), 100, 64 << 10, io.EOF},
		{"unknown length, grows to 1 MiB", stream(700 << 10), 700 << 10, 1 << 20, io.EOF},
		{"unknown length, over a part", stream(3 << 20), part, part, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf, err := recstore.ReadFirstPart(tc.r, part)
			assert.Equal(t, tc.wantErr, err)
			assert.Equal(t, tc.wantLen, len(buf))
			assert.Equal(t, tc.wantCap, cap(buf))
		})
	}
}

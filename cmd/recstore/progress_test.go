package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestProgressLine(t *testing.T) {
	for _, tc := range []struct {
		n, total int64
		elapsed  time.Duration
		want     string
	}{
		{12 << 20, 48 << 20, 2 * time.Second, "upload  12.0 MiB / 48.0 MiB   25%  6.0 MiB/s  6s left"},
		{48 << 20, 48 << 20, 8 * time.Second, "upload  48.0 MiB / 48.0 MiB  100%  6.0 MiB/s"},
		{3 << 20, -1, time.Second, "upload  3.0 MiB  3.0 MiB/s"},
		{0, 100, 0, "upload  0.0 MiB / 0.0 MiB    0%  0.0 MiB/s"},
	} {
		assert.Equal(t, tc.want, strings.TrimSpace(progressLine("upload", tc.n, tc.total, tc.elapsed)))
	}
}

// TestProgressQuietOffTerminal: the bar draws nothing to a non-terminal
// and passes the reader through untouched.
func TestProgressQuietOffTerminal(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out, "upload", 10, false)
	r := strings.NewReader("0123456789")
	assert.Same(t, r, p.reader(r).(*strings.Reader))
	p.done(nil)
	assert.Empty(t, out.String())
}

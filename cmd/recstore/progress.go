package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/auvious/recstore/internal/streams"
)

// progress shows bytes, rate and time left on a terminal, redrawn five
// times a second. Elsewhere (a pipe, a file, --quiet) it does nothing.
type progress struct {
	w     io.Writer
	label string
	total int64 // -1 when unknown
	start time.Time
	n     atomic.Int64
	stop  chan struct{}
	wg    sync.WaitGroup // the redrawing goroutine, stopped by done
}

func newProgress(w io.Writer, label string, total int64, quiet bool) *progress {
	p := &progress{w: w, label: label, total: total, start: time.Now()}
	if quiet || !isTerminal(w) {
		return p
	}
	p.stop = make(chan struct{})
	p.wg.Go(func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-tick.C:
				fmt.Fprintf(p.w, "\r%s", progressLine(p.label, p.n.Load(), p.total, time.Since(p.start)))
			}
		}
	})
	return p
}

// reader counts what is read through it.
func (p *progress) reader(r io.Reader) io.Reader {
	if p.stop == nil {
		return r
	}
	return streams.Func(func(b []byte) (int, error) {
		n, err := r.Read(b)
		p.n.Add(int64(n))
		return n, err
	})
}

// done stops the redrawing and leaves the final line.
func (p *progress) done(err error) {
	if p.stop == nil {
		return
	}
	close(p.stop)
	p.wg.Wait()
	line := progressLine(p.label, p.n.Load(), p.total, time.Since(p.start))
	if err != nil {
		line += "  failed"
	}
	fmt.Fprintf(p.w, "\r%s\n", line)
}

// progressLine is one redraw: "upload  12.0 MiB / 48.0 MiB  25%  6.0 MiB/s  6s left".
func progressLine(label string, n, total int64, elapsed time.Duration) string {
	rate := float64(n) / max(elapsed.Seconds(), 0.001)
	parts := []string{label, mib(n)}
	if total >= 0 {
		parts[1] += " / " + mib(total)
		parts = append(parts, fmt.Sprintf("%3.0f%%", 100*float64(n)/max(float64(total), 1)))
	}
	parts = append(parts, mib(int64(rate))+"/s")
	if total > n && rate > 0 {
		parts = append(parts, (time.Duration(float64(total-n)/rate)*time.Second).Round(time.Second).String()+" left")
	}
	return strings.Join(parts, "  ") + "   " // the spaces erase a longer previous line
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

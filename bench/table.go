package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// print writes the table: one row per client and scenario, and for
// recstore its ratio to the best peer.
func (b *bench) print(w io.Writer, s settings) {
	fmt.Fprintf(w, "recstore benchmark, %s, %d CPUs, %s; MinIO on loopback; part size %d MiB, concurrency %d\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), runtime.Version(), b.t.PartSize>>20, b.t.Concurrency)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CLIENT\tSCENARIO\tRATE\tP50 / P99\tPEAK RSS\tCPU/GiB\tRATIO")
	for _, r := range b.results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.client, r.scenario, rate(r), lat(r), rss(r), cpuPerGiB(r), b.ratio(r))
	}
	tw.Flush()
	for _, r := range b.results {
		if r.err != nil {
			fmt.Fprintf(w, "\n%s %s failed: %s\n", r.client, r.scenario, lastLines(r.err.Error(), 3))
		}
	}
	limit := b.t.PartSize*int64(b.t.Concurrency) + 32<<20
	fmt.Fprintf(w, "\nMemory target for the stream upload: part size x concurrency + 32 MiB = %d MiB.\n", limit>>20)
}

func rate(r result) string {
	switch {
	case r.err != nil:
		return "failed"
	case strings.HasPrefix(r.scenario, "spool crash"), strings.HasPrefix(r.scenario, "spool resume"):
		return "" // their figures are in the note
	case r.ops == 0 && r.elapsed == 0:
		return "not run"
	case r.scenario == "STS calls", strings.HasPrefix(r.scenario, "broken tenant"):
		return fmt.Sprintf("%.0f AssumeRole", r.ops)
	case strings.HasPrefix(r.scenario, "verify"):
		return fmt.Sprintf("%.1f HeadBucket RTTs", r.ops)
	case r.ops > 0:
		return fmt.Sprintf("%.0f ops/s", r.ops)
	}
	return fmt.Sprintf("%.0f MiB/s", r.mibps())
}

func lat(r result) string {
	switch {
	case r.err != nil || r.p50 == 0:
		return ""
	case r.p99 == 0:
		return r.p50.Round(time.Microsecond).String()
	}
	return r.p50.Round(time.Microsecond).String() + " / " + r.p99.Round(time.Microsecond).String()
}

func cpuPerGiB(r result) string {
	if r.cpuPerGiB == 0 || r.err != nil {
		return ""
	}
	return fmt.Sprintf("%.2f s", r.cpuPerGiB)
}

func rss(r result) string {
	if r.peakRSS == 0 {
		return ""
	}
	return fmt.Sprintf("%d MiB", r.peakRSS>>20)
}

// ratio compares a recstore row with the best peer of the same scenario:
// above 1.0 is better. For small objects it is ops/s; otherwise MiB/s. A
// recstore+otel row is compared with recstore's: the cost of telemetry.
func (b *bench) ratio(r result) string {
	if r.err != nil || r.scenario == "STS calls" || r.scenario == "verify" {
		return r.note
	}
	var best result
	for _, p := range b.results {
		if p.scenario != r.scenario || p.err != nil {
			continue
		}
		switch {
		case r.client == clientOTel && p.client == clientRecstore:
			best = p
		case r.client == clientRecstore && !strings.HasPrefix(p.client, "recstore") && score(p) > score(best):
			best = p
		}
	}
	if score(best) == 0 {
		return r.note
	}
	ratio := fmt.Sprintf("%.2f x %s", score(r)/score(best), best.client)
	if r.cpuPerOp > 0 && best.cpuPerOp > 0 {
		ratio += fmt.Sprintf("; client CPU per op %s vs %s: %+.0f%%", r.cpuPerOp.Round(time.Microsecond),
			best.cpuPerOp.Round(time.Microsecond), 100*(float64(r.cpuPerOp)/float64(best.cpuPerOp)-1))
	}
	if r.allocsPerOp > 0 && best.allocsPerOp > 0 {
		ratio += fmt.Sprintf("; allocs per op %.0f (%.1f KB) vs %.0f (%.1f KB)", r.allocsPerOp, r.bytesPerOp/1000,
			best.allocsPerOp, best.bytesPerOp/1000)
	}
	return ratio
}

func score(r result) float64 {
	if r.ops > 0 {
		return r.ops
	}
	if r.bytes == 0 || r.elapsed == 0 {
		return 0
	}
	return r.mibps()
}

// lastLines keeps the end of an error: a tool's own message is last.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n  ")
}

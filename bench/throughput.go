package main

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
)

// throughput uploads a stream of unknown length and a file with every
// client, then downloads both, each transfer in its own process. The
// clients take turns, round after round, so that a slow moment of the
// machine hits them alike; each row is the median round.
func (b *bench) throughput(s settings) error {
	file := filepath.Join(b.tmp, "recording.bin")
	if err := writeFile(file, s.fileSize); err != nil {
		return err
	}
	clients := append([]string{"recstore"}, s.peers...)
	rounds := map[string][]result{}
	var order []string
	for range s.rounds {
		for _, c := range clients {
			for _, r := range b.transfers(c, file, s) {
				id := r.client + "\x00" + r.scenario
				if _, seen := rounds[id]; !seen {
					order = append(order, id)
				}
				rounds[id] = append(rounds[id], r)
			}
		}
	}
	for _, id := range order {
		b.results = append(b.results, median(rounds[id]))
	}
	return nil
}

// transfers runs one client's four transfers.
func (b *bench) transfers(c, file string, s settings) []result {
	streamKey, fileKey := "bench/"+c+"/stream", "bench/"+c+"/file"
	var out []result
	add := func(scenario string, size int64, prepare func() (*exec.Cmd, io.Reader, error)) {
		if s.runs(scenario) {
			out = append(out, b.measure(c, scenario, size, prepare))
		}
	}
	add("upload stream", s.streamSize, func() (*exec.Cmd, io.Reader, error) {
		cmd, err := b.uploadCmd(c, streamKey, "-", -1)
		return cmd, stream(s.streamSize), err
	})
	add("upload file", s.fileSize, func() (*exec.Cmd, io.Reader, error) {
		cmd, err := b.uploadCmd(c, fileKey, file, s.fileSize)
		return cmd, nil, err
	})
	add("download stream", s.streamSize, func() (*exec.Cmd, io.Reader, error) {
		cmd, err := b.downloadCmd(c, streamKey)
		return cmd, nil, err
	})
	add("download file", s.fileSize, func() (*exec.Cmd, io.Reader, error) {
		cmd, err := b.downloadCmd(c, fileKey)
		return cmd, nil, err
	})
	return out
}

// median is the middle round by elapsed time, with the largest peak RSS
// of all rounds; a failed round makes the row fail.
func median(rounds []result) result {
	for _, r := range rounds {
		if r.err != nil {
			return r
		}
	}
	sorted := slices.SortedFunc(slices.Values(rounds), func(a, b result) int { return cmp.Compare(a.elapsed, b.elapsed) })
	m := sorted[len(sorted)/2]
	for _, r := range rounds {
		m.peakRSS = max(m.peakRSS, r.peakRSS)
	}
	m.note = fmt.Sprintf("median of %d", len(rounds))
	return m
}

// measure runs one transfer.
func (b *bench) measure(c, scenario string, size int64, prepare func() (*exec.Cmd, io.Reader, error)) result {
	fmt.Fprintf(os.Stderr, "bench: %s %s...\n", c, scenario)
	r := result{client: c, scenario: scenario, bytes: size}
	cmd, stdin, err := prepare()
	if err == nil {
		r.elapsed, r.peakRSS, err = runMeasured(cmd, stdin)
	}
	r.err = err
	return r
}

func (b *bench) uploadCmd(c, key, file string, size int64) (*exec.Cmd, error) {
	switch c {
	case "rclone":
		return b.rclone(append(rcloneUpload(file), "bench:"+b.t.Bucket+"/"+key)...)
	case "mc":
		if file == "-" {
			return b.mc("pipe", "bench/"+b.t.Bucket+"/"+key)
		}
		return b.mc("cp", file, "bench/"+b.t.Bucket+"/"+key)
	}
	return b.childCmd("-client", c, "-op", "upload", "-key", key, "-file", file, "-size", strconv.FormatInt(size, 10)), nil
}

func (b *bench) downloadCmd(c, key string) (*exec.Cmd, error) {
	switch c {
	case "rclone":
		return b.rclone("cat", "bench:"+b.t.Bucket+"/"+key)
	case "mc":
		return b.mc("cat", "bench/"+b.t.Bucket+"/"+key)
	}
	return b.childCmd("-client", c, "-op", "download", "-key", key), nil
}

func rcloneUpload(file string) []string {
	if file == "-" {
		return []string{"rcat"}
	}
	return []string{"copyto", "--no-check-dest", file} // or rclone skips what the last round uploaded
}

func writeFile(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, stream(size)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

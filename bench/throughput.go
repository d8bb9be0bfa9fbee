package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
)

// throughput uploads a stream of unknown length and a file with every
// client, then downloads both, each in its own process.
func (b *bench) throughput(s settings) error {
	file := filepath.Join(b.tmp, "recording.bin")
	if err := writeFile(file, s.fileSize); err != nil {
		return err
	}
	clients := append([]string{"recstore"}, s.peers...)
	for _, c := range clients {
		streamKey, fileKey := "bench/"+c+"/stream", "bench/"+c+"/file"
		b.measure(c, "upload stream", s.streamSize, func() (*exec.Cmd, io.Reader, error) {
			cmd, err := b.uploadCmd(c, streamKey, "-", -1)
			return cmd, stream(s.streamSize), err
		})
		b.measure(c, "upload file", s.fileSize, func() (*exec.Cmd, io.Reader, error) {
			cmd, err := b.uploadCmd(c, fileKey, file, s.fileSize)
			return cmd, nil, err
		})
		b.measure(c, "download stream", s.streamSize, func() (*exec.Cmd, io.Reader, error) {
			cmd, err := b.downloadCmd(c, streamKey)
			return cmd, nil, err
		})
		b.measure(c, "download file", s.fileSize, func() (*exec.Cmd, io.Reader, error) {
			cmd, err := b.downloadCmd(c, fileKey)
			return cmd, nil, err
		})
	}
	return nil
}

// measure runs one transfer and records its row; a client that cannot run
// here (a peer that failed to install) is recorded with its error.
func (b *bench) measure(c, scenario string, size int64, prepare func() (*exec.Cmd, io.Reader, error)) {
	if !b.s.runs(scenario) {
		return
	}
	fmt.Fprintf(os.Stderr, "bench: %s %s...\n", c, scenario)
	r := result{client: c, scenario: scenario, bytes: size}
	cmd, stdin, err := prepare()
	if err == nil {
		r.elapsed, r.peakRSS, err = runMeasured(cmd, stdin)
	}
	r.err = err
	b.results = append(b.results, r)
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
	return []string{"copyto", file}
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

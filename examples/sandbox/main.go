// Command sandbox runs recstore end to end on this machine, with no AWS
// account: it starts a local MinIO (installing it on first use) and an
// AWS-like STS endpoint, verifies the configuration as the product's Test
// button does, then stores a sample recording through the assume-role
// flow, presigns it, reads it back over plain HTTP and checks every byte.
//
//	go run ./examples/sandbox
package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"time"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/localenv"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		if cause, fix, ok := recstore.Diagnose(err); ok {
			fmt.Fprintf(os.Stderr, "  likely cause: %s\n  fix: %s\n", cause, fix)
		}
		os.Exit(1)
	}
}

// recordingSize is the sample's length: several 5 MiB parts, so that the
// upload is multipart.
const recordingSize = 24<<20 + 12345

func run(ctx context.Context, out io.Writer) error {
	fmt.Fprintln(out, "Starting MinIO and the AWS-like STS endpoint on loopback...")
	env, err := localenv.Start(ctx, localenv.Options{Log: out})
	if err != nil {
		return err
	}
	defer env.Close()
	cfg := env.Config(env.Role)
	fmt.Fprintf(out, "Config (secret redacted): %v\n\n", cfg)

	report := recstore.Verify(ctx, cfg)
	fmt.Fprintln(out, report)
	if err := report.Err(); err != nil {
		return err
	}

	store, err := recstore.Open(ctx, cfg, recstore.WithPartSize(recstore.MinPartSize))
	if err != nil {
		return err
	}
	defer store.Close()

	// A recording arrives as a stream of unknown length that cannot seek.
	sent := sha256.New()
	recording := io.TeeReader(io.LimitReader(noise{rand.NewChaCha8([32]byte{})}, recordingSize), sent)
	key := "calls/" + time.Now().UTC().Format("2006/01/02") + "/sample.webm"
	start := time.Now()
	info, err := store.Upload(ctx, key, recording, recstore.WithContentType("video/webm"))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Uploaded %s: %d bytes in %v, ETag %s, checksum %s\n",
		info.Key, info.Size, time.Since(start).Round(time.Millisecond), info.ETag, info.Checksum)
	if role, ok := store.AssumedRole(); ok {
		fmt.Fprintf(out, "Signed by assumed role %s (session ends %s)\n", role.ARN, role.Expires.Format(time.RFC3339))
	}

	link, expires, err := store.PresignGet(ctx, key, 15*time.Minute)
	if err != nil {
		return err
	}
	u, _ := url.Parse(link)
	fmt.Fprintf(out, "Presigned GET %s valid until %s\n", u.Path, expires.Format(time.RFC3339))
	got, n, err := fetch(ctx, link)
	if err != nil {
		return err
	}
	if n != recordingSize || string(got.Sum(nil)) != string(sent.Sum(nil)) {
		return errors.New("the presigned download differs from the upload")
	}
	fmt.Fprintf(out, "Read back %d bytes over plain HTTP: SHA-256 %x matches\n", n, got.Sum(nil))
	return nil
}

// fetch downloads url and hashes the body.
func fetch(ctx context.Context, url string) (hash.Hash, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("presigned GET: %s", resp.Status)
	}
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	return h, n, err
}

// noise is an endless stream of pseudo-random bytes.
type noise struct{ src *rand.ChaCha8 }

func (n noise) Read(p []byte) (int, error) { return n.src.Read(p) }

package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/auvious/recstore/internal/sandbox/minioserver"
)

// The command-line peers, pinned and installed with go install into
// recstore's cache, next to MinIO.
const (
	rcloneModule, rcloneVersion = "github.com/rclone/rclone", "v1.76.0"
	mcModule, mcVersion         = "github.com/minio/mc", "v0.0.0-20250313080218-cf909e1063a9"
)

// rclone runs rclone with a remote named "bench" on the peers' session,
// with recstore's part size and concurrency.
func (b *bench) rclone(args ...string) (*exec.Cmd, error) {
	bin, err := minioserver.Install(context.Background(), rcloneModule, rcloneVersion, "rclone", os.Stderr)
	if err != nil {
		return nil, err
	}
	args = append(args, "--s3-chunk-size", strconv.FormatInt(b.t.PartSize>>20, 10)+"M",
		"--s3-upload-concurrency", strconv.Itoa(b.t.Concurrency), "--config", filepath.Join(b.tmp, "rclone.conf"))
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "RCLONE_CONFIG_BENCH_TYPE=s3", "RCLONE_CONFIG_BENCH_PROVIDER=Minio",
		"RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="+b.t.AccessKey, "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="+b.t.SecretKey,
		"RCLONE_CONFIG_BENCH_SESSION_TOKEN="+b.t.Token, "RCLONE_CONFIG_BENCH_ENDPOINT="+b.t.Endpoint,
		"RCLONE_CONFIG_BENCH_REGION="+b.t.Region)
	return cmd, nil
}

// mc runs the MinIO client with an alias named "bench" on the peers'
// session. mc chooses its own part size and concurrency.
func (b *bench) mc(args ...string) (*exec.Cmd, error) {
	bin, err := minioserver.Install(context.Background(), mcModule, mcVersion, "mc", os.Stderr)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(b.t.Endpoint)
	if err != nil {
		return nil, err
	}
	// mc splits MC_HOST_* itself and does not unescape it.
	host := fmt.Sprintf("%s://%s:%s:%s@%s", u.Scheme, b.t.AccessKey, b.t.SecretKey, b.t.Token, u.Host)
	cmd := exec.Command(bin, append([]string{"--quiet", "--config-dir", filepath.Join(b.tmp, "mc")}, args...)...)
	cmd.Env = append(os.Environ(), "MC_HOST_bench="+host)
	return cmd, nil
}

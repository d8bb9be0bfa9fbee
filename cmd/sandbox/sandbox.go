package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox"
	"github.com/auvious/recstore/internal/sandbox/minioserver"
	"github.com/auvious/recstore/internal/streams"
)

// sampleSize is the sandbox recording's length: several parts of 5 MiB.
const sampleSize = 24<<20 + 12345

// runSandbox starts the stand-in, writes the config file and serves it;
// whatever happens, it stops MinIO and removes its data and the file.
func runSandbox(ctx context.Context, stdout io.Writer, set settings) error {
	fmt.Fprintf(stdout, "Starting MinIO %s and the AWS-like STS endpoint on loopback...\n", minioserver.Version)
	start := time.Now()
	env, err := sandbox.Start(ctx, sandbox.Options{Log: stdout})
	if err != nil {
		return err
	}
	defer func() {
		env.Close()
		os.Remove(set.configOut)
		fmt.Fprintf(stdout, "Sandbox stopped: MinIO (PID %d) ended, its data and %s removed.\n", env.MinIO.PID(), set.configOut)
	}()
	fmt.Fprintf(stdout, "MinIO is PID %d at %s, STS at %s (ready in %s).\n",
		env.MinIO.PID(), env.MinIO.URL, env.STS.URL(), time.Since(start).Round(time.Millisecond))
	cfg := env.Config(env.Role)
	if set.encryption != "" {
		if cfg, err = env.Encrypt(ctx, set.encryption); err != nil {
			return err
		}
	}
	var keyless *sandbox.Keyless
	if set.base != "keys" {
		dir, err := os.MkdirTemp("", "recstore-sandbox-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if keyless, err = sandboxKeyless(env, set.base, dir); err != nil {
			return err
		}
		env.TrustKeyless(env.Role, *keyless)
		cfg.AccessKeyID, cfg.SecretAccessKey = "", ""
	}
	if err := writeSandboxConfig(stdout, set.configOut, cfg, env, keyless); err != nil {
		return err
	}
	return serveSandbox(ctx, stdout, set, keyless)
}

// sandboxKeyless creates the recorder's own role for the keyless base of
// kind, with its token file in dir.
func sandboxKeyless(env *sandbox.Env, kind, dir string) (*sandbox.Keyless, error) {
	create := env.WebIdentityBase
	if kind == "pod-identity" {
		create = env.PodIdentityBase
	}
	base, err := create("recorder-pod", dir)
	return &base, err
}

// writeSandboxConfig writes cfg to path and says what it holds; for a
// keyless base, with the trust policy the customer's role needs.
func writeSandboxConfig(stdout io.Writer, path string, cfg recstore.Config, env *sandbox.Env, keyless *sandbox.Keyless) error {
	if err := sandbox.WriteConfigFile(path, cfg); err != nil {
		if errors.Is(err, os.ErrExist) {
			return usageError{path + " exists: a sandbox stopped by force leaves it behind; remove it or choose -config-out"}
		}
		return fmt.Errorf("writing the sandbox config: %w", err)
	}
	if keyless == nil {
		fmt.Fprintf(stdout, "Wrote %s: bucket %s, role %s with External ID, keys of the sandbox's base user.\n\n",
			path, env.Bucket, env.Role.ARN)
		return nil
	}
	trust, err := recstore.TrustPolicy(cfg, keyless.Role.ARN)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Wrote %s: bucket %s, role %s with External ID, and no base keys: the base identity is the\n"+
		"recorder's own role %s, got without keys as on EKS. The customer's role trusts it:\n%s\n\n",
		path, env.Bucket, env.Role.ARN, keyless.Role.ARN, trust)
	return nil
}

// errVerifyFailed reports a failed Verify, whose report says why.
var errVerifyFailed = errors.New("verify failed: see the report")

// serveSandbox verifies the config file, uploads a sample and, with
// -keep, waits for Ctrl-C.
func serveSandbox(ctx context.Context, stdout io.Writer, set settings, keyless *sandbox.Keyless) error {
	cfg, err := recstore.LoadConfig(set.configOut)
	if err != nil {
		return err
	}
	var opts []recstore.Option
	if keyless != nil {
		opts = append(opts, recstore.WithBaseCredentials(keyless.Provider))
	}
	report := recstore.Verify(ctx, cfg, recstore.WithStoreOptions(opts...))
	fmt.Fprintln(stdout, report)
	if !report.OK() {
		return errVerifyFailed
	}
	link, err := uploadSample(ctx, stdout, cfg, opts...)
	if err != nil {
		return err
	}
	if set.keep {
		fmt.Fprintf(stdout, "\nThe sandbox is up. In another terminal, try:\n%s"+
			"  go run ./cmd/recstore ls --config %[2]s%[3]s\n  go run ./cmd/recstore verify --config %[2]s%[3]s\n"+
			"  curl -o sample.webm '%[4]s'\nPress Ctrl-C to stop.\n", keylessExports(keyless), set.configOut, keylessFlag(keyless), link)
		<-ctx.Done()
		fmt.Fprintln(stdout, "\nStopping...")
	}
	return nil
}

// keylessExports is the shell line that gives another process the
// keyless base's environment, as EKS gives the pod; "" for keys.
func keylessExports(keyless *sandbox.Keyless) string {
	if keyless == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("  export")
	for _, name := range slices.Sorted(maps.Keys(keyless.Environment)) {
		fmt.Fprintf(&b, " %s=%s", name, keyless.Environment[name])
	}
	return b.String() + "\n"
}

func keylessFlag(keyless *sandbox.Keyless) string {
	if keyless == nil {
		return ""
	}
	return " --base-credentials aws"
}

// uploadSample streams a generated recording, as a live one arrives (a
// reader without length), and prints a presigned URL.
func uploadSample(ctx context.Context, stdout io.Writer, cfg recstore.Config, opts ...recstore.Option) (string, error) {
	store, err := recstore.Open(ctx, cfg, append(opts, recstore.WithPartSize(recstore.MinPartSize))...)
	if err != nil {
		return "", err
	}
	defer store.Close()
	key := "calls/" + time.Now().UTC().Format("2006/01/02") + "/sample.webm"
	recording := streams.Random([32]byte{}, sampleSize)
	info, err := store.Upload(ctx, key, recording, recstore.WithContentType("video/webm"))
	if err != nil {
		return "", err
	}
	fmt.Fprintf(stdout, "Uploaded %s: %d bytes, checksum %s\n", info.Key, info.Size, info.Checksum)
	link, expires, err := store.PresignGet(ctx, key, 0)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(stdout, "Presigned URL for playback, valid until %s while the sandbox runs:\n%s\n",
		expires.UTC().Format(time.RFC3339), link)
	return link, nil
}

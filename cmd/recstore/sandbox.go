package main

import (
	"context"
	"errors"
	"fmt"
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

// sandboxSettings are the sandbox command's flags.
type sandboxSettings struct {
	keep, quiet bool
	configOut   string
	encryption  recstore.EncryptionMode
	base        string // keys, web-identity or pod-identity
}

func sandboxCommand() command {
	var set sandboxSettings
	var encryption string
	return command{
		name:    "sandbox",
		summary: "run recstore end to end on this machine, with no AWS account",
		details: "Starts the pinned MinIO (installing it with go install on first use, which takes a few minutes) and\n" +
			"an AWS-like STS endpoint on loopback, creates a bucket and a role that requires an External ID, writes\n" +
			"a ready config file, verifies it, uploads a sample recording and prints a presigned URL. It then exits,\n" +
			"or with --keep stays up until Ctrl-C. Either way it stops MinIO and removes its data and the config\n" +
			"file when it ends. With --base web-identity or pod-identity the base identity is not the config's\n" +
			"keys but the recorder's own role, got as on EKS (IRSA, or Pod Identity), which the customer's role trusts.",
		examples: []string{"sandbox", "sandbox --keep --config-out /tmp/sandbox.json", "sandbox --encryption aws:kms",
			"sandbox --base web-identity"},
		flags: func(fs *flagSet) {
			fs.BoolVar(&set.keep, "keep", false, "stay up until Ctrl-C, for trying the other commands")
			fs.StringVar(&set.configOut, "config-out", "recstore-sandbox.json", "where to write the sandbox's config `file`")
			fs.BoolVar(&set.quiet, "quiet", false, "no progress bar")
			fs.StringVar(&encryption, "encryption", "", "encrypt the bucket by default and each upload with `mode`: AES256 or aws:kms (MinIO's KMS key)")
			fs.StringVar(&set.base, "base", "keys", "the base identity `kind`: keys (the spec's base IAM user), web-identity or pod-identity (the recorder's own role, keyless)")
		},
		run: func(ctx context.Context, c *cli, fs *flagSet) error {
			if err := fs.wantArgs(0, 0); err != nil {
				return err
			}
			if encryption != "" && encryption != string(recstore.EncryptionAES256) && encryption != string(recstore.EncryptionKMS) {
				return usagef("--encryption %q: want AES256 or aws:kms", encryption)
			}
			if set.base != "keys" && set.base != "web-identity" && set.base != "pod-identity" {
				return usagef("--base %q: want keys, web-identity or pod-identity", set.base)
			}
			set.encryption = recstore.EncryptionMode(encryption)
			return runSandbox(ctx, c, set)
		},
	}
}

func runSandbox(ctx context.Context, c *cli, set sandboxSettings) error {
	fmt.Fprintf(c.stdout, "Starting MinIO %s and the AWS-like STS endpoint on loopback...\n", minioserver.Version)
	start := time.Now()
	env, err := sandbox.Start(ctx, sandbox.Options{Log: c.stdout})
	if err != nil {
		return err
	}
	defer func() {
		env.Close()
		os.Remove(set.configOut)
		fmt.Fprintf(c.stdout, "Sandbox stopped: MinIO (PID %d) ended, its data and %s removed.\n", env.MinIO.PID(), set.configOut)
	}()
	fmt.Fprintf(c.stdout, "MinIO is PID %d at %s, STS at %s (ready in %s).\n",
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
	if err := writeSandboxConfig(c, set.configOut, cfg, env, keyless); err != nil {
		return err
	}
	return serveSandbox(ctx, c, set, keyless)
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
func writeSandboxConfig(c *cli, path string, cfg recstore.Config, env *sandbox.Env, keyless *sandbox.Keyless) error {
	if err := sandbox.WriteConfigFile(path, cfg); err != nil {
		if errors.Is(err, os.ErrExist) {
			return usagef("%s exists: a sandbox stopped by force leaves it behind; remove it or choose --config-out", path)
		}
		return fmt.Errorf("writing the sandbox config: %w", err)
	}
	if keyless == nil {
		fmt.Fprintf(c.stdout, "Wrote %s: bucket %s, role %s with External ID, keys of the sandbox's base user.\n\n",
			path, env.Bucket, env.Role.ARN)
		return nil
	}
	trust, err := recstore.TrustPolicy(cfg, keyless.Role.ARN)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Wrote %s: bucket %s, role %s with External ID, and no base keys: the base identity is the\n"+
		"recorder's own role %s, got without keys as on EKS. The customer's role trusts it:\n%s\n\n",
		path, env.Bucket, env.Role.ARN, keyless.Role.ARN, trust)
	return nil
}

// serveSandbox verifies the config file, uploads a sample and, with
// --keep, waits for Ctrl-C.
func serveSandbox(ctx context.Context, c *cli, set sandboxSettings, keyless *sandbox.Keyless) error {
	cfg, err := recstore.LoadConfig(set.configOut)
	if err != nil {
		return err
	}
	var opts []recstore.Option
	if keyless != nil {
		opts = append(opts, recstore.WithBaseCredentials(keyless.Provider))
	}
	report := recstore.Verify(ctx, cfg, recstore.WithStoreOptions(opts...))
	fmt.Fprintln(c.stdout, report)
	if !report.OK() {
		return errChecksFailed
	}
	link, err := uploadSample(ctx, c, cfg, set.quiet, opts...)
	if err != nil {
		return err
	}
	if set.keep {
		fmt.Fprintf(c.stdout, "\nThe sandbox is up. In another terminal, try:\n%s"+
			"  go run ./cmd/recstore ls --config %[2]s%[3]s\n  go run ./cmd/recstore verify --config %[2]s%[3]s\n"+
			"  curl -o sample.webm '%[4]s'\nPress Ctrl-C to stop.\n", keylessExports(keyless), set.configOut, keylessFlag(keyless), link)
		<-ctx.Done()
		fmt.Fprintln(c.stdout, "\nStopping...")
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

// uploadSample streams a generated recording and prints a presigned URL.
func uploadSample(ctx context.Context, c *cli, cfg recstore.Config, quiet bool, opts ...recstore.Option) (string, error) {
	store, err := recstore.Open(ctx, cfg, append(opts, recstore.WithPartSize(recstore.MinPartSize))...)
	if err != nil {
		return "", err
	}
	defer store.Close()
	key := "calls/" + time.Now().UTC().Format("2006/01/02") + "/sample.webm"
	bar := newProgress(c.stderr, "upload", sampleSize, quiet)
	recording := streams.Random([32]byte{}, sampleSize)
	info, err := store.Upload(ctx, key, bar.reader(recording), recstore.WithContentType("video/webm"))
	bar.done(err)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(c.stdout, "Uploaded %s: %d bytes, checksum %s\n", info.Key, info.Size, info.Checksum)
	link, expires, err := store.PresignGet(ctx, key, 0)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(c.stdout, "Presigned URL for playback, valid until %s while the sandbox runs:\n%s\n",
		expires.UTC().Format(time.RFC3339), link)
	return link, nil
}

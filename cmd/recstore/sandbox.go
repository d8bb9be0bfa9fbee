package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox"
	"github.com/auvious/recstore/internal/sandbox/minioserver"
	"github.com/auvious/recstore/internal/streams"
)

// sampleSize is the sandbox recording's length: several parts of 5 MiB.
const sampleSize = 24<<20 + 12345

func sandboxCommand() command {
	var keep, quiet bool
	var configOut, encryption string
	return command{
		name:    "sandbox",
		summary: "run recstore end to end on this machine, with no AWS account",
		details: "Starts the pinned MinIO (installing it with go install on first use, which takes a few minutes) and\n" +
			"an AWS-like STS endpoint on loopback, creates a bucket and a role that requires an External ID, writes\n" +
			"a ready config file, verifies it, uploads a sample recording and prints a presigned URL. It then exits,\n" +
			"or with --keep stays up until Ctrl-C. Either way it stops MinIO and removes its data and the config\n" +
			"file when it ends.",
		examples: []string{"sandbox", "sandbox --keep --config-out /tmp/sandbox.json", "sandbox --encryption aws:kms"},
		flags: func(fs *flagSet) {
			fs.BoolVar(&keep, "keep", false, "stay up until Ctrl-C, for trying the other commands")
			fs.StringVar(&configOut, "config-out", "recstore-sandbox.json", "where to write the sandbox's config `file`")
			fs.BoolVar(&quiet, "quiet", false, "no progress bar")
			fs.StringVar(&encryption, "encryption", "", "encrypt the bucket by default and each upload with `mode`: AES256 or aws:kms (MinIO's KMS key)")
		},
		run: func(ctx context.Context, c *cli, fs *flagSet) error {
			if err := fs.wantArgs(0, 0); err != nil {
				return err
			}
			if encryption != "" && encryption != string(recstore.EncryptionAES256) && encryption != string(recstore.EncryptionKMS) {
				return usagef("--encryption %q: want AES256 or aws:kms", encryption)
			}
			return runSandbox(ctx, c, configOut, recstore.EncryptionMode(encryption), keep, quiet)
		},
	}
}

func runSandbox(ctx context.Context, c *cli, configOut string, encryption recstore.EncryptionMode, keep, quiet bool) error {
	fmt.Fprintf(c.stdout, "Starting MinIO %s and the AWS-like STS endpoint on loopback...\n", minioserver.Version)
	start := time.Now()
	env, err := sandbox.Start(ctx, sandbox.Options{Log: c.stdout})
	if err != nil {
		return err
	}
	defer func() {
		env.Close()
		os.Remove(configOut)
		fmt.Fprintf(c.stdout, "Sandbox stopped: MinIO (PID %d) ended, its data and %s removed.\n", env.MinIO.PID(), configOut)
	}()
	fmt.Fprintf(c.stdout, "MinIO is PID %d at %s, STS at %s (ready in %s).\n",
		env.MinIO.PID(), env.MinIO.URL, env.STS.URL(), time.Since(start).Round(time.Millisecond))
	cfg := env.Config(env.Role)
	if encryption != "" {
		if cfg, err = env.Encrypt(ctx, encryption); err != nil {
			return err
		}
	}
	if err := sandbox.WriteConfigFile(configOut, cfg); err != nil {
		if errors.Is(err, os.ErrExist) {
			return usagef("%s exists: a sandbox stopped by force leaves it behind; remove it or choose --config-out", configOut)
		}
		return fmt.Errorf("writing the sandbox config: %w", err)
	}
	fmt.Fprintf(c.stdout, "Wrote %s: bucket %s, role %s with External ID, keys of the sandbox's base user.\n\n",
		configOut, env.Bucket, env.Role.ARN)

	if cfg, err = recstore.LoadConfig(configOut); err != nil {
		return err
	}
	report := recstore.Verify(ctx, cfg)
	fmt.Fprintln(c.stdout, report)
	if !report.OK() {
		return errChecksFailed
	}
	link, err := uploadSample(ctx, c, cfg, quiet)
	if err != nil {
		return err
	}
	if keep {
		fmt.Fprintf(c.stdout, "\nThe sandbox is up. In another terminal, try:\n"+
			"  go run ./cmd/recstore ls --config %[1]s\n  go run ./cmd/recstore verify --config %[1]s\n"+
			"  curl -o sample.webm '%[2]s'\nPress Ctrl-C to stop.\n", configOut, link)
		<-ctx.Done()
		fmt.Fprintln(c.stdout, "\nStopping...")
	}
	return nil
}

// uploadSample streams a generated recording and prints a presigned URL.
func uploadSample(ctx context.Context, c *cli, cfg recstore.Config, quiet bool) (string, error) {
	store, err := recstore.Open(ctx, cfg, recstore.WithPartSize(recstore.MinPartSize))
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

func isConfigError(err error) bool { return errors.Is(err, recstore.ErrInvalidConfig) }

func diagnose(err error) (cause, fix string, ok bool) { return recstore.Diagnose(err) }

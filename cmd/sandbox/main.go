// Command sandbox runs recstore end to end on this machine, with no AWS
// account: it starts the pinned MinIO (installing it with go install on
// first use) and an AWS-like STS endpoint on loopback, creates a bucket
// and a role that requires an External ID, writes a ready config file,
// verifies it, uploads a sample recording and prints a presigned URL.
//
//	go run ./cmd/sandbox [-keep] [-config-out FILE] [-encryption AES256|aws:kms] [-base keys|web-identity|pod-identity]
//
// It is a command of its own so that the recstore tool, which operators
// run against production, links none of it: no test STS, no MinIO
// installer.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/auvious/recstore"
)

// Exit statuses, as the recstore tool's.
const (
	exitOK     = 0
	exitFailed = 1 // the sandbox did not come up, or Verify failed
	exitUsage  = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the sandbox with the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	set, err := parse(args, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case err != nil:
		fmt.Fprintf(stderr, "sandbox: %v\n", err)
		return exitUsage
	}
	if err := runSandbox(ctx, stdout, set); err != nil {
		return report(stderr, err)
	}
	return exitOK
}

// settings are the sandbox's flags.
type settings struct {
	keep       bool
	configOut  string
	encryption recstore.EncryptionMode
	base       string // keys, web-identity or pod-identity
}

// parse reads the flags; a bad one is reported with the usage.
func parse(args []string, stderr io.Writer) (settings, error) {
	var set settings
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: go run ./cmd/sandbox [flags]\n\nRuns recstore end to end on this machine, with no AWS account. "+
			"It stops MinIO and removes its data and\nthe config file when it ends; with -keep it stays up until Ctrl-C.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.BoolVar(&set.keep, "keep", false, "stay up until Ctrl-C, for trying the recstore commands")
	fs.StringVar(&set.configOut, "config-out", "recstore-sandbox.json", "where to write the sandbox's config `file`")
	encryption := fs.String("encryption", "", "encrypt the bucket by default and each upload with `mode`: AES256 or aws:kms (MinIO's KMS key)")
	fs.StringVar(&set.base, "base", "keys", "the base identity `kind`: keys (the spec's base IAM user), "+
		"web-identity or pod-identity (the recorder's own role, keyless)")
	if err := fs.Parse(args); err != nil {
		return set, err
	}
	switch {
	case fs.NArg() > 0:
		return set, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case *encryption != "" && *encryption != string(recstore.EncryptionAES256) && *encryption != string(recstore.EncryptionKMS):
		return set, fmt.Errorf("-encryption %q: want AES256 or aws:kms", *encryption)
	case set.base != "keys" && set.base != "web-identity" && set.base != "pod-identity":
		return set, fmt.Errorf("-base %q: want keys, web-identity or pod-identity", set.base)
	}
	set.encryption = recstore.EncryptionMode(*encryption)
	return set, nil
}

// usageError is a refusal that is the caller's to fix: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// report prints err, with its diagnosis, and returns the exit status.
func report(w io.Writer, err error) int {
	fmt.Fprintf(w, "sandbox: %v\n", err)
	if cause, fix, ok := recstore.Diagnose(err); ok {
		fmt.Fprintf(w, "  cause: %s\n", cause)
		if fix != "" {
			fmt.Fprintf(w, "  fix:   %s\n", fix)
		}
	}
	if errors.As(err, new(usageError)) {
		return exitUsage
	}
	return exitFailed
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/auvious/recstore"
)

// errChecksFailed reports a failed Verify, whose report says why.
var errChecksFailed = errors.New("verify failed: see the report")

func verifyCommand() command {
	var asJSON, lockedProbes bool
	return command{
		name:    "verify",
		summary: "test a storage configuration end to end (the product's Test button)",
		details: "Assumes the role, checks the bucket, its Region, versioning, Object Lock and encryption, writes,\n" +
			"copies, reads, presigns and deletes a 1-byte object (and its versions), and starts and aborts a\n" +
			"multipart upload. Exit status: 0 when no check failed, 1 when one did, 2 for bad usage or an\n" +
			"invalid config.",
		examples: []string{"verify --config storage.json", "verify --config storage.json --json", "verify --config storage.json --key-prefix tenant-42/"},
		flags: func(fs *flagSet) {
			fs.configFlags()
			fs.BoolVar(&asJSON, "json", false, "print the report as JSON, for the product UI")
			fs.BoolVar(&lockedProbes, "locked-probes", false, "write the probes even where the bucket's default retention keeps them and the role may not shorten it")
		},
		run: func(ctx context.Context, c *cli, fs *flagSet) error {
			cfg, err := validConfig(fs, 0, 0)
			if err != nil {
				// With --json the UI gets a report either way; the text goes to stderr.
				if asJSON {
					printJSON(c.stdout, recstore.ReportInvalidConfig(cfg, err))
				}
				return err
			}
			if err := fs.resolveBase(ctx); err != nil {
				if !errors.As(err, new(*recstore.Error)) {
					return err // a usage error
				}
				// No identity was found: the report's base-identity check says
				// so, with its cause and fix, and --json still gets a report.
				fs.base = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
					return aws.Credentials{}, err
				})
			}
			opts := fs.storeOptions()
			if lockedProbes {
				opts = append(opts, recstore.WithLockedProbes())
			}
			r := recstore.Verify(ctx, cfg, opts...)
			if asJSON {
				printJSON(c.stdout, r)
			} else {
				fmt.Fprint(c.stdout, r)
			}
			if !r.OK() {
				return errChecksFailed
			}
			return nil
		},
	}
}

// printJSON prints v as indented JSON.
func printJSON(w io.Writer, v any) {
	out, _ := json.MarshalIndent(v, "", "  ")
	fmt.Fprintln(w, string(out))
}

// validConfig checks the positional arguments, then builds and validates
// the Config, so that an invalid one exits with status 2 before any request.
func validConfig(fs *flagSet, minArgs, maxArgs int) (recstore.Config, error) {
	cfg, err := fs.configWithArgs(minArgs, maxArgs)
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate(fs.storeOptions()...)
}

func configCommand() command {
	return command{
		name:     "config",
		summary:  "print the configuration the other commands would use, secret redacted",
		details:  "Merges --config FILE, the RECSTORE_* environment and flags, prints the result as JSON with the\nproduct's keys, and lists any problem Validate finds (exit status 2).",
		examples: []string{"config --config storage.json", "config --config storage.json --region eu-west-1"},
		flags:    func(fs *flagSet) { fs.configFlags() },
		run: func(_ context.Context, c *cli, fs *flagSet) error {
			cfg, err := fs.configWithArgs(0, 0)
			if err != nil {
				return err
			}
			printJSON(c.stdout, cfg)
			return cfg.Validate(fs.storeOptions()...)
		},
	}
}

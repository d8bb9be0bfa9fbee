package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

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
			cfg, err := validConfig(ctx, fs, 0, 0)
			if err != nil {
				// With --json the UI gets a report either way; the text goes to stderr.
				if asJSON {
					printJSON(c.stdout, recstore.ReportInvalidConfig(cfg, err))
				}
				return err
			}
			// Without an AWS identity for --base-credentials aws, the
			// report's base-identity check says so, with its cause and fix.
			opts := []recstore.VerifyOption{recstore.WithStoreOptions(fs.storeOptions()...)}
			if lockedProbes {
				opts = append(opts, recstore.WithLockedProbes())
			}
			r := recstore.Verify(ctx, cfg, opts...)
			if asJSON {
				printJSON(c.stdout, r)
			} else {
				fmt.Fprint(c.stdout, r)
				printReportHints(c.stdout, r)
			}
			if !r.OK() {
				return errChecksFailed
			}
			return nil
		},
	}
}

// printReportHints prints how to follow the report's fixes with this
// command, if there is anything to say.
func printReportHints(w io.Writer, r *recstore.Report) {
	heading := "\nWith this command:\n"
	for _, c := range r.Checks {
		for _, h := range hints(c.Fix) {
			fmt.Fprintf(w, "%s  %s: %s\n", heading, c.Name, h)
			heading = ""
		}
	}
}

// printJSON prints v as indented JSON.
func printJSON(w io.Writer, v any) {
	out, _ := json.MarshalIndent(v, "", "  ")
	fmt.Fprintln(w, string(out))
}

// validConfig checks the positional arguments, then builds the Config and
// checks it as Open does, with the flags' options, so that an invalid one
// exits with status 2 before any request.
func validConfig(ctx context.Context, fs *flagSet, minArgs, maxArgs int) (recstore.Config, error) {
	cfg, err := fs.configWithArgs(minArgs, maxArgs)
	if err != nil {
		return cfg, err
	}
	store, err := fs.open(ctx, cfg)
	if err != nil {
		return cfg, err
	}
	return cfg, store.Close()
}

func configCommand() command {
	return command{
		name:     "config",
		summary:  "print the configuration the other commands would use, secret redacted",
		details:  "Merges --config FILE, the RECSTORE_* environment and flags, prints the result as JSON with the\nproduct's keys, and lists every problem, as opening a Store with these flags would find them (exit status 2).",
		examples: []string{"config --config storage.json", "config --config storage.json --region eu-west-1"},
		flags:    func(fs *flagSet) { fs.configFlags() },
		run: func(ctx context.Context, c *cli, fs *flagSet) error {
			cfg, err := fs.configWithArgs(0, 0)
			if err != nil {
				return err
			}
			printJSON(c.stdout, cfg)
			store, err := fs.open(ctx, cfg)
			if err != nil {
				return err
			}
			return store.Close()
		},
	}
}

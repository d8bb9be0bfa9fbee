package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/auvious/recstore"
)

// retentionFlags are the Object Lock flags of upload and retain.
type retentionFlags struct {
	mode  string
	until string
}

func (r *retentionFlags) add(fs *flagSet) {
	fs.StringVar(&r.mode, "retention-mode", "", "Object Lock retention `mode`: GOVERNANCE or COMPLIANCE (COMPLIANCE cannot be shortened by anyone)")
	fs.StringVar(&r.until, "retain-until", "", "keep the object until `TIME`: an RFC 3339 time, or a duration from now such as 90d or 36h")
}

// option returns the upload option the flags ask for, or nil for none.
func (r *retentionFlags) option(now time.Time) (recstore.UploadOption, error) {
	if r.mode == "" && r.until == "" {
		return nil, nil
	}
	mode, until, err := r.parse(now)
	if err != nil {
		return nil, err
	}
	return recstore.WithRetention(mode, until), nil
}

// parse reads both flags, which go together; the library checks their values.
func (r *retentionFlags) parse(now time.Time) (recstore.RetentionMode, time.Time, error) {
	if r.mode == "" || r.until == "" {
		return "", time.Time{}, usagef("--retention-mode and --retain-until go together: give both")
	}
	until, err := parseUntil(r.until, now)
	if err != nil {
		return "", time.Time{}, err
	}
	return recstore.RetentionMode(strings.ToUpper(r.mode)), until, nil
}

// parseUntil reads an RFC 3339 time, or a duration from now in Go's form
// with d for days.
func parseUntil(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil {
			return now.AddDate(0, 0, n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(d), nil
	}
	return time.Time{}, usagef("--retain-until %q: want an RFC 3339 time (2027-06-30T00:00:00Z) or a duration such as 90d or 36h", s)
}

func retainCommand() command {
	var r retentionFlags
	return command{
		name: "retain", args: "KEY...", summary: "set or lengthen the Object Lock retention of stored objects",
		details: "Sets the retention of each KEY's current version (s3:PutObjectRetention), in a bucket with Object Lock.\n" +
			"S3 lets anyone lengthen a retention; shortening a GOVERNANCE one needs s3:BypassGovernanceRetention,\n" +
			"which recstore does not use, and nobody can shorten a COMPLIANCE one.",
		examples: []string{"retain --config storage.json --retention-mode GOVERNANCE --retain-until 2027-06-30T00:00:00Z calls/c-42.webm",
			"retain --config storage.json --retention-mode COMPLIANCE --retain-until 2555d calls/c-42.webm"},
		flags: func(fs *flagSet) { fs.configFlags(); r.add(fs) },
		run: func(ctx context.Context, c *cli, fs *flagSet) error {
			mode, until, err := r.parse(time.Now())
			if err != nil {
				return err
			}
			store, err := openStore(ctx, fs, 1, -1)
			if err != nil {
				return err
			}
			defer store.Close()
			for _, key := range fs.args {
				if err := store.SetRetention(ctx, key, mode, until); err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "%s: %s retention until %s\n", key, mode, until.UTC().Format(time.RFC3339))
			}
			return nil
		},
	}
}

func holdCommand() command {
	var off bool
	return command{
		name: "hold", args: "KEY...", summary: "place (or, with --off, lift) an Object Lock legal hold on stored objects",
		details: "A legal hold keeps the current version of each KEY, whatever its retention, until it is lifted\n" +
			"(s3:PutObjectLegalHold), in a bucket with Object Lock.",
		examples: []string{"hold --config storage.json calls/c-42.webm", "hold --config storage.json --off calls/c-42.webm"},
		flags: func(fs *flagSet) {
			fs.configFlags()
			fs.BoolVar(&off, "off", false, "lift the legal hold instead of placing it")
		},
		run: func(ctx context.Context, c *cli, fs *flagSet) error {
			store, err := openStore(ctx, fs, 1, -1)
			if err != nil {
				return err
			}
			defer store.Close()
			for _, key := range fs.args {
				if err := store.SetLegalHold(ctx, key, !off); err != nil {
					return err
				}
				state := "legal hold placed"
				if off {
					state = "legal hold lifted"
				}
				fmt.Fprintf(c.stdout, "%s: %s\n", key, state)
			}
			return nil
		},
	}
}

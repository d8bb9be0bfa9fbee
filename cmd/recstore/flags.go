package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/auvious/recstore"
)

var errHelp = flag.ErrHelp

// flagSet is a command's flags and arguments.
type flagSet struct {
	*flag.FlagSet
	cmd  command
	args []string // positional arguments

	// Configuration: a file, then the environment, then these flags.
	configPath    string
	overrides     []func(*recstore.Config)
	allowInsecure bool
}

func newFlagSet(cmd command, stderr io.Writer) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet("recstore "+cmd.name, flag.ContinueOnError), cmd: cmd}
	fs.SetOutput(io.Discard) // errors and help are printed by runCommand
	return fs
}

// parse parses args, allowing flags after positional arguments.
func (fs *flagSet) parse(args []string) error {
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			fs.args = append(fs.args, rest...) // everything after -- is positional
			return nil
		}
		fs.args, args = append(fs.args, rest[0]), rest[1:]
	}
}

// arg returns positional argument i, or "".
func (fs *flagSet) arg(i int) string {
	if i < len(fs.args) {
		return fs.args[i]
	}
	return ""
}

// wantArgs checks the number of positional arguments.
func (fs *flagSet) wantArgs(min, max int) error {
	if n := len(fs.args); n < min || max >= 0 && n > max {
		return usagef("want %s, got %d argument(s)", strings.TrimSpace(fs.cmd.args), n)
	}
	return nil
}

// configFlags adds --config and one flag per Config field.
func (fs *flagSet) configFlags() {
	fs.BoolVar(&fs.allowInsecure, "allow-insecure-endpoint", false,
		"accept http:// endpoints that are not loopback (a store on a trusted network)")
	fs.StringVar(&fs.configPath, "config", os.Getenv("RECSTORE_CONFIG"),
		"JSON config `file` with the product's keys (default $RECSTORE_CONFIG)")
	for _, f := range []struct {
		name, usage string
		set         func(*recstore.Config, string)
	}{
		{"bucket", "S3 bucket `name` (storageProviderBucketName)", func(c *recstore.Config, v string) { c.Bucket = v }},
		{"region", "the bucket's `region`, such as eu-west-1 (storageProviderRegion)", func(c *recstore.Config, v string) { c.Region = v }},
		{"access-key-id", "base IAM user's access `key` ID (storageProviderAccessKeyId)", func(c *recstore.Config, v string) { c.AccessKeyID = v }},
		{"secret-access-key", "base IAM user's `secret` (storageProviderSecretAccessKey); prefer the file or RECSTORE_SECRET_ACCESS_KEY, as flags show in the process list",
			func(c *recstore.Config, v string) { c.SecretAccessKey = v }},
		{"role-arn", "`ARN` of the role to assume (storageProviderRoleArn)", func(c *recstore.Config, v string) { c.RoleARN = v }},
		{"role-session-name", "STS session `name` (storageProviderRoleSessionName)", func(c *recstore.Config, v string) { c.RoleSessionName = v }},
		{"external-id", "External `ID` (storageProviderExternalId)", func(c *recstore.Config, v string) { c.ExternalID = v }},
		{"endpoint", "S3 endpoint `URL` for S3-compatible stores (storageProviderEndpoint)", func(c *recstore.Config, v string) { c.Endpoint = v }},
		{"sts-endpoint", "STS endpoint `URL` (storageProviderStsEndpoint)", func(c *recstore.Config, v string) { c.STSEndpoint = v }},
		{"key-prefix", "`prefix` of every key (storageProviderKeyPrefix)", func(c *recstore.Config, v string) { c.KeyPrefix = v }},
	} {
		fs.Func(f.name, f.usage, func(v string) error {
			fs.overrides = append(fs.overrides, func(c *recstore.Config) { f.set(c, v) })
			return nil
		})
	}
	fs.Func("session-duration", "session length in `seconds`, 900-43200 (storageProviderSessionDurationSeconds)", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errors.New("want a whole number of seconds")
		}
		fs.overrides = append(fs.overrides, func(c *recstore.Config) { c.SessionDuration = time.Duration(n) * time.Second })
		return nil
	})
	fs.BoolFunc("disable-auth-retry", "no renewal and retry when S3 rejects the session (storageProviderDisableAuthRetry)", func(v string) error {
		b, err := strconv.ParseBool(v)
		fs.overrides = append(fs.overrides, func(c *recstore.Config) { c.DisableAuthRetry = b })
		return err
	})
}

// config builds the Config: the file, then the environment, then flags.
func (fs *flagSet) config() (recstore.Config, error) {
	var cfg recstore.Config
	if fs.configPath != "" {
		var err error
		if cfg, err = recstore.LoadConfig(fs.configPath); err != nil {
			if errors.Is(err, recstore.ErrInvalidConfig) {
				return cfg, err
			}
			return cfg, usagef("--config: %v", cmp.Or(errors.Unwrap(err), err)) // an unreadable file is a usage error
		}
	}
	if err := cfg.UpdateFromEnv(); err != nil {
		return cfg, err
	}
	for _, set := range fs.overrides {
		set(&cfg)
	}
	return cfg, nil
}

// storeOptions are the library options the flags ask for.
func (fs *flagSet) storeOptions() []recstore.Option {
	if fs.allowInsecure {
		return []recstore.Option{recstore.AllowInsecureEndpoint()}
	}
	return nil
}

// usage prints the command's help.
func (fs *flagSet) usage(w io.Writer) {
	cmd := fs.cmd
	fmt.Fprintf(w, "Usage: recstore %s [flags] %s\n\n%s\n", cmd.name, cmd.args, cmd.summary)
	if cmd.details != "" {
		fmt.Fprintf(w, "\n%s\n", cmd.details)
	}
	fmt.Fprintln(w, "\nFlags:")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	if len(cmd.examples) > 0 {
		fmt.Fprintln(w, "\nExamples:")
		for _, e := range cmd.examples {
			fmt.Fprintf(w, "  recstore %s\n", e)
		}
	}
}

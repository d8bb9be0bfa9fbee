package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"

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
	verbose       bool      // log recstore's events to stderr
	stderr        io.Writer // where --verbose logs
	// sourceIdentity and sessionTags go with every sts:AssumeRole.
	sourceIdentity string
	sessionTags    map[string]string
	// baseSource is --base-credentials; base, the identity it names.
	baseSource string
	base       aws.CredentialsProvider
}

func newFlagSet(cmd command, stderr io.Writer) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet("recstore "+cmd.name, flag.ContinueOnError), cmd: cmd, stderr: stderr}
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

// configFlags adds --config and one flag per Config setting.
func (fs *flagSet) configFlags() {
	fs.BoolVar(&fs.allowInsecure, "allow-insecure-endpoint", false,
		"accept http:// endpoints that are not loopback (a store on a trusted network)")
	fs.BoolVar(&fs.verbose, "verbose", false,
		"log recstore's events to stderr: sessions, auth retries, aborted uploads (README, Observability)")
	fs.StringVar(&fs.baseSource, "base-credentials", "",
		"who calls sts:AssumeRole: leave it out for the config's base keys; `aws` for this process's own AWS identity "+
			"(environment, profile, IRSA's web identity, ECS or EC2 role), with the config's keys left empty")
	fs.StringVar(&fs.sourceIdentity, "source-identity", "",
		"send `id` as the sts:AssumeRole source identity, for the customer's CloudTrail (the trust policy must allow sts:SetSourceIdentity)")
	fs.Func("session-tag", "send `key=value` as an sts:AssumeRole session tag; repeatable (the trust policy must allow sts:TagSession)",
		func(v string) error {
			key, value, ok := strings.Cut(v, "=")
			if !ok {
				return fmt.Errorf("want key=value, got %q", v)
			}
			if fs.sessionTags == nil {
				fs.sessionTags = map[string]string{}
			}
			fs.sessionTags[key] = value
			return nil
		})
	fs.StringVar(&fs.configPath, "config", os.Getenv("RECSTORE_CONFIG"),
		"JSON config `file` with the product's keys (default $RECSTORE_CONFIG)")
	flags := settingFlags()
	for _, s := range recstore.Settings() {
		f := flags[s.Field]
		usage := f.usage + " (" + s.Key + ")"
		if s.Secret {
			usage += "; prefer the file or " + s.Env + ", as flags show in the process list"
		}
		set := func(v string) error {
			if err := s.Set(&recstore.Config{}, v); err != nil {
				var ce *recstore.ConfigError
				errors.As(err, &ce)
				return errors.New(ce.Problem)
			}
			fs.overrides = append(fs.overrides, func(c *recstore.Config) { s.Set(c, v) })
			return nil
		}
		if s.IsBool() {
			fs.BoolFunc(f.name, usage, set)
		} else {
			fs.Func(f.name, usage, set)
		}
	}
}

// configWithArgs checks the positional arguments, then builds the Config.
func (fs *flagSet) configWithArgs(minArgs, maxArgs int) (recstore.Config, error) {
	if err := fs.wantArgs(minArgs, maxArgs); err != nil {
		return recstore.Config{}, err
	}
	return fs.config()
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

// open opens a Store for cfg with the options the flags ask for. Open
// checks cfg, and sends no request.
func (fs *flagSet) open(ctx context.Context, cfg recstore.Config) (*recstore.Store, error) {
	if err := fs.checkBase(); err != nil {
		return nil, err
	}
	return recstore.Open(ctx, cfg, fs.storeOptions()...)
}

// storeOptions are the library options the flags ask for.
func (fs *flagSet) storeOptions() []recstore.Option {
	var opts []recstore.Option
	if fs.allowInsecure {
		opts = append(opts, recstore.AllowInsecureEndpoint())
	}
	if fs.baseSource != "" {
		opts = append(opts, recstore.WithBaseCredentials(fs.base))
	}
	if fs.sourceIdentity != "" {
		opts = append(opts, recstore.WithSourceIdentity(fs.sourceIdentity))
	}
	if len(fs.sessionTags) > 0 {
		opts = append(opts, recstore.WithSessionTags(fs.sessionTags))
	}
	if fs.verbose {
		opts = append(opts, recstore.WithLogger(slog.New(slog.NewTextHandler(fs.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	}
	return opts
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

// checkBase checks --base-credentials and, for aws, readies the process's
// own AWS identity: found on the first request that needs it, so that
// Open checks the configuration before the SDK's chain is asked.
func (fs *flagSet) checkBase() error {
	switch fs.baseSource {
	case "":
		return nil
	case "aws":
		fs.base = &processIdentity{}
		return nil
	}
	return usagef("--base-credentials %q: want aws, or leave it out to use the config's base keys", fs.baseSource)
}

// processIdentity is the process's own AWS identity, found by
// recstore.DefaultBaseCredentials when first asked for; if the chain
// finds none, every retrieval returns that diagnosed error.
type processIdentity struct {
	once     sync.Once
	provider aws.CredentialsProvider
	err      error
}

// Retrieve implements aws.CredentialsProvider.
func (p *processIdentity) Retrieve(ctx context.Context) (aws.Credentials, error) {
	p.once.Do(func() { p.provider, p.err = recstore.DefaultBaseCredentials(ctx) })
	if p.err != nil {
		return aws.Credentials{}, p.err
	}
	return p.provider.Retrieve(ctx)
}

// Command recstore tests a customer's storage configuration, moves
// recordings in and out of the bucket, and prints the IAM documents the
// customer's AWS admin needs. Run "recstore help" for the commands. It
// holds no library logic: flags, printing and hints over package
// recstore. The local sandbox is a command of its own (cmd/sandbox), so
// that this one, which operators run against production, links no test
// server and no installer.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/auvious/recstore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &cli{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
	stop()
	os.Exit(code)
}

// cli is where a command reads and writes.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// A command is one subcommand of recstore.
type command struct {
	name     string
	args     string // positional arguments, for the usage line
	summary  string
	details  string   // what it does, beyond the summary
	examples []string // command lines, without "recstore"
	flags    func(*flagSet)
	run      func(ctx context.Context, c *cli, fs *flagSet) error
}

// commands lists the subcommands in help order.
func commands() []command {
	return []command{
		verifyCommand(), uploadCommand(), downloadCommand(), copyCommand(), removeCommand(),
		listCommand(), statCommand(), presignCommand(), retainCommand(), holdCommand(), policyCommand(), configCommand(),
		spoolCommand(),
	}
}

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1 // a check or an operation failed
	exitUsage  = 2 // bad usage or an invalid config
)

// run runs the command line args and returns the exit status.
func run(ctx context.Context, args []string, c *cli) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		if len(args) > 1 {
			return run(ctx, []string{args[1], "--help"}, c)
		}
		printUsage(c.stdout)
		return exitOK
	}
	for _, cmd := range commands() {
		if cmd.name == args[0] {
			return runCommand(ctx, cmd, args[1:], c)
		}
	}
	fmt.Fprintf(c.stderr, "recstore: unknown command %q\n\n", args[0])
	printUsage(c.stderr)
	return exitUsage
}

func runCommand(ctx context.Context, cmd command, args []string, c *cli) int {
	fs := newFlagSet(cmd, c.stderr)
	if cmd.flags != nil {
		cmd.flags(fs)
	}
	if err := fs.parse(args); err != nil {
		if errors.Is(err, errHelp) {
			fs.usage(c.stdout)
			return exitOK
		}
		fmt.Fprintf(c.stderr, "recstore %s: %v\n\n", cmd.name, err)
		fs.usage(c.stderr)
		return exitUsage
	}
	if err := cmd.run(ctx, c, fs); err != nil {
		return report(c.stderr, cmd.name, err)
	}
	return exitOK
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `recstore keeps call recordings in a customer's S3 bucket through STS AssumeRole.

Usage: recstore <command> [flags] [arguments]

Commands:
`)
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprint(w, `
Configuration comes from --config FILE (the product's JSON keys), then the RECSTORE_*
environment variables, then flags: each overrides the one before. Secrets are never printed.
Run "recstore <command> --help" for a command's flags and examples.
`)
}

// usageError is bad usage: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// report prints err with its diagnosis and returns the exit status.
func report(w io.Writer, name string, err error) int {
	var joined interface{ Unwrap() []error }
	if problems := recstore.ConfigErrors(err); len(problems) > 0 && errors.As(err, &joined) {
		fmt.Fprintf(w, "recstore %s: the configuration is invalid:\n", name)
		for _, p := range problems {
			fmt.Fprintf(w, "  %s\n", p.Describe())
			for _, h := range hints(p.Problem) {
				fmt.Fprintf(w, "    with this command: %s\n", h)
			}
		}
		return exitUsage
	}
	fmt.Fprintf(w, "recstore %s: %v\n", name, err)
	if cause, fix, ok := recstore.Diagnose(err); ok {
		fmt.Fprintf(w, "  cause: %s\n", cause)
		if fix != "" {
			fmt.Fprintf(w, "  fix:   %s\n", fix)
		}
		for _, h := range hints(fix) {
			fmt.Fprintf(w, "  with this command: %s\n", h)
		}
	}
	if isInputError(err) {
		return exitUsage
	}
	return exitFailed
}

// isInputError reports whether err is bad input refused before any
// request: usage, config, argument or key.
func isInputError(err error) bool {
	var usage usageError
	return errors.As(err, &usage) || errors.Is(err, recstore.ErrInvalidConfig) ||
		errors.Is(err, recstore.ErrInvalidArgument) || errors.Is(err, recstore.ErrInvalidKey)
}

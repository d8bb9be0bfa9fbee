package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/auvious/recstore"
)

func spoolCommand() command {
	var asJSON bool
	return command{
		name: "spool", args: "ls DIR", summary: "list the recordings a spool directory holds",
		details: "Lists the recordings waiting in the spool directory DIR (recstore.OpenSpool's) for delivery, oldest\n" +
			"first: tenant, key, size, how long each has waited, its failed attempts and the last one's diagnosis.\n" +
			"It only reads the directory, so it may look at the spool of a running recorder. \"writing\" marks a\n" +
			"recording being written, or one that a dead process left, delivered as incomplete by the next OpenSpool.",
		examples: []string{"spool ls /var/lib/recorder/spool", "spool ls --json /var/lib/recorder/spool"},
		flags: func(fs *flagSet) {
			fs.BoolVar(&asJSON, "json", false, "print the list as JSON")
		},
		run: func(ctx context.Context, c *cli, fs *flagSet) error {
			if err := fs.wantArgs(2, 2); err != nil {
				return err
			}
			if fs.arg(0) != "ls" {
				return usagef("unknown spool command %q: want ls", fs.arg(0))
			}
			list, err := recstore.ListSpool(fs.arg(1))
			if err != nil {
				return err
			}
			now := time.Now()
			if asJSON {
				printJSON(c.stdout, spoolJSON(list, now))
				return nil
			}
			printSpool(c, list, now)
			return nil
		},
	}
}

// spooled is a pending recording as spool ls --json prints it.
type spooled struct {
	Tenant     string     `json:"tenant"`
	Key        string     `json:"key"`
	Size       int64      `json:"size"`
	State      string     `json:"state"` // "pending", "failing", "writing" or "held" (for the application to release or discard)
	Committed  *time.Time `json:"committed,omitempty"`
	AgeSeconds float64    `json:"ageSeconds,omitempty"` // since the commit
	Attempts   int        `json:"attempts"`
	Incomplete bool       `json:"incomplete,omitempty"`
	LastError  *lastError `json:"lastError,omitempty"`
}

// lastError is a failed attempt's error and its diagnosis.
type lastError struct {
	Message string `json:"message"`
	Class   string `json:"class,omitempty"` // the sentinel it matches, such as ErrAssumeRoleDenied
	Cause   string `json:"cause,omitempty"`
	Fix     string `json:"fix,omitempty"`
}

func spoolJSON(list []recstore.PendingRecording, now time.Time) []spooled {
	out := make([]spooled, 0, len(list))
	for _, p := range list {
		s := spooled{Tenant: p.Tenant, Key: p.Key, Size: p.Size, State: stateOf(p), Attempts: p.Attempts, Incomplete: p.Incomplete}
		if !p.Committed.IsZero() {
			committed := p.Committed.UTC()
			s.Committed, s.AgeSeconds = &committed, now.Sub(p.Committed).Round(time.Second).Seconds()
		}
		if p.LastError != nil {
			cause, fix, _ := recstore.Diagnose(p.LastError)
			s.LastError = &lastError{Message: p.LastError.Error(), Class: recstore.ErrorType(p.LastError), Cause: cause, Fix: fix}
		}
		out = append(out, s)
	}
	return out
}

func printSpool(c *cli, list []recstore.PendingRecording, now time.Time) {
	if len(list) == 0 {
		fmt.Fprintln(c.stdout, "nothing pending")
		return
	}
	w := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "STATE\tAGE\tSIZE\tATTEMPTS\tTENANT\tKEY")
	for _, p := range list {
		age := "-"
		if !p.Committed.IsZero() {
			age = now.Sub(p.Committed).Round(time.Second).String()
		}
		key := p.Key
		if p.Incomplete {
			key += " (incomplete)"
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\t%s\n", stateOf(p), age, p.Size, p.Attempts, p.Tenant, key)
	}
	w.Flush()
	printFailures(c, list)
}

// printFailures prints each distinct diagnosis once (the first error with
// it, the recordings it holds back, its cause and fix); errors without one
// are grouped by their text.
func printFailures(c *cli, list []recstore.PendingRecording) {
	var order []string
	held := map[string][]string{}
	errs := map[string]error{}
	for _, p := range list {
		if p.LastError == nil {
			continue
		}
		text := p.LastError.Error()
		if cause, fix, ok := recstore.Diagnose(p.LastError); ok {
			text = cause + "\x00" + fix
		}
		if _, ok := errs[text]; !ok {
			order, errs[text] = append(order, text), p.LastError
		}
		held[text] = append(held[text], p.Tenant+" "+p.Key)
	}
	for _, text := range order {
		fmt.Fprintf(c.stdout, "\n%v\n", errs[text])
		for _, rec := range held[text] {
			fmt.Fprintf(c.stdout, "  holds back: %s\n", rec)
		}
		if cause, fix, ok := recstore.Diagnose(errs[text]); ok {
			fmt.Fprintf(c.stdout, "  cause: %s\n  fix:   %s\n", cause, fix)
		}
	}
}

func stateOf(p recstore.PendingRecording) string {
	switch {
	case p.Writing:
		return "writing"
	case p.Held:
		return "held"
	case p.LastError != nil:
		return "failing"
	}
	return "pending"
}

package main

import (
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/auvious/recstore"
)

// The library's causes and fixes name JSON keys, IAM actions, IAM
// documents and its own options, and nothing of this command. hints adds,
// after a fix, how to follow it with this command: the flag that stands
// for an option the fix names, and the policy command that prints a
// document with the IAM actions it names.

// optionFlags are the flags that stand for the library's options.
func optionFlags() map[string]string {
	return map[string]string{
		"AllowInsecureEndpoint": "--allow-insecure-endpoint",
		"WithBaseCredentials":   "--base-credentials aws",
		"WithLockedProbes":      "recstore verify --locked-probes",
		"WithSessionTags":       "--session-tag key=value",
		"WithSourceIdentity":    "--source-identity id",
	}
}

// A policyDoc is a policy command line and the document it prints.
type policyDoc struct {
	command string
	build   func() (recstore.Policy, error)
}

// policyDocs are the documents of the policy command that a hint may
// point to, built by the library's own policy builder from placeholders:
// the role policy, the role policy with each grant flag, and the trust
// policy, with the session tags and source identity options.
func policyDocs() []policyDoc {
	cfg := recstore.Config{Bucket: "bucket", Region: "us-east-1", RoleARN: "arn:aws:iam::123456789012:role/r"}
	const principal = "arn:aws:iam::111122223333:role/recorder"
	docs := []policyDoc{{"recstore policy --doc role", func() (recstore.Policy, error) { return recstore.RolePolicy(cfg) }}}
	for _, g := range policyGrants() {
		flag := "--" + g.flag
		if g.value != "" {
			flag += " " + g.value
		}
		docs = append(docs, policyDoc{"recstore policy --doc role " + flag,
			func() (recstore.Policy, error) { return recstore.RolePolicy(cfg, g.option(exampleKMSKey)) }})
	}
	trust := "recstore policy --doc trust --principal-arn <base identity ARN>"
	return append(docs,
		policyDoc{trust, func() (recstore.Policy, error) { return recstore.TrustPolicy(cfg, principal) }},
		policyDoc{trust + " --session-tag key=value", func() (recstore.Policy, error) {
			return recstore.TrustPolicy(cfg, principal, recstore.WithSessionTags(map[string]string{"key": "value"}))
		}},
		policyDoc{trust + " --source-identity id", func() (recstore.Policy, error) {
			return recstore.TrustPolicy(cfg, principal, recstore.WithSourceIdentity("id"))
		}})
}

// actionCommands maps each IAM action of the policy documents to the first
// command that prints a document with it.
func actionCommands() map[string]string {
	commands := map[string]string{}
	for _, d := range policyDocs() {
		p, err := d.build()
		if err != nil {
			continue // the placeholders are valid: TestHints shows it
		}
		for _, st := range p.Statement {
			for _, action := range st.Action {
				if _, seen := commands[action]; !seen {
					commands[action] = d.command
				}
			}
		}
	}
	return commands
}

// hints says how to follow fix with this command: the flags for the
// options it names, then a policy command for the actions it names, each
// with the actions its document holds, in the order fix names them.
func hints(fix string) []string {
	var out []string
	flags := optionFlags()
	for _, option := range slices.Sorted(maps.Keys(flags)) {
		if strings.Contains(fix, option) {
			out = append(out, flags[option]+" (for "+option+")")
		}
	}
	commands := actionCommands()
	var order []string
	actions := map[string][]string{}
	actionNames := regexp.MustCompile(`\b(?:s3|kms|sts):[A-Za-z]+\b`) // the IAM actions a text names
	for _, action := range actionNames.FindAllString(fix, -1) {
		command, ok := commands[action]
		if !ok || slices.Contains(actions[command], action) {
			continue
		}
		if actions[command] == nil {
			order = append(order, command)
		}
		actions[command] = append(actions[command], action)
	}
	for _, command := range order {
		out = append(out, command+" prints the document with "+strings.Join(actions[command], ", "))
	}
	return out
}

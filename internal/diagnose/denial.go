package diagnose

import (
	"strings"

	"github.com/aws/smithy-go"
)

// messageOf is the server's message in an AWS error reply, "" for none.
func messageOf(api smithy.APIError) string {
	if api == nil {
		return ""
	}
	return Quote(api.ErrorMessage(), maxMessage)
}

// A denial is what an AWS AccessDenied message says about itself, in the
// form "User: <principal> is not authorized to perform: <action> on
// resource: <resource> [because no <kind> policy allows the <action>
// action | with an explicit deny in a <kind>]" (S3 quotes the resource).
// Older and cross-account replies say only "Access Denied".
type denial struct {
	principal, action, resource string
	explicit                    bool   // an explicit Deny: no Allow can override it
	policy                      string // the kind of policy, such as "service control policy"; "" if not named
}

// parseDenial reads message; ok is false for a message without the form.
func parseDenial(message string) (d denial, ok bool) {
	rest, ok := strings.CutPrefix(message, "User: ")
	if !ok {
		return denial{}, false
	}
	d.principal, rest, ok = strings.Cut(rest, " is not authorized to perform: ")
	if !ok {
		return denial{}, false
	}
	d.action, rest, ok = strings.Cut(rest, " on resource: ")
	if !ok {
		return denial{}, false
	}
	resource, reason := rest, ""
	for _, sep := range []string{" because no ", " with an explicit deny in "} {
		if i := strings.Index(rest, sep); i >= 0 {
			resource, reason = rest[:i], rest[i:]
			break
		}
	}
	d.resource = strings.Trim(resource, `"`)
	switch {
	case strings.HasPrefix(reason, " with an explicit deny in "):
		d.explicit = true
		d.policy = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(reason, " with an explicit deny in "), "a "), ".")
		d.policy = strings.TrimPrefix(d.policy, "an ")
	case strings.HasPrefix(reason, " because no "):
		kind, _, _ := strings.Cut(strings.TrimPrefix(reason, " because no "), " allows ")
		d.policy = kind
	}
	return d, true
}

// denyFix says where the explicit Deny of kind policy lives and who can
// narrow it: an Allow cannot beat a Deny, so the fix never says "allow".
func denyFix(policy, action, resource string, t Target) string {
	find := "find the Deny statement that matches " + action + " on " + resource + " and its Condition, and remove or narrow it"
	switch policy {
	case "service control policy":
		return "an AWS Organizations administrator must " + find + " in the service control policies of the account's organization"
	case "resource control policy":
		return "an AWS Organizations administrator of the resource's account must " + find + " in its resource control policies"
	case "VPC endpoint policy":
		return "the recorder reaches S3 through a VPC endpoint: its network administrator must " + find + " in the endpoint's policy"
	case "resource-based policy":
		if strings.HasPrefix(action, "sts:") {
			return "in the customer's account, " + find + " in the trust policy of role " + t.Role
		}
		return "in the bucket policy of " + t.Bucket + ", " + find + " (typical Deny conditions require an encryption " +
			"header, TLS (aws:SecureTransport), a VPC endpoint (aws:SourceVpce) or an IP range), so that the recorder's requests meet it"
	case "permissions boundary":
		return find + " in the permissions boundary of the principal that made the request"
	case "session policy":
		return find + " in the session policy passed with sts:AssumeRole (recstore passes none)"
	}
	return find + " in the principal's identity-based policies"
}

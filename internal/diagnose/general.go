package diagnose

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"
)

// The general rules diagnose every reply that no specific rule knows, from
// facts every failure has: the service and who signed the request, whether
// the server is AWS's or an S3-compatible store's, the HTTP status family
// and whether trying again can help. Their cause quotes the server's own
// message and says that recstore does not know the reply; their fix names
// who must act: the vendor's config, the customer's AWS admin, the store's
// operator, or nobody (try later).

// A party is who must act on a failure.
type party struct {
	server string // "AWS S3", "the S3-compatible store", "AWS STS", "the STS endpoint"
	admin  string // who controls the server's permissions and settings
}

// partyOf is who runs the server of op, and who administers it.
func partyOf(op string, t Target) party {
	switch {
	case strings.HasPrefix(op, "sts:") && t.STSIsAWS:
		return party{"AWS STS", "the AWS admin of the customer's account (the role) or of the vendor's (the base identity)"}
	case strings.HasPrefix(op, "sts:"):
		return party{"the STS endpoint (storageProviderStsEndpoint)", "the operator of that STS endpoint"}
	case t.S3IsAWS:
		return party{"AWS S3", "the customer's AWS admin"}
	}
	return party{"the S3-compatible store (storageProviderEndpoint)", "the store's operator"}
}

// general diagnoses f from its status family when no specific rule did.
func general(f *failure, t Target) {
	p := partyOf(f.Op, t)
	quote := f.quote()
	switch {
	case errors.As(f.Err, new(*smithy.DeserializationError)) || f.StatusCode >= 200 && f.StatusCode < 300 && f.Code == "":
		unsupportedReply(f, t, fmt.Sprintf("a reply that is not the one AWS's API defines (%s)", Message(f.Err, "")))
	case f.StatusCode == 0:
		return // no reply and no network failure: not a request's failure
	case f.StatusCode == 429 || f.StatusCode >= 500 && f.StatusCode != 501 || transient(f.Code, Message(f.Err, "")):
		f.Kind = ErrUnavailable
		f.Cause = fmt.Sprintf("%s failed or throttled %s even after retries (HTTP %d); %s", p.server, f.Op, f.StatusCode, quote)
		f.Fix = "nobody needs to change a setting: try again later; if it persists, check the service's health " +
			"(AWS Health Dashboard, or the store's operator) and the network to it"
	case f.StatusCode == 501:
		f.Kind = ErrUnsupported
		f.Cause = fmt.Sprintf("%s does not implement %s as recstore sent it (HTTP 501); %s", p.server, f.Op, quote)
		f.Fix = "check the store's list of supported S3 features with " + p.admin + "; if storageProviderChecksum is crc32, try content-md5"
	case (f.StatusCode == 301 || f.StatusCode == 307) && !strings.HasPrefix(f.Op, "sts:"):
		regionMismatch(f, t)
	case f.StatusCode >= 300 && f.StatusCode < 400:
		f.Kind = ErrRejected
		f.Cause = fmt.Sprintf("%s redirected %s elsewhere (HTTP %d); %s", p.server, f.Op, f.StatusCode, quote)
		f.Fix = "set storageProviderStsEndpoint or storageProviderEndpoint to the service's own address (or leave it " +
			"empty for AWS's), in the vendor's config"
	case f.StatusCode == 401 || f.StatusCode == 403:
		refused(f, t, p, quote)
	default: // the other 4xx: the request, or the state of what it names
		f.Kind = ErrRejected
		f.Cause = fmt.Sprintf("%s refused %s (HTTP %d); %s", p.server, f.Op, f.StatusCode, quote)
		f.Fix = "trying the same request again will not help: the server's message says what it refused; if it names a " +
			"setting of recstore (Region, endpoint, checksum, encryption), correct it in the vendor's config; otherwise ask " + p.admin
	}
}

// Unsupported is the diagnosis of op's reply lacking what AWS's carries
// (what, such as "the probe's retention"), as Verify finds it.
func Unsupported(op string, t Target, what string) Diagnosis {
	f := &failure{Op: op}
	unsupportedReply(f, t, "without "+what+", which AWS's reply carries")
	return f.Diagnosis
}

// unsupportedReply: the server answered f's request, but not as AWS's API
// defines (how says in what way).
func unsupportedReply(f *failure, t Target, how string) {
	p := partyOf(f.Op, t)
	f.Kind = ErrUnsupported
	f.Cause = fmt.Sprintf("%s answered %s with %s: it does not implement %s as AWS does", p.server, f.Op, how, f.Op)
	f.Fix = "check that the endpoint is the store's S3 API and that it supports " + f.Op + "; otherwise ask " + p.admin
}

// transient reports whether a reply that is not a 5xx still says that
// trying again can help: throttling and timeout codes that some services
// send with a 4xx (or, in S3's asynchronous errors, inside a 200), and
// messages that say so ("Please try again").
func transient(code, message string) bool {
	switch code {
	case "InternalError", "InternalFailure", "ServiceUnavailable", "SlowDown", "RequestTimeout", "Throttling",
		"ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded", "PriorRequestNotComplete",
		"IDPCommunicationError", "IDPCommunicationErrorException", "KMS.DependencyTimeoutException",
		"KMS.KMSInternalException", "KMS.KeyUnavailableException", "KMS.RequestTimeoutException", "KMS.RequestAbortedException":
		return true
	}
	return strings.Contains(strings.ToLower(message), "try again")
}

// refused diagnoses a 401 or 403 that no specific rule knows: the
// request's signer was refused, by a rule recstore cannot name.
func refused(f *failure, t Target, p party, quote string) {
	if strings.HasPrefix(f.Op, "sts:") {
		f.Kind = ErrAssumeRoleDenied
		f.Cause = fmt.Sprintf("%s refused the base identity's %s (HTTP %d); %s", p.server, f.Op, f.StatusCode, quote)
		f.Fix = fmt.Sprintf("check with %s that the base identity may call sts:AssumeRole on role %s and that the "+
			"role trusts it with storageProviderExternalId", p.admin, t.Role)
		return
	}
	f.Kind = ErrS3AccessDenied
	f.Cause = fmt.Sprintf("%s refused %s to the temporary session of role %s (HTTP %d); %s", p.server, f.Op, t.Role, f.StatusCode, quote)
	f.Fix = "the server's message says what it refused: if it is a permission, " + accessFix(f.Op, t) + "; otherwise ask " + p.admin
}

// quote is the server's message in f's reply, and that recstore does not
// know this reply.
func (f *failure) quote() string {
	message := strings.TrimSpace(Message(f.Err, ""))
	code := f.Code
	if code == "" {
		code = "no error code"
	}
	if message == "" || message == "no message in the reply" {
		return fmt.Sprintf("recstore does not know this reply (%s), and it carries no message", code)
	}
	return fmt.Sprintf("recstore does not know this reply (%s); its message: %q", code, message)
}

// Package diagnose is recstore's one classifier of failed requests: from
// the operation, what it was about (Target: the Config's bucket, role and
// Regions, and what is known of the endpoints) and the error, it decides
// the class of the failure, its likely cause and the fix. It is a pure
// function: it sends no request and knows nothing of Stores, so it is
// tested offline, reply by reply.
//
// It is the only reader of AWS error codes in recstore. The root package
// re-exports its sentinels and wraps its Diagnosis in recstore.Error.
package diagnose

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// The classes of failure: the root package exports each under the same
// name, with its documentation.
var (
	ErrAssumeRoleDenied       = errors.New("recstore: sts:AssumeRole denied")
	ErrInvalidBaseCredentials = errors.New("recstore: invalid base IAM user credentials")
	ErrDurationExceedsMax     = errors.New("recstore: session duration exceeds the role's maximum")
	ErrExpiredToken           = errors.New("recstore: temporary credentials expired")
	ErrS3AccessDenied         = errors.New("recstore: S3 access denied")
	ErrRegionMismatch         = errors.New("recstore: bucket region mismatch")
	ErrBucketNotFound         = errors.New("recstore: bucket not found")
	ErrKeyNotFound            = errors.New("recstore: key not found")
	ErrClockSkew              = errors.New("recstore: clock skew")
	ErrNetwork                = errors.New("recstore: network error")
	ErrUnavailable            = errors.New("recstore: service unavailable")
	ErrKMSAccessDenied        = errors.New("recstore: KMS key access denied")
	ErrKMSKeyUnusable         = errors.New("recstore: KMS key unusable")
	ErrObjectLocked           = errors.New("recstore: object locked")
	ErrUnsupported            = errors.New("recstore: not supported by the store")
	ErrRejected               = errors.New("recstore: request rejected")
	ErrEndpointRefused        = errors.New("recstore: endpoint refused")
)

// A Target is what a request was about, from the Config: it makes a
// diagnosis name the exact role, bucket, Region and permission.
type Target struct {
	Bucket, Key, Prefix string
	Region, Role        string
	STSRegion           string // the Region STS requests are signed for
	STSIsAWS            bool   // whether STS is AWS's, not a store's own
	S3IsAWS             bool   // whether S3 is AWS's, not an S3-compatible store
	SSE                 string // the Config's server-side encryption: "", "AES256" or "aws:kms"
	Checksum            string // the Config's checksum mode: "", "crc32" or "content-md5"
	KMSKeyID            string
}

// WithKey is t about key.
func (t Target) WithKey(key string) Target { t.Key = key; return t }

// A Diagnosis is what the classifier makes of a failed request.
type Diagnosis struct {
	Kind         error  // the class's sentinel; nil when the failure fits no class
	Code         string // AWS error code; empty when there was no reply
	StatusCode   int    // HTTP status; 0 when there was no reply
	RequestID    string
	BucketRegion string // the bucket's Region, when S3 named it (x-amz-bucket-region)
	Cause, Fix   string // for people; Cause is empty when nothing is known
}

// failure is a request being diagnosed: the rules read its operation,
// reply and error, and write its Diagnosis.
type failure struct {
	Op, Key string
	Err     error
	Diagnosis
}

// message is the server's message, as Message gives it.
func (f *failure) message() string { return Message(f.Err, f.Cause) }

// Classify diagnoses err, the failure of operation op (such as
// "s3:PutObject" or "sts:AssumeRole") about t.
func Classify(op string, t Target, err error) Diagnosis {
	f := &failure{Op: op, Key: t.Key, Err: err}
	var api smithy.APIError
	if errors.As(err, &api) {
		f.Code = Quote(api.ErrorCode(), maxToken)
	}
	var resp interface{ HTTPStatusCode() int }
	if errors.As(err, &resp) {
		f.StatusCode = resp.HTTPStatusCode()
	}
	var reqID interface{ ServiceRequestID() string }
	if errors.As(err, &reqID) {
		f.RequestID = Quote(reqID.ServiceRequestID(), maxToken)
	}
	var raw *awshttp.ResponseError
	if errors.As(err, &raw) && raw.Response != nil {
		f.BucketRegion = raw.Response.Header.Get("X-Amz-Bucket-Region")
	}
	f.diagnose(api, t)
	return f.Diagnosis
}

// Message is the server's message in err's reply; for a reply without
// one (any HEAD), cause; with no reply at all, err's own text. The
// server's message is bounded (Quote): only the parsed Message of an
// error reply, never a body that is not one, and never more than a few
// hundred bytes of it.
func Message(err error, cause string) string {
	var api smithy.APIError
	switch {
	case errors.As(err, &api) && strings.TrimSpace(api.ErrorMessage()) != "":
		return Quote(strings.TrimSpace(api.ErrorMessage()), maxMessage) // a plain-text reply may end in a newline
	case err == nil || api != nil && cause != "":
		return cause
	case api != nil:
		return "no message in the reply"
	}
	return Quote(err.Error(), maxMessage)
}

// diagnose sets f's class, cause and fix from its code and status.
func (f *failure) diagnose(api smithy.APIError, t Target) {
	var base *BaseIdentityError
	var refused *EndpointRefusedError
	switch {
	case errors.Is(f.Err, context.Canceled) || errors.Is(f.Err, context.DeadlineExceeded):
		f.Cause = "the operation was canceled or timed out by the caller"
	case errors.As(f.Err, &base):
		diagnoseBase(f, base)
	case errors.As(f.Err, &refused):
		endpointRefused(f, refused)
	case f.Code == "" && f.StatusCode == 0 && isNetworkError(f.Err):
		f.Kind = ErrNetwork
		f.Cause = "the endpoint could not be reached, or the connection broke or timed out before a reply (DNS, a " +
			"refused or reset connection, TLS, no reply in time)"
		f.Fix = "check storageProviderRegion, storageProviderEndpoint and storageProviderStsEndpoint, DNS, proxies and firewalls"
	case strings.HasPrefix(f.Op, "sts:"):
		diagnoseSTS(f, api, t)
	default:
		diagnoseS3(f, api, t)
	}
	if f.Cause == "" {
		general(f, t)
	}
}

func isNetworkError(err error) bool {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true // the connection broke before a reply
	}
	var timeout net.Error
	if errors.As(err, &timeout) && timeout.Timeout() {
		return true // such as net/http's "timeout awaiting response headers"
	}
	var (
		sendErr *smithyhttp.RequestSendError
		opErr   *net.OpError
		dnsErr  *net.DNSError
		certErr *tls.CertificateVerificationError
		authErr x509.UnknownAuthorityError
		hostErr x509.HostnameError
		recErr  tls.RecordHeaderError
	)
	return errors.As(err, &sendErr) || errors.As(err, &opErr) || errors.As(err, &dnsErr) || errors.As(err, &certErr) ||
		errors.As(err, &authErr) || errors.As(err, &hostErr) || errors.As(err, &recErr)
}

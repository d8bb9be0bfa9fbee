package recstore

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/auvious/recstore/internal/diagnose"
)

// Sentinel errors, one per class of failure. An error of one operation
// matches at most one of them with errors.Is (none when the failure fits
// no class, such as a read error of an Upload's source). An error that
// joins several, such as a Report's Err, matches the class of each.
var (
	// ErrInvalidConfig: a Config field or an option is invalid. Nothing was sent.
	ErrInvalidConfig = errors.New("recstore: invalid config")
	// ErrInvalidKey: an object key is empty, longer than 1,024 bytes with
	// the key prefix, not valid UTF-8, or has a control character or a "."
	// or ".." path segment. Nothing was sent.
	ErrInvalidKey = errors.New("recstore: invalid object key")
	// ErrInvalidArgument: an argument other than a key is invalid, such as a
	// negative TTL or a nil reader. Nothing was sent.
	ErrInvalidArgument = errors.New("recstore: invalid argument")
	// ErrClosed: the Store (or Pool, or Spool) was used after Close.
	ErrClosed = errors.New("recstore: store is closed")
	// ErrSpoolFull: a Spool's Create or Write would go beyond its size
	// limit (WithSpoolLimit), or its disk is full. Nothing already accepted
	// is lost: a recording keeps what its earlier Writes accepted.
	ErrSpoolFull = errors.New("recstore: spool full")

	// ErrAssumeRoleDenied: STS refused sts:AssumeRole: the role's trust
	// policy, the External ID, the base user's own policy, an explicit Deny,
	// or STS not activated in the Region.
	ErrAssumeRoleDenied = diagnose.ErrAssumeRoleDenied
	// ErrInvalidBaseCredentials: STS rejected the base keys: an unknown or
	// inactive key ID, a secret that does not belong to it, or the keys of
	// an account's root user.
	ErrInvalidBaseCredentials = diagnose.ErrInvalidBaseCredentials
	// ErrDurationExceedsMax: the session duration exceeds what the role allows.
	ErrDurationExceedsMax = diagnose.ErrDurationExceedsMax
	// ErrExpiredToken: the temporary session (or the token used to renew it) expired or was rejected.
	ErrExpiredToken = diagnose.ErrExpiredToken
	// ErrS3AccessDenied: S3 denied an operation to the assumed role.
	ErrS3AccessDenied = diagnose.ErrS3AccessDenied
	// ErrRegionMismatch: the bucket is in another Region than Config.Region,
	// or STS requests were signed for another Region than the endpoint's.
	ErrRegionMismatch = diagnose.ErrRegionMismatch
	// ErrBucketNotFound: the bucket does not exist.
	ErrBucketNotFound = diagnose.ErrBucketNotFound
	// ErrKeyNotFound: the object does not exist.
	ErrKeyNotFound = diagnose.ErrKeyNotFound
	// ErrClockSkew: the local clock differs too much from the server's.
	ErrClockSkew = diagnose.ErrClockSkew
	// ErrEndpointRefused: a Pool refused to connect to a tenant's endpoint,
	// which resolved to an address of the recorder's own network (loopback,
	// link-local, private, ...) that WithAllowedEndpoints does not allow.
	// Nothing was sent.
	ErrEndpointRefused = diagnose.ErrEndpointRefused
	// ErrNetwork: the endpoint could not be reached, or the connection broke
	// before a reply (DNS, refused or reset connection, TLS).
	ErrNetwork = diagnose.ErrNetwork
	// ErrUnavailable: S3, STS or KMS failed or throttled (HTTP 5xx or 429,
	// SlowDown, RequestTimeout, a reply that says to try again), a body
	// reached the store damaged on every attempt, or the store is out of
	// space or quota, even after the SDK's retries. Trying later may work;
	// the fix says whether someone must act first.
	ErrUnavailable = diagnose.ErrUnavailable
	// ErrKMSAccessDenied: the role may not use the KMS key of SSE-KMS
	// (kms:GenerateDataKey to write, kms:Decrypt to read or complete a
	// multipart upload), in its own policy or the key policy.
	ErrKMSAccessDenied = diagnose.ErrKMSAccessDenied
	// ErrKMSKeyUnusable: the KMS key of SSE-KMS is disabled, pending
	// deletion or import, or does not exist in the bucket's Region.
	ErrKMSKeyUnusable = diagnose.ErrKMSKeyUnusable
	// ErrObjectLocked: S3 Object Lock protects the version: a retention
	// not yet expired, or a legal hold.
	ErrObjectLocked = diagnose.ErrObjectLocked
	// ErrUnsupported: the S3-compatible store does not implement something
	// recstore sent, such as the x-amz-checksum headers (HTTP 501
	// NotImplemented, or 400 naming the header), demands a header AWS does
	// not (moto's Content-MD5 on a copy into a locked bucket), or answers
	// otherwise than AWS's API defines.
	ErrUnsupported = diagnose.ErrUnsupported
	// ErrRejected: S3, STS or KMS refused the request itself, for a reason
	// other than the classes above: a request the store finds invalid, one
	// in conflict with the state of the bucket or object, or one naming
	// something that is gone (such as a multipart upload aborted under
	// it). Trying the same request again does not help; the diagnosis
	// quotes the server's message and names who must act.
	ErrRejected = diagnose.ErrRejected
)

// A ConfigError reports one invalid Config setting. It matches
// ErrInvalidConfig.
type ConfigError struct {
	Field   string // Go field name, such as "Bucket"; empty for an unknown JSON key
	Key     string // JSON key, such as "storageProviderBucketName"
	Problem string // what is wrong and what is allowed; never contains a secret
}

// Error says which setting is wrong and what is allowed.
func (e *ConfigError) Error() string { return "recstore: invalid config: " + e.Describe() }

// Describe is Error without its "recstore: invalid config: " prefix: the
// setting and its problem, for a list of problems under one heading.
func (e *ConfigError) Describe() string {
	if e.Field == "" {
		return e.Key + ": " + e.Problem
	}
	return e.Field + " (" + e.Key + "): " + e.Problem
}

// Is reports whether target is ErrInvalidConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// ConfigErrors returns every *ConfigError in err's tree, in order: one per
// invalid setting of an error from Validate, Open or ParseConfig. It
// returns none for other errors, even some that match ErrInvalidConfig
// (malformed JSON, an invalid option).
func ConfigErrors(err error) []*ConfigError {
	switch e := err.(type) {
	case *ConfigError:
		return []*ConfigError{e}
	case interface{ Unwrap() []error }:
		var found []*ConfigError
		for _, inner := range e.Unwrap() {
			found = append(found, ConfigErrors(inner)...)
		}
		return found
	case interface{ Unwrap() error }:
		return ConfigErrors(e.Unwrap())
	}
	return nil
}

// An Error is a failed remote operation. Every error recstore returns for a
// failed request is an *Error; it keeps the SDK's error in its chain, so
// errors.As to smithy.APIError still works, and it matches its class's
// sentinel (such as ErrKeyNotFound) with errors.Is.
type Error struct {
	Op           string // operation, such as "s3:PutObject" or "sts:AssumeRole"
	Bucket       string // bucket, for S3 operations
	Key          string // object key as the caller gave it (without KeyPrefix), if any
	Code         string // AWS error code, such as "AccessDenied"; empty when there was no reply
	StatusCode   int    // HTTP status; 0 when there was no reply
	RequestID    string // AWS request ID, for support cases
	BucketRegion string // the bucket's Region, when S3 named it in its reply (x-amz-bucket-region, or "expecting '...'")
	Cause        string // the likely cause, for people
	Fix          string // what to change, for people
	Err          error  // the underlying error

	kind error // the sentinel this error matches
}

// Error gives the operation, the key, the AWS code, status and request ID,
// and the server's message. Diagnose gives the cause and the fix.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("recstore: " + e.Op)
	if e.Key != "" {
		fmt.Fprintf(&b, " %q", shorten(e.Key, 200))
	}
	b.WriteString(": ")
	if e.Code != "" {
		b.WriteString(e.Code)
		if e.StatusCode != 0 {
			fmt.Fprintf(&b, " (HTTP %d", e.StatusCode)
			if e.RequestID != "" {
				b.WriteString(", request ID " + e.RequestID)
			}
			b.WriteString(")")
		}
		b.WriteString(": ")
	}
	b.WriteString(diagnose.Message(e.Err, e.Cause))
	return b.String()
}

// Unwrap exposes the underlying error and the class sentinel, so that both
// errors.Is and errors.As see them.
func (e *Error) Unwrap() []error {
	if e.kind == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.kind}
}

// Diagnose returns the likely cause of err and the fix, for any error
// recstore returned: a failed request, an invalid setting or an invalid
// option. ok is false when err carries no diagnosis (a read error of an
// Upload's source, say).
func Diagnose(err error) (cause, fix string, ok bool) {
	var e *Error
	if errors.As(err, &e) && e.Cause != "" {
		return e.Cause, e.Fix, true
	}
	var ce *ConfigError
	if errors.As(err, &ce) {
		return "the configuration is invalid: " + ce.Problem, "correct " + ce.Key + " and try again", true
	}
	var oe *optionError
	if errors.As(err, &oe) {
		return "an option is invalid: " + oe.problem, "correct " + oe.option() +
			" where the code gives it to Open, NewPool or Verify; nothing was sent", true
	}
	return "", "", false
}

// target is what a request was about, from the Config: it makes a
// diagnosis name the exact role, bucket, Region and permission.
type target = diagnose.Target

// classify turns an SDK error from operation op into an *Error, with the
// classifier's diagnosis, or returns the *Error inside err when there is
// one (such as an sts:AssumeRole failure while refreshing credentials for
// an S3 call).
func classify(op string, t target, err error) error {
	if err == nil {
		return nil
	}
	var remembered *BackoffError
	if errors.As(err, &remembered) {
		return remembered
	}
	var inner *Error
	if errors.As(err, &inner) {
		return inner
	}
	return newError(op, t, err, diagnose.Classify(op, t, err))
}

// newError is the *Error of op about t failing with err, as d diagnoses it.
func newError(op string, t target, err error, d diagnose.Diagnosis) *Error {
	return &Error{Op: op, Bucket: t.Bucket, Key: t.Key, Code: d.Code, StatusCode: d.StatusCode, RequestID: d.RequestID,
		BucketRegion: d.BucketRegion, Cause: d.Cause, Fix: d.Fix, Err: err, kind: d.Kind}
}

// isBodilessRefusal reports whether err is a 400 or 403 reply to a HEAD
// request, which carries no body and so no error code: an expired session
// and a denied action look the same.
func isBodilessRefusal(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && (api.ErrorCode() == "Forbidden" || api.ErrorCode() == "BadRequest")
}

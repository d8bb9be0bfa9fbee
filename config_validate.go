package recstore

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/auvious/recstore/internal/awsname"
)

// AWS limits that Validate enforces.
const (
	minSessionDuration = 15 * time.Minute
	maxSessionDuration = 12 * time.Hour
	maxKeyPrefixBytes  = 512
)

// Character sets of AWS's own constraints.
const (
	wordChars        = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"
	sessionNameChars = wordChars + "+=,.@-"
	externalIDChars  = sessionNameChars + ":/"
	roleNameChars    = sessionNameChars
)

// Validate checks c's settings against AWS's rules, each value alone and
// with the others, without touching the network. It reports every problem
// at once, joined with errors.Join; each is a *ConfigError naming the Go
// field and the JSON key, and all match ErrInvalidConfig.
//
// Two rules depend on how the Store is opened, and Open checks them too:
// the base keys (AccessKeyID, SecretAccessKey) are required, unless
// WithBaseCredentials gives the base identity, which needs them empty; and
// an http:// Endpoint or STSEndpoint must be a loopback address, unless
// AllowInsecureEndpoint is given. Validate accepts a Config that either
// way of opening could use: both keys or neither, any http:// URL.
func (c Config) Validate() error { return c.validate(nil) }

// opening is how a Store is opened, as far as the validity of its Config
// depends on it.
type opening struct {
	keyless       bool // WithBaseCredentials gives the base identity
	allowInsecure bool // AllowInsecureEndpoint
}

// validate checks c with Validate's rules or, when o is not nil, with
// Open's rules for a Store opened as o says.
func (c Config) validate(o *opening) error {
	var errs []error
	for _, s := range Settings() {
		problem := ""
		switch {
		case s.Secret && s.bind(&c).String() == redacted:
			problem = "is " + strconv.Quote(redacted) + ": this is the redacted form; enter the real secret"
		case o != nil && s.opened != nil:
			problem = s.opened(c, *o)
		case s.check != nil:
			problem = s.check(c)
		}
		if problem != "" {
			errs = append(errs, s.problem(problem))
		}
	}
	return errors.Join(errs...)
}

// checkBucket applies S3's general purpose bucket naming rules.
func checkBucket(b string) string {
	const rule = "S3 bucket names are 3 to 63 characters of a-z 0-9 . -, beginning and ending with a letter or digit"
	switch {
	case b == "":
		return "required: the name of the S3 bucket that stores recordings, or an access point's ARN or alias"
	case isAccessPointARN(b):
		return checkAccessPointARN(b)
	case len(b) < 3 || len(b) > 63:
		return fmt.Sprintf("%q has %d characters; %s", truncate(b), len(b), rule)
	case !allIn(b, "abcdefghijklmnopqrstuvwxyz0123456789.-"):
		return fmt.Sprintf("%q has a character that is not allowed (upper case, space, _?); %s", truncate(b), rule)
	case !isLowerAlnum(b[0]) || !isLowerAlnum(b[len(b)-1]):
		return fmt.Sprintf("%q must begin and end with a letter or digit", b)
	case strings.Contains(b, ".."):
		return fmt.Sprintf("%q has two adjacent periods", b)
	case net.ParseIP(b) != nil:
		return fmt.Sprintf("%q is formatted as an IP address, which S3 does not allow", b)
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(b, p) {
			return fmt.Sprintf("%q begins with the reserved prefix %q", b, p)
		}
	}
	// An access point alias ends with -s3alias, which no bucket name may.
	for _, s := range []string{"--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(b, s) {
			return fmt.Sprintf("%q ends with the reserved suffix %q", b, s)
		}
	}
	return ""
}

// checkRegion accepts AWS Region codes such as eu-west-1; with a custom
// endpoint, the store may name its region freely.
func checkRegion(r string, customEndpoint bool) string {
	if r == "" {
		return "required: the AWS Region of the bucket, such as eu-west-1"
	}
	if customEndpoint {
		return checkChars(r, 1, 64, wordChars+"-", "A-Z a-z 0-9 _ -")
	}
	if !awsname.IsRegion(r) {
		return fmt.Sprintf("%q is not an AWS Region code; use the bucket's Region, such as us-east-1 or eu-west-1", truncate(r))
	}
	return ""
}

// checkAccessKeyPair checks AccessKeyID alone: set with the secret, in
// the form its STS accepts, or empty with it.
func checkAccessKeyPair(c Config) string {
	if c.AccessKeyID == "" {
		if c.SecretAccessKey != "" {
			return "required with storageProviderSecretAccessKey: the base IAM user's access key ID (AKIA...); " +
				"or leave both empty when WithBaseCredentials gives the base identity"
		}
		return "" // keyless, if Open is given WithBaseCredentials
	}
	return checkAccessKeyID(c.AccessKeyID, c.stsIsAWS())
}

// checkSecretPair checks SecretAccessKey alone: set with the access key
// ID, in a form a secret can have, or empty with it.
func checkSecretPair(c Config) string {
	if c.SecretAccessKey == "" {
		if c.AccessKeyID != "" {
			return "required with storageProviderAccessKeyId: the secret access key paired with it; " +
				"or leave both empty when WithBaseCredentials gives the base identity"
		}
		return ""
	}
	return checkSecret(c.SecretAccessKey)
}

// openedKey is Open's rule of a base key (AccessKeyID or SecretAccessKey):
// required, unless WithBaseCredentials gives the base identity, which
// needs it empty; when set, in the form check accepts.
func openedKey(key string, o opening, required string, check func(string) string) string {
	switch {
	case o.keyless:
		return checkNoBaseKeys(key)
	case key == "":
		return required
	}
	return check(key)
}

// checkNoBaseKeys refuses a base key in a Config beside
// WithBaseCredentials: which identity would call sts:AssumeRole?
func checkNoBaseKeys(key string) string {
	if key == "" {
		return ""
	}
	return "set although WithBaseCredentials gives the base identity, so which one calls sts:AssumeRole is " +
		"ambiguous: leave storageProviderAccessKeyId and storageProviderSecretAccessKey empty to use the " +
		"process's identity, or drop WithBaseCredentials to use these keys"
}

// checkAccessKeyID applies AWS's rule (16 to 128 word characters) when the
// key goes to AWS STS. An S3-compatible store's STS has its own: MinIO
// accepts 3 characters and more (its default is minioadmin), LocalStack
// uses "test"; only what is surely a paste error is refused there.
func checkAccessKeyID(id string, awsSTS bool) string {
	switch {
	case strings.HasPrefix(id, "ASIA") && awsSTS:
		return "is a temporary key (ASIA...); use the base IAM user's long-term access key (AKIA...)"
	case !awsSTS:
		return checkStoreKeyID(id)
	}
	problem := checkChars(id, 16, 128, wordChars, "A-Z a-z 0-9 _")
	if problem != "" && checkStoreKeyID(id) == "" {
		problem += " (AWS's rule: storageProviderStsEndpoint is empty or an AWS host, so the key goes to AWS STS; " +
			"for an S3-compatible store's own STS, such as MinIO's, set storageProviderStsEndpoint to it)"
	}
	return problem
}

// checkStoreKeyID accepts 3 to 128 printable characters without white
// space: the access keys of MinIO, LocalStack, R2 (32 hex) and B2 (25).
func checkStoreKeyID(id string) string {
	const rule = "3 to 128 printable characters without white space"
	switch {
	case len(id) < 3 || len(id) > 128:
		return fmt.Sprintf("has %d characters; want %s", len(id), rule)
	case !utf8.ValidString(id) || strings.IndexFunc(id, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0:
		return "contains white space, control characters or invalid UTF-8 (a copy and paste error?); want " + rule
	}
	return ""
}

// checkSecret never quotes the secret: its problems are described, not shown.
func checkSecret(s string) string {
	switch {
	case strings.IndexFunc(s, unicode.IsSpace) >= 0:
		return "contains white space (a copy and paste error?); paste the secret access key again"
	case !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "contains control characters or invalid UTF-8; paste the secret access key again"
	}
	return ""
}

// checkRoleARN accepts arn:<partition>:iam::<12 digits>:role/<optional path/><name>.
func checkRoleARN(roleARN, region string) string {
	const form = "want arn:aws:iam::<12-digit account>:role/<name> (partition aws, aws-cn or aws-us-gov)"
	if roleARN == "" {
		return "required: the ARN of the role to assume, " + form
	}
	a, err := arn.Parse(roleARN)
	if err != nil || a.Service != "iam" || a.Region != "" {
		return fmt.Sprintf("%q is not an IAM role ARN; %s", truncate(roleARN), form)
	}
	if p := checkAccountPartition(a); p != "" {
		return p + "; " + form
	}
	pathAndName, ok := strings.CutPrefix(a.Resource, "role/")
	if !ok {
		return fmt.Sprintf("resource %q is not a role; %s", truncate(a.Resource), form)
	}
	name := pathAndName[strings.LastIndexByte(pathAndName, '/')+1:]
	if p := checkChars(name, 1, 64, roleNameChars, "A-Z a-z 0-9 _+=,.@-"); p != "" {
		return "role name " + p
	}
	if want := awsname.Partition(region); region != "" && want != a.Partition {
		return fmt.Sprintf("partition %q does not match Region %q, whose partition is %q", a.Partition, region, want)
	}
	return ""
}

// checkAccountPartition checks an IAM ARN's partition and account.
func checkAccountPartition(a arn.ARN) string {
	switch {
	case a.Partition != "aws" && a.Partition != "aws-cn" && a.Partition != "aws-us-gov":
		return fmt.Sprintf("partition %q is not aws, aws-cn or aws-us-gov", truncate(a.Partition))
	case len(a.AccountID) != 12 || !allIn(a.AccountID, "0123456789"):
		return fmt.Sprintf("account %q is not 12 digits", truncate(a.AccountID))
	}
	return ""
}

func checkSessionName(name string) string {
	return checkChars(name, 2, 64, sessionNameChars, "A-Z a-z 0-9 _+=,.@-")
}

// checkExternalID accepts empty (none is sent) or AWS's External ID form.
func checkExternalID(id string) string {
	if id == "" {
		return ""
	}
	return checkChars(id, 2, 1224, externalIDChars, "A-Z a-z 0-9 _+=,.@:/-")
}

func checkChecksum(m ChecksumMode) string {
	switch m {
	case "", ChecksumCRC32, ChecksumContentMD5:
		return ""
	}
	return fmt.Sprintf("%s is not %q (the default) or %q (for stores that reject x-amz-checksum headers)",
		quote(string(m)), ChecksumCRC32, ChecksumContentMD5)
}

func checkSessionDuration(d time.Duration) string {
	switch {
	case d == 0:
		return ""
	case d%time.Second != 0:
		return fmt.Sprintf("%v is not a whole number of seconds", d)
	case d < minSessionDuration || d > maxSessionDuration:
		return fmt.Sprintf("%d s is outside AWS's range of 900 to 43200 s (and must not exceed the role's MaxSessionDuration); leave it empty for 3600",
			d/time.Second)
	}
	return ""
}

// checkEndpoint accepts an absolute http or https URL without
// credentials, query or fragment (checkInsecure is Open's rule of http).
// It never quotes user info, which may hold a secret.
func checkEndpoint(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "is not a URL; want https://host[:port]"
	case u.User != nil:
		return "must not contain user info (user:password@); credentials come from the other keys"
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Sprintf("scheme %q is not http or https; want https://host[:port]", truncate(u.Scheme))
	case u.Host == "":
		return "has no host; want https://host[:port]"
	case u.RawQuery != "" || u.Fragment != "":
		return "must not have a query or fragment; want https://host[:port]"
	}
	return ""
}

// checkInsecure is Open's rule of an endpoint: http only for loopback
// hosts, or with AllowInsecureEndpoint.
func checkInsecure(raw string, o opening) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || o.allowInsecure || isLoopback(u.Hostname()) {
		return ""
	}
	return fmt.Sprintf("http:// to %s would send requests and recordings unencrypted; use https://, or for a "+
		"store on a trusted network open the Store with AllowInsecureEndpoint", truncate(u.Host))
}

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func checkKeyPrefix(p string) string {
	switch {
	case len(p) > maxKeyPrefixBytes:
		return fmt.Sprintf("is %d bytes; at most %d leaves room for recording keys within S3's 1024", len(p), maxKeyPrefixBytes)
	case !utf8.ValidString(p):
		return "is not valid UTF-8"
	case strings.IndexFunc(p, unicode.IsControl) >= 0:
		return "contains a control character"
	}
	return ""
}

// checkChars checks s's length and that every character is in allowed,
// whose description is allowedText.
func checkChars(s string, minLen, maxLen int, allowed, allowedText string) string {
	if s == "" {
		return fmt.Sprintf("required: %d to %d characters of %s", minLen, maxLen, allowedText)
	}
	if len(s) < minLen || len(s) > maxLen {
		return fmt.Sprintf("has %d characters; want %d to %d characters of %s", len(s), minLen, maxLen, allowedText)
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return !strings.ContainsRune(allowed, r) }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return fmt.Sprintf("has %q at byte %d; allowed: %s", r, i, allowedText)
	}
	return ""
}

func allIn(s, allowed string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return !strings.ContainsRune(allowed, r) }) < 0
}

func isLowerAlnum(b byte) bool { return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' }

// truncate shortens a setting for an error message.
func truncate(s string) string { return shorten(s, 64) }

// shorten cuts s to about limit bytes, marking the cut.
func shorten(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	return strings.ToValidUTF8(s[:limit], "") + "..."
}

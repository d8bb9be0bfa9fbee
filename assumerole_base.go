package recstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/auvious/recstore/internal/diagnose"
)

// WithBaseCredentials makes p the base identity: the credentials that call
// sts:AssumeRole on the customer's role, for every Store the option
// reaches (give it to NewPool for all tenants). It is how a service that
// runs with its own AWS identity (an EKS pod role through IRSA or Pod
// Identity, an ECS task role, an EC2 instance role; see
// DefaultBaseCredentials) needs no long-term keys: the customer's role
// trusts that principal, with an External ID.
//
// It is a choice of the process, never of a tenant's configuration: with
// it, Config.AccessKeyID and Config.SecretAccessKey must be empty, and
// Open reports a key that is set as ambiguous. Without it they are
// required, as the spec's flow has them.
func WithBaseCredentials(p aws.CredentialsProvider) Option {
	if p != nil {
		// One cache for every Store, as a Pool's share it.
		p = aws.NewCredentialsCache(baseProvider{p})
	}
	return storeOption(func(o *storeOptions) { o.baseCredentials = p })
}

// baseProvider marks the errors of the base identity's provider, so that
// a failure to get the recorder's own credentials (a container endpoint
// that refuses, no instance metadata) is diagnosed as such rather than as
// the customer's STS or S3 refusing.
type baseProvider struct{ aws.CredentialsProvider }

func (b baseProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	creds, err := b.CredentialsProvider.Retrieve(ctx)
	if err != nil {
		return creds, &diagnose.BaseIdentityError{Source: "its provider (WithBaseCredentials)", Err: err}
	}
	return creds, nil
}

// WithSourceIdentity sends id as the SourceIdentity of every sts:AssumeRole
// call, such as the recorder instance or the tenant: the customer's
// CloudTrail then shows who acted, and id stays on the session. The role's
// trust policy must allow sts:SetSourceIdentity (TrustPolicy adds it when
// given this option). AWS allows 2 to 64 characters of A-Z a-z 0-9 and
// _+=,.@-.
func WithSourceIdentity(id string) Option {
	return storeOption(func(o *storeOptions) { o.sourceIdentity = id })
}

// WithSessionTags sends tags as the session tags of every sts:AssumeRole
// call, for the customer's CloudTrail and for its policies
// (aws:PrincipalTag). The role's trust policy must allow sts:TagSession
// (TrustPolicy adds it when given this option). AWS allows 50 tags, keys
// of 1 to 128 and values of up to 256 letters, digits, spaces and
// _.:/=+-@. The map is not retained.
func WithSessionTags(tags map[string]string) Option {
	tags = maps.Clone(tags)
	return storeOption(func(o *storeOptions) { o.sessionTags = tags })
}

// DefaultBaseCredentials returns the process's own AWS identity, found as
// the AWS SDK's default chain finds it: the AWS_* environment variables,
// the shared config and credentials files (AWS_PROFILE), a web identity
// token file (AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN: EKS's IRSA),
// the container credentials endpoint (ECS task roles, EKS Pod Identity),
// and EC2 instance metadata. The provider caches its credentials and
// renews them before they expire; give it to WithBaseCredentials.
//
// It is the only place recstore reads AWS_* variables or shared config
// files: a Store opened without WithBaseCredentials ignores them. It
// fails if the chain finds no identity, or the one it finds refuses, with
// an *Error that Diagnose explains (ErrInvalidBaseCredentials, or
// ErrNetwork and ErrUnavailable for an identity endpoint that cannot
// answer).
func DefaultBaseCredentials(ctx context.Context) (aws.CredentialsProvider, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("recstore: loading the process's AWS configuration: %w", err)
	}
	if cfg.Credentials == nil {
		return nil, fmt.Errorf("recstore: the AWS SDK's default chain found no credentials provider")
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, classify("DefaultBaseCredentials", target{}, &diagnose.BaseIdentityError{Source: "the AWS SDK's default " +
			"chain (environment, shared config, web identity token file, container credentials, EC2 instance metadata)", Err: err})
	}
	return cfg.Credentials, nil
}

// checkBaseOptions checks the source identity and session tags against
// STS's rules; "" if they are valid.
func checkBaseOptions(o storeOptions) string {
	// STS's pattern has no colon, so its reserved prefix "aws:" cannot pass it either.
	if id := o.sourceIdentity; id != "" && (len(id) < 2 || len(id) > 64 || !allIn(id, wordChars+"+=,.@-")) {
		return fmt.Sprintf("WithSourceIdentity(%q): AWS allows 2 to 64 characters of A-Z a-z 0-9 _+=,.@-", truncate(id))
	}
	if len(o.sessionTags) > 50 {
		return fmt.Sprintf("WithSessionTags: %d tags; AWS allows 50", len(o.sessionTags))
	}
	for _, k := range slices.Sorted(maps.Keys(o.sessionTags)) {
		v := o.sessionTags[k]
		switch {
		case k == "" || utf8.RuneCountInString(k) > 128 || !tagText(k):
			return fmt.Sprintf("WithSessionTags: key %q: AWS allows 1 to 128 letters, digits, spaces and _.:/=+-@", truncate(k))
		case utf8.RuneCountInString(v) > 256 || !tagText(v):
			return fmt.Sprintf("WithSessionTags: the value of %q: AWS allows up to 256 letters, digits, spaces and _.:/=+-@", truncate(k))
		}
	}
	return ""
}

// tagText reports whether s has only the characters of STS's tag pattern
// [\p{L}\p{Z}\p{N}_.:/=+\-@].
func tagText(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.In(r, unicode.Z) && !unicode.IsNumber(r) && !strings.ContainsRune("_.:/=+-@", r)
	}) < 0
}

// stsTags is o's session tags for the AssumeRole call, in key order.
func (o storeOptions) stsTags() []types.Tag {
	var tags []types.Tag
	for _, k := range slices.Sorted(maps.Keys(o.sessionTags)) {
		tags = append(tags, types.Tag{Key: aws.String(k), Value: aws.String(o.sessionTags[k])})
	}
	return tags
}

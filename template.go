package recstore

import (
	"fmt"
	"strings"
	"time"
)

// A TemplateOption configures the templates of the customer's side
// (CloudFormationRole, TerraformRole, CloudFormationQuickCreateLink):
// every PolicyOption, for what the role is granted; WithStoreOptions, the
// Store options the recorder runs with, from which the trust policy takes
// sts:TagSession and sts:SetSourceIdentity as TrustPolicy does; and
// WithNewBucket.
type TemplateOption interface{ applyTemplate(*templateOptions) }

type templateOptions struct {
	policy policyOptions
	grants []PolicyOption
	store  []Option
	bucket *NewBucket
}

// A NewBucket is the recordings bucket a template creates beside the role
// (WithNewBucket), made as AWS advises for data nobody else may read:
// Block Public Access on, ACLs off (BucketOwnerEnforced), default
// encryption (SSE-KMS with the key of GrantKMSKey, SSE-S3 without one),
// versioning on, a lifecycle rule that aborts incomplete multipart
// uploads, and the bucket policy of BucketPolicy, which refuses requests
// without TLS. Deleting the stack (or `terraform destroy`) keeps the
// bucket: losing the recordings with the role would be worse than an
// orphaned bucket.
type NewBucket struct {
	// RetentionMode and RetentionDays, when set, turn on Object Lock with
	// this default retention for each new object version. Object Lock
	// cannot be turned off once a bucket has it.
	RetentionMode RetentionMode
	RetentionDays int

	// AbortIncompleteUploadsDays is how many days after it starts the
	// lifecycle rule aborts a multipart upload nobody completed; zero
	// means 7. A recorder that dies mid-upload leaves one behind, billed
	// until removed.
	AbortIncompleteUploadsDays int
}

// WithNewBucket makes a template create the recordings bucket too, named
// by its bucket parameter. The bucket is versioned, so the role is also
// granted what GrantObjectLock grants.
func WithNewBucket(b NewBucket) TemplateOption {
	return templateOption(func(o *templateOptions) { o.bucket = &b })
}

// templateOption is a TemplateOption that sets one field.
type templateOption func(*templateOptions)

func (f templateOption) applyTemplate(o *templateOptions) { f(o) }

func (f policyOption) applyTemplate(o *templateOptions) {
	f(&o.policy)
	o.grants = append(o.grants, f)
}

func (l storeOptionList) applyTemplate(o *templateOptions) { o.store = append(o.store, l...) }

const defaultAbortIncompleteUploadsDays = 7

// check refuses a NewBucket that AWS would refuse, naming the field.
func (b *NewBucket) check() error {
	fail := func(field, format string, args ...any) error {
		return fmt.Errorf("%w: NewBucket.%s: %s", ErrInvalidArgument, field, fmt.Sprintf(format, args...))
	}
	switch {
	case b.RetentionMode != "" && b.RetentionMode != RetentionGovernance && b.RetentionMode != RetentionCompliance:
		return fail("RetentionMode", "%q is not %q or %q", b.RetentionMode, RetentionGovernance, RetentionCompliance)
	case b.RetentionMode != "" && (b.RetentionDays < 1 || b.RetentionDays > 36500):
		return fail("RetentionDays", "%d: a default retention is 1 to 36500 days", b.RetentionDays)
	case b.RetentionMode == "" && b.RetentionDays != 0:
		return fail("RetentionMode", "empty, but RetentionDays is %d; set the mode (GOVERNANCE or COMPLIANCE) or clear the days", b.RetentionDays)
	case b.AbortIncompleteUploadsDays < 0:
		return fail("AbortIncompleteUploadsDays", "%d is negative; zero means %d days", b.AbortIncompleteUploadsDays, defaultAbortIncompleteUploadsDays)
	}
	return nil
}

func (b *NewBucket) abortDays() int {
	if b.AbortIncompleteUploadsDays == 0 {
		return defaultAbortIncompleteUploadsDays
	}
	return b.AbortIncompleteUploadsDays
}

// A roleTemplate is what every template format renders: the policy
// builder's documents with stand-ins where the template's parameters go.
type roleTemplate struct {
	params       []templateParam
	trust        Policy
	role         [2]Policy // on the whole bucket, and under KeyPrefix
	bucketPolicy Policy
	maxSession   int
	kms          bool
	bucket       *NewBucket
}

// A templateParam is what the customer may change in a template.
type templateParam struct {
	cfn, tf     string // its names in CloudFormation and in Terraform
	stand       string // its stand-in in the builder's documents
	value       string // its default, from the Config
	pattern     string // the characters it takes, when AWS has a rule
	minLen      int    // its length, when AWS has a rule
	maxLen      int
	rule        string // the rule in words, for the message of a value that breaks it
	description string
}

// Stand-ins for the template's parameters in the documents the policy
// builder makes: each format replaces them with its references.
const (
	tmplBucket     = "recstore-template-bucket-name"
	tmplPrefix     = "recstore-template-key-prefix/"
	tmplExternalID = "recstore-template-external-id"
	tmplKMSKey     = "arn:aws:kms:us-east-1:000000000000:key/recstore-template-key"
)

// newRoleTemplate builds the documents of cfg's role for principalARN,
// checking everything before a template is written.
func newRoleTemplate(cfg Config, principalARN string, opts []TemplateOption) (*roleTemplate, error) {
	var o templateOptions
	for _, opt := range opts {
		opt.applyTemplate(&o)
	}
	if err := checkKMSKeyARN(o.policy.kmsKeyARN); err != nil {
		return nil, err
	}
	if p := checkBucket(cfg.Bucket); p != "" {
		return nil, setting("Bucket").problem(p)
	}
	if isAccessPoint(cfg.Bucket) {
		return nil, setting("Bucket").problem("is an access point; the templates make a role for a bucket: for an access point, " +
			"print the role's, the access point's and the bucket's policies with recstore policy")
	}
	t := &roleTemplate{params: templateParams(cfg, o.policy.kmsKeyARN), maxSession: maxSessionSeconds(cfg.SessionDuration),
		kms: o.policy.kmsKeyARN != "", bucket: o.bucket}
	var err error
	if t.trust, err = TrustPolicy(Config{RoleARN: cfg.RoleARN, ExternalID: placeholderOf(cfg.ExternalID, tmplExternalID)},
		principalARN, o.store...); err != nil {
		return nil, err
	}
	grants := o.grants[:len(o.grants):len(o.grants)]
	if t.kms {
		grants = append(grants, GrantKMSKey(tmplKMSKey))
	}
	if o.bucket != nil {
		if err := o.bucket.check(); err != nil {
			return nil, err
		}
		grants = append(grants, GrantObjectLock())
		if t.bucketPolicy, err = BucketPolicy(Config{Bucket: tmplBucket, RoleARN: cfg.RoleARN, Region: cfg.Region}); err != nil {
			return nil, err
		}
	}
	for i, prefix := range []string{"", tmplPrefix} {
		c := Config{Bucket: tmplBucket, KeyPrefix: prefix, RoleARN: cfg.RoleARN, Region: cfg.Region}
		if t.role[i], err = RolePolicy(c, grants...); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// templateParams are a template's parameters, with cfg's values as
// defaults.
func templateParams(cfg Config, kmsKeyARN string) []templateParam {
	var params []templateParam
	if cfg.ExternalID != "" {
		params = append(params, templateParam{cfn: "ExternalId", tf: "external_id", stand: tmplExternalID, value: cfg.ExternalID,
			pattern: `[\w+=,.@:/-]*`, minLen: 2, maxLen: 1224, rule: "2 to 1224 letters, digits and _+=,.@:/-",
			description: "storageProviderExternalId: the External ID the recorder sends; the role trusts no call without it"})
	}
	params = append(params,
		templateParam{cfn: "BucketName", tf: "bucket_name", stand: tmplBucket, value: cfg.Bucket,
			pattern: "[a-z0-9][a-z0-9.-]*[a-z0-9]", minLen: 3, maxLen: 63,
			rule: "3 to 63 characters of a-z 0-9 . -, beginning and ending with a letter or digit", description: "storageProviderBucketName: the bucket that keeps the recordings"},
		templateParam{cfn: "KeyPrefix", tf: "key_prefix", stand: tmplPrefix, value: cfg.KeyPrefix,
			description: "storageProviderKeyPrefix: the role may only touch keys under it (empty: the whole bucket)"})
	if kmsKeyARN != "" {
		params = append(params, templateParam{cfn: "KmsKeyArn", tf: "kms_key_arn", stand: tmplKMSKey, value: kmsKeyARN,
			description: "The ARN of the KMS key that encrypts the bucket (SSE-KMS)"})
	}
	return params
}

// placeholderOf is the stand-in for a parameter the Config sets, or "".
func placeholderOf(value, stand string) string {
	if value == "" {
		return ""
	}
	return stand
}

// maxSessionSeconds is the role's MaxSessionDuration: at least 1 hour
// (AWS's default and minimum), and the configured session at most 12.
func maxSessionSeconds(d time.Duration) int {
	return int(min(max(d, time.Hour), 12*time.Hour) / time.Second)
}

// A templatePiece is a literal run of a string from a document, a
// parameter, or the ARN partition of the account the template runs in.
type templatePiece struct {
	literal   string
	param     *templateParam
	partition bool
}

// pieces splits s at the stand-ins of t's parameters. An ARN holding one
// takes the partition of the template's account, so that the same
// template serves aws, aws-cn and aws-us-gov. whole is the parameter when
// s is exactly its stand-in.
func (t *roleTemplate) pieces(s string) (pieces []templatePiece, whole *templateParam) {
	for i := range t.params {
		if s == t.params[i].stand {
			return nil, &t.params[i]
		}
	}
	if rest, ok := strings.CutPrefix(s, "arn:"); ok && t.holdsStandIn(s) {
		_, after, _ := strings.Cut(rest, ":")
		pieces = append(pieces, templatePiece{literal: "arn:"}, templatePiece{partition: true})
		s = ":" + after
	}
	for s != "" {
		next, at := -1, len(s)
		for i, p := range t.params {
			if j := strings.Index(s, p.stand); j >= 0 && j < at {
				next, at = i, j
			}
		}
		if at > 0 {
			pieces = append(pieces, templatePiece{literal: s[:at]})
		}
		if next < 0 {
			break
		}
		pieces = append(pieces, templatePiece{param: &t.params[next]})
		s = s[at+len(t.params[next].stand):]
	}
	return pieces, nil
}

func (t *roleTemplate) holdsStandIn(s string) bool {
	for _, p := range t.params {
		if strings.Contains(s, p.stand) {
			return true
		}
	}
	return false
}

// bucketSSE is the default encryption of a new bucket: SSE-KMS with the
// granted key, or SSE-S3.
func (t *roleTemplate) bucketSSE() EncryptionMode {
	if t.kms {
		return EncryptionKMS
	}
	return EncryptionAES256
}

const (
	templateDescription = "The role a call recorder assumes to keep recordings in this account's bucket (made by recstore)"
	roleOutputDoc       = "storageProviderRoleArn: the role's ARN, for the recorder's storage settings"
)

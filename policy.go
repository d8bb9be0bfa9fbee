package recstore

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/auvious/recstore/internal/awsname"
)

// A Policy is an IAM policy document, as AWS reads it. The functions that
// build one (BaseUserPolicy, TrustPolicy, RolePolicy) fill in the spec's
// documents from a Config; String renders it for pasting into the console.
type Policy struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`

	warnings []string
}

// Warnings are what an admin should know before applying the policy, such
// as a trust policy that trusts a whole account. They are not part of the
// document.
func (p Policy) Warnings() []string { return p.warnings }

// A Statement is one statement of a Policy.
type Statement struct {
	Sid       string                           `json:"Sid"`
	Effect    string                           `json:"Effect"`
	Principal map[string]string                `json:"Principal,omitempty"`
	Action    StringList                       `json:"Action"`
	Resource  StringList                       `json:"Resource,omitempty"` // empty in a trust policy
	Condition map[string]map[string]StringList `json:"Condition,omitempty"`
}

// StringList is a list of actions, resources or condition values. One element is
// written as a plain string, as in AWS's own examples.
type StringList []string

// MarshalJSON writes one element as a string and several as a list.
func (l StringList) MarshalJSON() ([]byte, error) {
	if len(l) == 1 {
		return json.Marshal(l[0])
	}
	return json.Marshal([]string(l))
}

// UnmarshalJSON reads a string or a list of strings.
func (l *StringList) UnmarshalJSON(data []byte) error {
	var one string
	if err := json.Unmarshal(data, &one); err == nil {
		*l = StringList{one}
		return nil
	}
	return json.Unmarshal(data, (*[]string)(l))
}

// String renders p as indented JSON.
func (p Policy) String() string {
	out, _ := json.MarshalIndent(p, "", "  ")
	return string(out)
}

const policyVersion = "2012-10-17"

// BaseUserPolicy is the base identity's own policy: sts:AssumeRole on
// cfg.RoleARN and nothing else, with an sts:ExternalId condition when
// cfg.ExternalID is set. It is the spec's base IAM user's policy, and with
// WithBaseCredentials the policy the recorder's own role needs. Given
// WithSessionTags or WithSourceIdentity it also allows sts:TagSession or
// sts:SetSourceIdentity, which AWS requires of the caller's own policy
// too when the role is in another account.
func BaseUserPolicy(cfg Config, opts ...Option) (Policy, error) {
	if p := checkRoleARN(cfg.RoleARN, ""); p != "" {
		return Policy{}, setting("RoleARN").problem(p)
	}
	actions, err := assumeRoleActions(opts)
	if err != nil {
		return Policy{}, err
	}
	return Policy{Version: policyVersion, Statement: []Statement{{
		Sid: "AllowAssumeRecorderRole", Effect: "Allow", Action: actions,
		Resource: StringList{cfg.RoleARN}, Condition: externalIDCondition(cfg),
	}}}, nil
}

// assumeRoleActions are the actions an AssumeRole call of Stores with opts
// needs: sts:AssumeRole, and sts:TagSession and sts:SetSourceIdentity when
// it sends session tags or a source identity.
func assumeRoleActions(opts []Option) (StringList, error) {
	o, err := newStoreOptions(opts)
	if err != nil {
		return nil, err
	}
	actions := StringList{"sts:AssumeRole"}
	if len(o.sessionTags) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if o.sourceIdentity != "" {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	return actions, nil
}

// KMSKeyPolicy is the statement the KMS key of SSE-KMS needs in its key
// policy for the role, to add to the key policy's statements: the key
// policy must allow the role when it does not delegate to IAM (no
// statement for the account's root) or when the key is in another account
// than the role. kms:ViaService limits the grant to S3 in cfg.Region.
func KMSKeyPolicy(cfg Config) (Policy, error) {
	if p := checkRoleARN(cfg.RoleARN, ""); p != "" {
		return Policy{}, setting("RoleARN").problem(p)
	}
	if p := checkRegion(cfg.Region, cfg.Endpoint != ""); p != "" {
		return Policy{}, setting("Region").problem(p)
	}
	suffix := ".amazonaws.com"
	if awsname.Partition(cfg.Region) == "aws-cn" {
		suffix += ".cn"
	}
	return Policy{Version: policyVersion, Statement: []Statement{{
		Sid: "AllowRecorderRoleViaS3", Effect: "Allow", Principal: map[string]string{"AWS": cfg.RoleARN},
		Action: StringList{"kms:GenerateDataKey", "kms:Decrypt"}, Resource: StringList{"*"},
		Condition: map[string]map[string]StringList{"StringEquals": {"kms:ViaService": {"s3." + cfg.Region + suffix}}},
	}}}, nil
}

// TrustPolicy is the role's trust policy: it lets principalARN, the base
// identity, assume the role, with an sts:ExternalId condition when
// cfg.ExternalID is set. The base identity is the spec's base IAM user
// (arn:aws:iam::111122223333:user/recorder-base) or, with
// WithBaseCredentials, the recorder's own role (arn:aws:iam::...:role/...;
// a role session's ARN, arn:aws:sts::...:assumed-role/<role>/<session>,
// names its role). An account's root ARN (arn:aws:iam::...:root) is
// accepted with a warning (Policy.Warnings): it trusts every principal of
// that account that its own policies allow. Given WithSessionTags or
// WithSourceIdentity, the options the Stores use, the statement also
// allows sts:TagSession or sts:SetSourceIdentity, which AWS then requires.
func TrustPolicy(cfg Config, principalARN string, opts ...Option) (Policy, error) {
	principal, sid, warning, err := checkPrincipalARN(principalARN)
	if err != nil {
		return Policy{}, err
	}
	actions, err := assumeRoleActions(opts)
	if err != nil {
		return Policy{}, err
	}
	p := Policy{Version: policyVersion, Statement: []Statement{{
		Sid: sid, Effect: "Allow", Principal: map[string]string{"AWS": principal},
		Action: actions, Condition: externalIDCondition(cfg),
	}}}
	if warning != "" {
		p.warnings = []string{warning}
	}
	return p, nil
}

// A PolicyOption grants the role more than the spec's minimum, in
// RolePolicy and the templates: GrantKMSKey, GrantMultipartCleanup,
// GrantEncryptionCheck and GrantObjectLock.
type PolicyOption interface {
	applyPolicy(*policyOptions)
	TemplateOption
}

// policyOption is a PolicyOption that sets one field.
type policyOption func(*policyOptions)

func (f policyOption) applyPolicy(o *policyOptions) { f(o) }

type policyOptions struct {
	kmsKeyARN        string
	multipartCleanup bool
	encryptionCheck  bool
	objectLock       bool
}

// GrantKMSKey grants kms:GenerateDataKey and kms:Decrypt on the KMS key
// that encrypts the bucket (SSE-KMS), given by its ARN.
func GrantKMSKey(arn string) PolicyOption {
	return policyOption(func(o *policyOptions) { o.kmsKeyARN = arn })
}

// GrantMultipartCleanup grants s3:ListBucketMultipartUploads on the bucket,
// beyond the spec's minimum, so that recstore can find and abort a stray
// multipart upload: one left when a CreateMultipartUpload reply is lost, or
// by a Spool's delivery that a crash cut short, which the next OpenSpool
// resumes. It also grants s3:ListMultipartUploadParts on the objects, so
// that a Spool resuming an upload checks which parts S3 holds (without it,
// the Spool trusts its journal, and CompleteMultipartUpload checks the
// parts). The other safety net, which also covers a recorder that dies
// mid-upload without a Spool, is a bucket lifecycle rule that aborts
// incomplete multipart uploads.
func GrantMultipartCleanup() PolicyOption {
	return policyOption(func(o *policyOptions) { o.multipartCleanup = true })
}

// GrantEncryptionCheck grants s3:GetEncryptionConfiguration on the bucket,
// beyond the spec's minimum, so that Verify can read the bucket's default
// encryption and compare it with Config.ServerSideEncryption; without it,
// Verify's encryption check warns.
func GrantEncryptionCheck() PolicyOption {
	return policyOption(func(o *policyOptions) { o.encryptionCheck = true })
}

// GrantObjectLock grants, beyond the spec's minimum, what a versioned or
// Object Lock bucket asks for: s3:GetBucketVersioning and
// s3:GetBucketObjectLockConfiguration (Verify reports them),
// s3:ListBucketVersions and s3:DeleteObjectVersion (Delete WithAllVersions,
// and Verify's clean-up of its probes' versions), s3:PutObjectRetention and
// s3:PutObjectLegalHold (WithRetention, WithLegalHold, SetRetention,
// SetLegalHold, and the short retention of Verify's probes), and
// s3:GetObjectRetention and s3:GetObjectLegalHold (Stat reports them).
func GrantObjectLock() PolicyOption {
	return policyOption(func(o *policyOptions) { o.objectLock = true })
}

// RolePolicy is the role's least-privilege S3 policy on cfg.Bucket:
// s3:GetBucketLocation and s3:ListBucket on the bucket, and s3:GetObject,
// s3:PutObject, s3:DeleteObject and s3:AbortMultipartUpload on its objects.
// With cfg.KeyPrefix set, the object actions are limited to keys under it
// and s3:ListBucket to listings of it (an s3:prefix condition). With an
// access point's ARN as cfg.Bucket, the statements are on the access
// point (arn:...:accesspoint/<name>) and its objects
// (arn:...:accesspoint/<name>/object/<prefix>*); the access point's own
// policy (AccessPointPolicy) and the bucket's (AccessPointDelegation)
// must allow the same. An access point alias is refused: IAM policies
// cannot name one.
func RolePolicy(cfg Config, opts ...PolicyOption) (Policy, error) {
	var o policyOptions
	for _, opt := range opts {
		opt.applyPolicy(&o)
	}
	if err := checkPolicyBucket(cfg); err != nil {
		return Policy{}, err
	}
	if err := checkKMSKeyARN(o.kmsKeyARN); err != nil {
		return Policy{}, err
	}
	bucket := StringList{cfg.bucketARN()}
	statements := []Statement{
		{Sid: "BucketLevel", Effect: "Allow", Action: StringList{"s3:GetBucketLocation", "s3:ListBucket"}, Resource: bucket},
		{Sid: "ObjectLevel", Effect: "Allow", Resource: StringList{cfg.objectsARN() + cfg.KeyPrefix + "*"},
			Action: StringList{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"}},
	}
	if cfg.KeyPrefix != "" {
		// GetBucketLocation carries no s3:prefix, so it keeps a statement of its own.
		statements = []Statement{
			{Sid: "BucketLocation", Effect: "Allow", Action: StringList{"s3:GetBucketLocation"}, Resource: bucket},
			{Sid: "ListKeyPrefix", Effect: "Allow", Action: StringList{"s3:ListBucket"}, Resource: bucket,
				Condition: map[string]map[string]StringList{"StringLike": {"s3:prefix": {cfg.KeyPrefix + "*"}}}},
			statements[1],
		}
	}
	if o.multipartCleanup {
		statements[0].Action = append(statements[0].Action, "s3:ListBucketMultipartUploads")
		objects := &statements[len(statements)-1]
		objects.Action = append(objects.Action, "s3:ListMultipartUploadParts")
	}
	if o.encryptionCheck {
		statements[0].Action = append(statements[0].Action, "s3:GetEncryptionConfiguration")
	}
	if o.objectLock {
		statements[0].Action = append(statements[0].Action, "s3:GetBucketVersioning", "s3:GetBucketObjectLockConfiguration")
		list := &statements[0] // ListBucketVersions takes the s3:prefix condition of ListBucket
		if cfg.KeyPrefix != "" {
			list = &statements[1]
		}
		list.Action = append(list.Action, "s3:ListBucketVersions")
		objects := &statements[len(statements)-1]
		objects.Action = append(objects.Action, "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:PutObjectLegalHold",
			"s3:GetObjectRetention", "s3:GetObjectLegalHold")
	}
	if o.kmsKeyARN != "" {
		statements = append(statements, Statement{Sid: "BucketKMSKey", Effect: "Allow",
			Action: StringList{"kms:GenerateDataKey", "kms:Decrypt"}, Resource: StringList{o.kmsKeyARN}})
	}
	return Policy{Version: policyVersion, Statement: statements}, nil
}

// BucketPolicy is the bucket policy a recordings bucket should have: it
// denies every request to the bucket and its objects that does not come
// over TLS (aws:SecureTransport false), as AWS's S3 security best
// practices advise, so that no recording nor credential crosses a network
// in clear. It grants nothing: the role's own policy does.
func BucketPolicy(cfg Config) (Policy, error) {
	if p := checkBucket(cfg.Bucket); p != "" {
		return Policy{}, setting("Bucket").problem(p)
	}
	if isAccessPoint(cfg.Bucket) {
		return Policy{}, setting("Bucket").problem("is an access point: its bucket's owner sets the bucket policy, " +
			"with AccessPointDelegation's statement (recstore policy --doc delegation --bucket-behind NAME)")
	}
	return Policy{Version: policyVersion, Statement: []Statement{{
		Sid: "DenyInsecureTransport", Effect: "Deny", Principal: map[string]string{"AWS": "*"}, Action: StringList{"s3:*"},
		Resource:  StringList{cfg.bucketARN(), cfg.bucketARN() + "/*"},
		Condition: map[string]map[string]StringList{"Bool": {"aws:SecureTransport": {"false"}}},
	}}}, nil
}

// bucketARN is the ARN a policy names for cfg's bucket or access point.
func (c Config) bucketARN() string {
	container, _ := awsname.S3Resources(c.partition(), c.Bucket)
	return container
}

// objectsARN is what the ARN of an object of cfg's bucket or access point
// begins with; the key follows.
func (c Config) objectsARN() string {
	_, objects := awsname.S3Resources(c.partition(), c.Bucket)
	return objects
}

func externalIDCondition(cfg Config) map[string]map[string]StringList {
	if cfg.ExternalID == "" {
		return nil
	}
	return map[string]map[string]StringList{"StringEquals": {"sts:ExternalId": {cfg.ExternalID}}}
}

// partition is the ARN partition of cfg's role, or else of its Region.
func (c Config) partition() string {
	if a, err := arn.Parse(c.RoleARN); err == nil && strings.HasPrefix(a.Partition, "aws") {
		return a.Partition
	}
	return awsname.Partition(c.Region)
}

// checkUserARN accepts arn:<partition>:iam::<12 digits>:user/<optional path/><name>.
// checkPrincipalARN accepts the ARN of a user, a role, a role session
// (whose role it returns) or an account's root (with a warning), and
// names the trust statement for it (the spec's TrustedBaseUser for a user).
func checkPrincipalARN(principalARN string) (principal, sid, warning string, err error) {
	a, perr := arn.Parse(principalARN)
	valid := perr == nil && checkAccountPartition(a) == ""
	switch {
	case valid && a.Service == "iam" && strings.HasPrefix(a.Resource, "user/"):
		return principalARN, "TrustedBaseUser", "", nil
	case valid && a.Service == "iam" && strings.HasPrefix(a.Resource, "role/"):
		return principalARN, "TrustedBaseRole", "", nil
	case valid && a.Service == "iam" && a.Resource == "root":
		return principalARN, "TrustedBaseAccount", fmt.Sprintf("the trust policy names account %s's root: it trusts every user and role "+
			"of that account whose own policy allows sts:AssumeRole on this role; name the base identity itself "+
			"(its user or role ARN) instead", a.AccountID), nil
	case valid && a.Service == "sts" && strings.HasPrefix(a.Resource, "assumed-role/"):
		role := awsname.TrustPrincipal(principalARN)
		return role, "TrustedBaseRole", fmt.Sprintf("%s is a role session: the trust policy names its role, %s (if that role has a "+
			"path, add it to the ARN)", principalARN, role), nil
	}
	return "", "", "", fmt.Errorf("%w: base identity ARN %q: want a user (arn:aws:iam::<12-digit account>:user/<name>), "+
		"a role (arn:aws:iam::<account>:role/<name>) or an account root (arn:aws:iam::<account>:root)",
		ErrInvalidArgument, truncate(principalARN))
}

// checkKMSKeyARN accepts empty, or arn:<partition>:kms:<region>:<account>:key/<id> or alias/<name>.
func checkKMSKeyARN(keyARN string) error {
	if keyARN == "" {
		return nil
	}
	a, err := arn.Parse(keyARN)
	if err != nil || a.Service != "kms" || a.Region == "" ||
		!(strings.HasPrefix(a.Resource, "key/") || strings.HasPrefix(a.Resource, "alias/")) {
		return fmt.Errorf("%w: KMS key ARN %q: want arn:aws:kms:<region>:<account>:key/<key id>", ErrInvalidArgument, truncate(keyARN))
	}
	return nil
}

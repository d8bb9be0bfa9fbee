package recstore

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/auvious/recstore/internal/awsname"
)

// CloudFormationRole is an AWS CloudFormation template (JSON) that creates
// the customer's role in one step: the trust policy of TrustPolicy for
// principalARN, the role policy of RolePolicy with the PolicyOptions in
// opts, and a MaxSessionDuration that covers cfg.SessionDuration. It is
// built from those same documents, so that it can never grant other
// actions than the policies Verify proves. Its parameters carry what the
// customer may change, with cfg's values as defaults: ExternalId (when cfg
// has one), BucketName, KeyPrefix and, with GrantKMSKey, KmsKeyArn. Its
// output StorageProviderRoleArn is the value of storageProviderRoleArn.
// With WithNewBucket it also creates the bucket, and outputs
// StorageProviderBucketName and StorageProviderRegion.
func CloudFormationRole(cfg Config, principalARN string, opts ...TemplateOption) (string, error) {
	t, err := newRoleTemplate(cfg, principalARN, opts)
	if err != nil {
		return "", err
	}
	out := cfnTemplate{
		Version:     "2010-09-09",
		Description: templateDescription + ".",
		Parameters:  map[string]cfnParam{},
		Conditions: map[string]any{"HasKeyPrefix": map[string]any{"Fn::Not": []any{
			map[string]any{"Fn::Equals": []any{map[string]string{"Ref": "KeyPrefix"}, ""}}}}},
		Resources: map[string]cfnResource{"RecorderRole": {Type: "AWS::IAM::Role", Properties: map[string]any{
			"Description":              map[string]string{"Fn::Sub": "Assumed by the call recorder to store recordings in ${BucketName}"},
			"MaxSessionDuration":       t.maxSession,
			"AssumeRolePolicyDocument": t.cfn(t.trust),
			"Policies": []any{map[string]any{"PolicyName": "recordings", "PolicyDocument": map[string]any{
				"Fn::If": []any{"HasKeyPrefix", t.cfn(t.role[1]), t.cfn(t.role[0])}}}},
		}}},
		Outputs: map[string]cfnOutput{"StorageProviderRoleArn": {Description: roleOutputDoc,
			Value: map[string]any{"Fn::GetAtt": []string{"RecorderRole", "Arn"}}}},
	}
	for _, p := range t.params {
		out.Parameters[p.cfn] = cfnParam{Type: "String", Default: p.value, Description: p.description, AllowedPattern: p.pattern,
			MinLength: p.minLen, MaxLength: p.maxLen, ConstraintDescription: p.rule}
	}
	if t.bucket != nil {
		t.cfnBucket(&out)
	}
	body, err := json.MarshalIndent(out, "", "  ")
	return string(body), err
}

type cfnTemplate struct {
	Version     string                 `json:"AWSTemplateFormatVersion"`
	Description string                 `json:"Description"`
	Parameters  map[string]cfnParam    `json:"Parameters"`
	Conditions  map[string]any         `json:"Conditions"`
	Resources   map[string]cfnResource `json:"Resources"`
	Outputs     map[string]cfnOutput   `json:"Outputs"`
}

type cfnParam struct {
	Type           string `json:"Type"`
	Default        string `json:"Default"`
	Description    string `json:"Description"`
	AllowedPattern string `json:"AllowedPattern,omitempty"`
	MinLength      int    `json:"MinLength,omitempty"`
	MaxLength      int    `json:"MaxLength,omitempty"`
	// ConstraintDescription is what the console says of a value that breaks the pattern or lengths.
	ConstraintDescription string `json:"ConstraintDescription,omitempty"`
}

type cfnResource struct {
	Type                string         `json:"Type"`
	DeletionPolicy      string         `json:"DeletionPolicy,omitempty"`
	UpdateReplacePolicy string         `json:"UpdateReplacePolicy,omitempty"`
	Properties          map[string]any `json:"Properties"`
}

type cfnOutput struct {
	Description string `json:"Description"`
	Value       any    `json:"Value"`
}

// cfnBucket adds the recordings bucket and its policy to out.
func (t *roleTemplate) cfnBucket(out *cfnTemplate) {
	encryption := map[string]any{"SSEAlgorithm": string(t.bucketSSE())}
	if t.kms {
		encryption["KMSMasterKeyID"] = map[string]string{"Ref": "KmsKeyArn"}
	}
	bucket := map[string]any{
		"BucketName": map[string]string{"Ref": "BucketName"},
		"PublicAccessBlockConfiguration": map[string]bool{"BlockPublicAcls": true, "BlockPublicPolicy": true,
			"IgnorePublicAcls": true, "RestrictPublicBuckets": true},
		"OwnershipControls": map[string]any{"Rules": []any{map[string]string{"ObjectOwnership": "BucketOwnerEnforced"}}},
		"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{map[string]any{
			"ServerSideEncryptionByDefault": encryption, "BucketKeyEnabled": t.kms}}},
		"VersioningConfiguration": map[string]string{"Status": "Enabled"},
		"LifecycleConfiguration": map[string]any{"Rules": []any{map[string]any{"Id": "abort-incomplete-multipart-uploads",
			"Status": "Enabled", "AbortIncompleteMultipartUpload": map[string]int{"DaysAfterInitiation": t.bucket.abortDays()}}}},
	}
	if t.bucket.RetentionMode != "" {
		bucket["ObjectLockEnabled"] = true
		bucket["ObjectLockConfiguration"] = map[string]any{"ObjectLockEnabled": "Enabled", "Rule": map[string]any{
			"DefaultRetention": map[string]any{"Mode": string(t.bucket.RetentionMode), "Days": t.bucket.RetentionDays}}}
	}
	out.Resources["RecordingsBucket"] = cfnResource{Type: "AWS::S3::Bucket", DeletionPolicy: "Retain",
		UpdateReplacePolicy: "Retain", Properties: bucket}
	out.Resources["RecordingsBucketPolicy"] = cfnResource{Type: "AWS::S3::BucketPolicy", Properties: map[string]any{
		"Bucket": map[string]string{"Ref": "RecordingsBucket"}, "PolicyDocument": t.cfn(t.bucketPolicy)}}
	out.Outputs["StorageProviderBucketName"] = cfnOutput{Description: "storageProviderBucketName: the bucket made for the recordings",
		Value: map[string]string{"Ref": "RecordingsBucket"}}
	out.Outputs["StorageProviderRegion"] = cfnOutput{Description: "storageProviderRegion: the bucket's Region",
		Value: map[string]string{"Ref": "AWS::Region"}}
}

// cfn turns a document of the policy builder into the template's: each
// string that holds a stand-in becomes an Fn::Sub of its parameters (a
// whole stand-in, a Ref), and ARNs name the stack's partition.
func (t *roleTemplate) cfn(p Policy) any {
	body, _ := json.Marshal(p)
	var doc any
	json.Unmarshal(body, &doc)
	return mapStrings(doc, t.cfnString)
}

func (t *roleTemplate) cfnString(s string) any {
	pieces, whole := t.pieces(s)
	if whole != nil {
		return map[string]string{"Ref": whole.cfn}
	}
	if len(pieces) == 1 && pieces[0].param == nil && !pieces[0].partition {
		return s
	}
	var sub strings.Builder
	for _, p := range pieces {
		switch {
		case p.partition:
			sub.WriteString("${AWS::Partition}")
		case p.param != nil:
			sub.WriteString("${" + p.param.cfn + "}")
		default:
			sub.WriteString(strings.ReplaceAll(p.literal, "${", "${!")) // Fn::Sub's escape for a literal ${
		}
	}
	return map[string]string{"Fn::Sub": sub.String()}
}

// mapStrings replaces each string in a decoded JSON document by f's value.
func mapStrings(v any, f func(string) any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, inner := range v {
			v[k] = mapStrings(inner, f)
		}
		return v
	case []any:
		for i, inner := range v {
			v[i] = mapStrings(inner, f)
		}
		return v
	case string:
		return f(v)
	}
	return v
}

// CloudFormationQuickCreateLink is the CloudFormation console's
// quick-create link for the template of CloudFormationRole stored at
// templateURL (an https URL the console can read, as a file in S3): it
// opens the console's Create stack page in cfg.Region with the stack name
// and the template's parameters filled in from cfg and opts, for the
// customer's admin to review and create. AWS documents the link in
// "Creating quick-create links for stacks" (CloudFormation User Guide).
func CloudFormationQuickCreateLink(cfg Config, templateURL, stackName string, opts ...TemplateOption) (string, error) {
	var o templateOptions
	for _, opt := range opts {
		opt.applyTemplate(&o)
	}
	if p := checkRegion(cfg.Region, false); p != "" {
		return "", setting("Region").problem(p)
	}
	if u, err := url.Parse(templateURL); err != nil || u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("%w: template URL %q: want the https URL of the uploaded template, such as "+
			"https://<bucket>.s3.<region>.amazonaws.com/recorder-role.json", ErrInvalidArgument, truncate(templateURL))
	}
	if !stackNamePattern.MatchString(stackName) {
		return "", fmt.Errorf("%w: stack name %q: a letter, then letters, digits and hyphens, at most 128 in all",
			ErrInvalidArgument, truncate(stackName))
	}
	query := url.Values{"templateURL": {templateURL}, "stackName": {stackName}}
	for _, p := range templateParams(cfg, o.policy.kmsKeyARN) {
		if p.value != "" {
			query.Set("param_"+p.cfn, p.value)
		}
	}
	return fmt.Sprintf("%s/cloudformation/home?region=%s#/stacks/create/review?%s",
		consoleHost(awsname.Partition(cfg.Region)), url.QueryEscape(cfg.Region), query.Encode()), nil
}

// stackNamePattern is CloudFormation's rule for a stack name.
var stackNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,127}$`)

// consoleHost is the AWS console of a partition.
func consoleHost(partition string) string {
	switch partition {
	case "aws-cn":
		return "https://console.amazonaws.cn"
	case "aws-us-gov":
		return "https://console.amazonaws-us-gov.com"
	}
	return "https://console.aws.amazon.com"
}

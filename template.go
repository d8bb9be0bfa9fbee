package recstore

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/auvious/recstore/internal/awsname"
)

// CloudFormationRole is an AWS CloudFormation template (JSON) that creates
// the customer's role in one step: the trust policy of TrustPolicy for
// principalARN, the role policy of RolePolicy with opts, and a
// MaxSessionDuration that covers cfg.SessionDuration. It is built from
// those same documents, so that it can never grant other actions than the
// policies Verify proves. Its parameters carry what the customer may
// change, with cfg's values as defaults: ExternalId (when cfg has one),
// BucketName, KeyPrefix and, with GrantKMSKey, KmsKeyArn. Its output
// StorageProviderRoleArn is the value of storageProviderRoleArn.
func CloudFormationRole(cfg Config, principalARN string, opts ...PolicyOption) (string, error) {
	var o policyOptions
	for _, opt := range opts {
		opt.applyPolicy(&o)
	}
	if err := checkKMSKeyARN(o.kmsKeyARN); err != nil {
		return "", err
	}
	if p := checkBucket(cfg.Bucket); p != "" {
		return "", setting("Bucket").problem(p)
	}
	trust, err := TrustPolicy(Config{RoleARN: cfg.RoleARN, ExternalID: placeholderOf(cfg.ExternalID, tmplExternalID)}, principalARN)
	if err != nil {
		return "", err
	}
	documents := map[bool]Policy{}
	for _, prefixed := range []bool{false, true} {
		c := Config{Bucket: tmplBucket, RoleARN: cfg.RoleARN, Region: cfg.Region}
		if prefixed {
			c.KeyPrefix = tmplPrefix
		}
		grants := opts
		if o.kmsKeyARN != "" {
			grants = append(grants[:len(grants):len(grants)], GrantKMSKey(tmplKMSKey))
		}
		if documents[prefixed], err = RolePolicy(c, grants...); err != nil {
			return "", err
		}
	}
	t := cfnTemplate{
		Version:     "2010-09-09",
		Description: "The role a call recorder assumes to keep recordings in this account's bucket (made by recstore).",
		Parameters:  cfnParameters(cfg, o.kmsKeyARN),
		Conditions: map[string]any{"HasKeyPrefix": map[string]any{"Fn::Not": []any{
			map[string]any{"Fn::Equals": []any{map[string]string{"Ref": "KeyPrefix"}, ""}}}}},
		Resources: map[string]cfnResource{"RecorderRole": {Type: "AWS::IAM::Role", Properties: map[string]any{
			"Description":              "Assumed by the call recorder to store recordings in " + cfg.Bucket,
			"MaxSessionDuration":       maxSessionSeconds(cfg.SessionDuration),
			"AssumeRolePolicyDocument": substitute(trust),
			"Policies": []any{map[string]any{"PolicyName": "recordings", "PolicyDocument": map[string]any{
				"Fn::If": []any{"HasKeyPrefix", substitute(documents[true]), substitute(documents[false])}}}},
		}}},
		Outputs: map[string]cfnOutput{"StorageProviderRoleArn": {
			Description: "storageProviderRoleArn: the role's ARN, for the recorder's storage settings",
			Value:       map[string]any{"Fn::GetAtt": []string{"RecorderRole", "Arn"}}}},
	}
	out, err := json.MarshalIndent(t, "", "  ")
	return string(out), err
}

// Stand-ins for the template's parameters in the documents the policy
// builder makes: substitute replaces them with references.
const (
	tmplBucket     = "recstore-template-bucket-name"
	tmplPrefix     = "recstore-template-key-prefix/"
	tmplExternalID = "recstore-template-external-id"
	tmplKMSKey     = "arn:aws:kms:us-east-1:000000000000:key/recstore-template-key"
)

// placeholderOf is the stand-in for a parameter the Config sets, or "".
func placeholderOf(value, stand string) string {
	if value == "" {
		return ""
	}
	return stand
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
}

type cfnResource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
}

type cfnOutput struct {
	Description string `json:"Description"`
	Value       any    `json:"Value"`
}

// cfnParameters are the template's parameters, with cfg's values as
// defaults.
func cfnParameters(cfg Config, kmsKeyARN string) map[string]cfnParam {
	params := map[string]cfnParam{
		"BucketName": {Type: "String", Default: cfg.Bucket, AllowedPattern: "[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
			Description: "storageProviderBucketName: the bucket that keeps the recordings"},
		"KeyPrefix": {Type: "String", Default: cfg.KeyPrefix,
			Description: "storageProviderKeyPrefix: the role may only touch keys under it (empty: the whole bucket)"},
	}
	if cfg.ExternalID != "" {
		params["ExternalId"] = cfnParam{Type: "String", Default: cfg.ExternalID, AllowedPattern: `[\w+=,.@:/-]{2,1224}`,
			Description: "storageProviderExternalId: the External ID the recorder sends; the role trusts no call without it"}
	}
	if kmsKeyARN != "" {
		params["KmsKeyArn"] = cfnParam{Type: "String", Default: kmsKeyARN,
			Description: "The ARN of the KMS key that encrypts the bucket (SSE-KMS)"}
	}
	return params
}

// maxSessionSeconds is the role's MaxSessionDuration: at least 1 hour
// (AWS's default and minimum), and the configured session at most 12.
func maxSessionSeconds(d time.Duration) int {
	return int(min(max(d, time.Hour), 12*time.Hour) / time.Second)
}

// substitute turns a document of the policy builder into the template's:
// each string that holds a stand-in becomes an Fn::Sub of its parameter
// (the KMS key a Ref), and ARNs name the stack's partition.
func substitute(p Policy) any {
	body, _ := json.Marshal(p)
	var doc any
	json.Unmarshal(body, &doc)
	return substituteValue(doc)
}

func substituteValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, inner := range v {
			v[k] = substituteValue(inner)
		}
		return v
	case []any:
		for i, inner := range v {
			v[i] = substituteValue(inner)
		}
		return v
	case string:
		return substituteString(v)
	}
	return v
}

func substituteString(s string) any {
	switch s {
	case tmplKMSKey:
		return map[string]string{"Ref": "KmsKeyArn"}
	case tmplExternalID:
		return map[string]string{"Ref": "ExternalId"}
	}
	if !strings.Contains(s, tmplBucket) && !strings.Contains(s, tmplPrefix) {
		return s
	}
	sub := strings.NewReplacer(tmplBucket, "${BucketName}", tmplPrefix, "${KeyPrefix}").Replace(s)
	if rest, ok := strings.CutPrefix(sub, "arn:"); ok {
		_, after, _ := strings.Cut(rest, ":")
		sub = fmt.Sprintf("arn:${AWS::Partition}:%s", after)
	}
	return map[string]string{"Fn::Sub": sub}
}

// CloudFormationQuickCreateLink is the CloudFormation console's
// quick-create link for the template of CloudFormationRole stored at
// templateURL (an https URL the console can read, as a file in S3): it
// opens the console's Create stack page in cfg.Region with the stack name
// and the template's parameters filled in from cfg and opts, for the
// customer's admin to review and create. AWS documents the link in
// "Creating quick-create links for stacks" (CloudFormation User Guide).
func CloudFormationQuickCreateLink(cfg Config, templateURL, stackName string, opts ...PolicyOption) (string, error) {
	var o policyOptions
	for _, opt := range opts {
		opt.applyPolicy(&o)
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
	for name, p := range cfnParameters(cfg, o.kmsKeyARN) {
		if p.Default != "" {
			query.Set("param_"+name, p.Default)
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

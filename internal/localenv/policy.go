package localenv

import (
	"encoding/json"
	"slices"
)

// RolePolicy is the spec's least-privilege S3 policy of the recorder role
// for bucket, less the actions in omit (to provoke AccessDenied).
func RolePolicy(bucket string, omit ...string) string {
	return PrefixPolicy(bucket, "", omit...)
}

// PrefixPolicy is RolePolicy with the object actions limited to keys under
// prefix and s3:ListBucket limited by an s3:prefix condition, as for a
// tenant's share of a bucket. An empty prefix means the whole bucket.
func PrefixPolicy(bucket, prefix string, omit ...string) string {
	keep := func(actions ...string) []string {
		return slices.DeleteFunc(actions, func(a string) bool { return slices.Contains(omit, a) })
	}
	type statement struct {
		Sid       string
		Effect    string
		Action    []string
		Resource  string
		Condition map[string]map[string][]string `json:",omitempty"`
	}
	var statements []statement
	if a := keep("s3:GetBucketLocation"); len(a) > 0 {
		statements = append(statements, statement{"BucketLocation", "Allow", a, "arn:aws:s3:::" + bucket, nil})
	}
	if a := keep("s3:ListBucket"); len(a) > 0 {
		var cond map[string]map[string][]string
		if prefix != "" {
			cond = map[string]map[string][]string{"StringLike": {"s3:prefix": {prefix + "*"}}}
		}
		statements = append(statements, statement{"BucketList", "Allow", a, "arn:aws:s3:::" + bucket, cond})
	}
	if a := keep("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"); len(a) > 0 {
		statements = append(statements, statement{"ObjectLevel", "Allow", a, "arn:aws:s3:::" + bucket + "/" + prefix + "*", nil})
	}
	doc, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": statements})
	return string(doc)
}

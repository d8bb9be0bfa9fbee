package localenv

import (
	"encoding/json"
	"slices"
)

// RolePolicy is the spec's least-privilege S3 policy of the recorder role
// for bucket, less the actions in omit (to provoke AccessDenied).
func RolePolicy(bucket string, omit ...string) string {
	keep := func(actions ...string) []string {
		return slices.DeleteFunc(actions, func(a string) bool { return slices.Contains(omit, a) })
	}
	type statement struct {
		Sid      string
		Effect   string
		Action   []string
		Resource string
	}
	var statements []statement
	if a := keep("s3:GetBucketLocation", "s3:ListBucket"); len(a) > 0 {
		statements = append(statements, statement{"BucketLevel", "Allow", a, "arn:aws:s3:::" + bucket})
	}
	if a := keep("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"); len(a) > 0 {
		statements = append(statements, statement{"ObjectLevel", "Allow", a, "arn:aws:s3:::" + bucket + "/*"})
	}
	doc, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": statements})
	return string(doc)
}

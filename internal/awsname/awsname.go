// Package awsname knows the forms of the names AWS gives things that both
// a Config's validation and the error classifier read: Region codes and
// their partitions, the Regions every account has, and the principal ARNs
// of IAM and STS.
package awsname

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// IsRegion reports whether r has the form of an AWS Region code, such as
// eu-west-1 or us-gov-west-1.
func IsRegion(r string) bool {
	parts := strings.Split(r, "-")
	last := parts[len(parts)-1]
	return len(parts) >= 3 && len(parts[0]) == 2 && onlyOf(last, "0123456789") && last != "" &&
		onlyOf(strings.Join(parts[:len(parts)-1], ""), "abcdefghijklmnopqrstuvwxyz")
}

// Partition returns the ARN partition of an AWS Region code: aws-cn,
// aws-us-gov, or aws.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// IsOptInRegion reports whether r is an AWS Region that accounts must
// enable before use: every Region of the aws partition launched after 20
// March 2019 (https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html).
// STS there refuses the keys of an account that has not enabled it.
func IsOptInRegion(r string) bool {
	if !IsRegion(r) || Partition(r) != "aws" {
		return false
	}
	switch r {
	case "us-east-1", "us-east-2", "us-west-1", "us-west-2",
		"ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
		"ap-southeast-1", "ap-southeast-2", "ca-central-1", "eu-central-1",
		"eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1", "sa-east-1":
		return false // enabled in every account
	}
	return true
}

// TrustPrincipal is the principal a trust policy names for the caller
// arn: a user or role as it is, and for a role session
// (arn:aws:sts::<account>:assumed-role/<role>/<session>) its role,
// arn:aws:iam::<account>:role/<role>. A role's path is not in a session's
// ARN; a role with one is named with it.
func TrustPrincipal(caller string) string {
	a, err := arn.Parse(caller)
	if err != nil || a.Service != "sts" {
		return caller
	}
	role, ok := strings.CutPrefix(a.Resource, "assumed-role/")
	if !ok {
		return caller
	}
	role, _, _ = strings.Cut(role, "/")
	return arn.ARN{Partition: a.Partition, Service: "iam", AccountID: a.AccountID, Resource: "role/" + role}.String()
}

// Account is the account of an ARN; "" if it does not parse.
func Account(s string) string {
	a, _ := arn.Parse(s)
	return a.AccountID
}

// onlyOf reports whether every character of s is in allowed.
func onlyOf(s, allowed string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return !strings.ContainsRune(allowed, r) }) < 0
}

// S3Resources are the ARNs an IAM policy names for bucket, which is a
// bucket's name (in partition) or an S3 access point's ARN (either of its
// forms; in its own partition): the bucket's or access point's own ARN, and what
// the ARNs of its objects begin with, before the key
// (arn:aws:s3:::bucket/ or arn:aws:s3:<region>:<account>:accesspoint/<name>/object/).
// For an access point's alias, which IAM policies cannot name, they are
// the form of its access point's ARN, for a person to fill in.
func S3Resources(partition, bucket string) (container, objects string) {
	if a, err := arn.Parse(bucket); err == nil {
		name := strings.TrimPrefix(strings.TrimPrefix(a.Resource, "accesspoint/"), "accesspoint:")
		a.Resource = "accesspoint/" + name
		return a.String(), a.String() + "/object/"
	}
	if strings.HasSuffix(bucket, "-s3alias") { // IAM cannot name an alias: the form of its access point's ARN
		container = "arn:" + partition + ":s3:<region>:<account>:accesspoint/<name of the access point with alias " + bucket + ">"
		return container, container + "/object/"
	}
	container = "arn:" + partition + ":s3:::" + bucket
	return container, container + "/"
}

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

// IsAccessPoint reports whether bucket, the value of
// storageProviderBucketName, names an S3 access point: by its ARN (a bucket
// setting holds no other ARN that validation accepts) or by its alias,
// whose -s3alias suffix no bucket name may have.
func IsAccessPoint(bucket string) bool {
	return strings.HasPrefix(bucket, "arn:") || strings.HasSuffix(bucket, "-s3alias")
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
	if IsAccessPoint(bucket) { // an alias, which IAM cannot name: the form of its access point's ARN
		container = "arn:" + partition + ":s3:<region>:<account>:accesspoint/<name of the access point with alias " + bucket + ">"
		return container, container + "/object/"
	}
	container = "arn:" + partition + ":s3:::" + bucket
	return container, container + "/"
}

// A HostKind says whose a host name is, for the endpoints a tenant may
// name.
type HostKind int

// The kinds of host.
const (
	OtherHost       HostKind = iota // not AWS's
	ServiceHost                     // a public name of S3 or STS, which AWS's DNS resolves to AWS
	VPCEndpointHost                 // an interface VPC endpoint's name: AWS's DNS, but a private address of someone's VPC
)

// Host tells whose host is: S3's and STS's public names in every
// partition (s3, s3-fips, s3-accesspoint and their dual-stack forms, the
// legacy s3-<region> and s3-external-1, sts and sts-fips, with a bucket or
// access point in front), interface VPC endpoint names
// (*.vpce.amazonaws.com), or another's.
func Host(host string) HostKind {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	var rest string
	for _, suffix := range []string{".amazonaws.com", ".amazonaws.com.cn", ".api.aws"} {
		if r, ok := strings.CutSuffix(host, suffix); ok && r != "" {
			rest = r
			break
		}
	}
	if rest == "" {
		return OtherHost
	}
	labels := strings.Split(rest, ".")
	if n := len(labels); n >= 4 && labels[n-1] == "vpce" && IsRegion(labels[n-2]) {
		return VPCEndpointHost // <endpoint>.<service>.<region>.vpce.amazonaws.com
	}
	for i, label := range labels {
		tail := labels[i+1:]
		switch {
		case label == "s3-external-1" || strings.HasPrefix(label, "s3-") && IsRegion(label[3:]):
			if len(tail) == 0 {
				return ServiceHost // the legacy s3-<region>.amazonaws.com
			}
		case isServiceLabel(label):
			if len(tail) > 0 && tail[0] == "dualstack" {
				tail = tail[1:]
			}
			if len(tail) == 0 && !strings.HasSuffix(host, ".api.aws") || len(tail) == 1 && IsRegion(tail[0]) {
				return ServiceHost
			}
		}
	}
	return OtherHost
}

func isServiceLabel(label string) bool {
	switch label {
	case "s3", "s3-fips", "s3-accesspoint", "s3-accesspoint-fips", "sts", "sts-fips":
		return true
	}
	return false
}

package recstore

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/auvious/recstore/internal/awsname"
)

// An S3 access point can stand for the bucket in storageProviderBucketName,
// by its ARN (arn:aws:s3:<region>:<account>:accesspoint/<name>), which the
// SDK turns into the access point's own endpoint, or by its alias
// (<name>-<metadata>-s3alias), which S3 takes anywhere a bucket name goes
// (S3 User Guide, "Access points"; the research and sources are in
// testdata/aws-errors/README.md).

// aliasSuffix ends every access point alias, and no bucket name.
const aliasSuffix = "-s3alias"

// isAccessPointARN reports whether bucket is an access point's ARN.
func isAccessPointARN(bucket string) bool { return strings.HasPrefix(bucket, "arn:") }

// isAccessPoint reports whether bucket names an access point, by ARN or
// by alias: then the checks that only a bucket can answer do not run.
func isAccessPoint(bucket string) bool { return awsname.IsAccessPoint(bucket) }

// accessPointForm is how a customer finds the value to paste.
const accessPointForm = "want arn:aws:s3:<region>:<12-digit account>:accesspoint/<name> (the access point's ARN in the S3 console), " +
	"or its alias (<name>-<metadata>-s3alias)"

// checkAccessPointARN accepts an access point's ARN, as AWS forms it: an
// aws partition, service s3, a Region, a 12-digit account and
// accesspoint/<name> (or accesspoint:<name>), the name 3 to 50 of a-z 0-9
// and -, beginning and ending with a letter or digit.
func checkAccessPointARN(b string) string {
	a, err := arn.Parse(b)
	switch {
	case err != nil:
		return fmt.Sprintf("%q is not an ARN; %s", truncate(b), accessPointForm)
	case a.Service == "s3" && a.Region == "" && a.AccountID == "" && !strings.Contains(a.Resource, "accesspoint"):
		return fmt.Sprintf("%q is a bucket's ARN; give the bucket's name, %q", truncate(b), truncate(a.Resource))
	case a.Service == "s3" && a.Region == "" && strings.HasSuffix(a.Resource, ".mrap"):
		return fmt.Sprintf("%q is a Multi-Region Access Point, which recstore does not support (its requests need SigV4A); "+
			"use one Region's access point or bucket", truncate(b))
	case a.Service != "s3":
		return fmt.Sprintf("%q is an ARN of %s, not of an S3 access point; %s", truncate(b), truncate(a.Service), accessPointForm)
	}
	if p := checkAccountPartition(a); p != "" {
		return p
	}
	name, ok := strings.CutPrefix(a.Resource, "accesspoint/")
	if !ok {
		name, ok = strings.CutPrefix(a.Resource, "accesspoint:")
	}
	switch {
	case !ok:
		return fmt.Sprintf("%q names %q, not an access point; %s", truncate(b), truncate(a.Resource), accessPointForm)
	case !awsname.IsRegion(a.Region):
		return fmt.Sprintf("%q has %q, which is not an AWS Region code", truncate(b), truncate(a.Region))
	case awsname.Partition(a.Region) != a.Partition:
		return fmt.Sprintf("%q is in partition %s, but Region %s is in %s", truncate(b), a.Partition, a.Region, awsname.Partition(a.Region))
	case len(name) < 3 || len(name) > 50 || !allIn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") ||
		!isLowerAlnum(name[0]) || !isLowerAlnum(name[len(name)-1]):
		return fmt.Sprintf("access point name %q: access point names are 3 to 50 characters of a-z 0-9 -, beginning and "+
			"ending with a letter or digit", truncate(name))
	case strings.HasSuffix(name, aliasSuffix):
		return fmt.Sprintf("access point name %q ends with %q, which AWS keeps for aliases", truncate(name), aliasSuffix)
	}
	return ""
}

// checkAccessPointUse refuses what cannot work with cfg's access point
// ARN, before any request: the SDK signs for the ARN's Region and refuses
// another client Region; it addresses <name>-<account>.<endpoint host>,
// which an IP address or S3's own bucket endpoint cannot serve.
func checkAccessPointUse(c Config) string {
	if !isAccessPointARN(c.Bucket) || checkAccessPointARN(c.Bucket) != "" {
		return ""
	}
	a, _ := arn.Parse(c.Bucket)
	if c.Region != "" && c.Region != a.Region {
		return fmt.Sprintf("is an access point in %s, but storageProviderRegion is %s; set storageProviderRegion to %s",
			a.Region, truncate(c.Region), a.Region)
	}
	if c.Endpoint == "" {
		return ""
	}
	u, err := url.Parse(c.Endpoint)
	if err != nil {
		return ""
	}
	host := u.Hostname()
	switch {
	case net.ParseIP(host) != nil:
		return fmt.Sprintf("is an access point ARN, which the SDK addresses as <name>-<account>.<endpoint host>, and "+
			"storageProviderEndpoint's host %s is an IP address; use the access point's alias, or an endpoint with a host name", host)
	case awsname.Host(host) == awsname.ServiceHost && !strings.HasPrefix(strings.ToLower(host), "s3-accesspoint"):
		return fmt.Sprintf("is an access point ARN, but storageProviderEndpoint is the AWS endpoint %s, where "+
			"<name>-<account> would be read as a bucket; leave storageProviderEndpoint empty", host)
	}
	return ""
}

// AccessPoint reports whether c.Bucket names an S3 access point, by its
// ARN or its alias, rather than a bucket.
func (c Config) AccessPoint() bool { return isAccessPoint(c.Bucket) }

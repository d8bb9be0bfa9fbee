package awsname

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestHost: S3's and STS's public names (AWS General Reference, "Amazon S3
// endpoints" and "AWS STS endpoints", with the FIPS, dual-stack and legacy
// forms), interface VPC endpoint names, and the AWS names and look-alikes
// that are neither.
func TestHost(t *testing.T) {
	for host, want := range map[string]HostKind{
		"s3.amazonaws.com":                                                 ServiceHost,
		"s3.us-east-1.amazonaws.com":                                       ServiceHost,
		"S3.US-EAST-1.AMAZONAWS.COM.":                                      ServiceHost,
		"recordings.s3.eu-west-1.amazonaws.com":                            ServiceHost,
		"s3.dualstack.eu-west-1.amazonaws.com":                             ServiceHost,
		"s3-fips.us-gov-west-1.amazonaws.com":                              ServiceHost,
		"s3.cn-north-1.amazonaws.com.cn":                                   ServiceHost,
		"s3-us-west-2.amazonaws.com":                                       ServiceHost,
		"s3-external-1.amazonaws.com":                                      ServiceHost,
		"recordings-123456789012.s3-accesspoint.us-east-1.amazonaws.com":   ServiceHost,
		"sts.amazonaws.com":                                                ServiceHost,
		"sts.eu-west-1.amazonaws.com":                                      ServiceHost,
		"sts-fips.us-east-1.amazonaws.com":                                 ServiceHost,
		"sts.us-east-1.api.aws":                                            ServiceHost,
		"bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com":        VPCEndpointHost,
		"vpce-0123456789abcdef0-abcdefgh.sts.eu-west-1.vpce.amazonaws.com": VPCEndpointHost,
		"ec2-203-0-113-25.compute-1.amazonaws.com":                         OtherHost,
		"internal-lb-123.us-east-1.elb.amazonaws.com":                      OtherHost,
		"s3.us-east-1.compute.amazonaws.com":                               OtherHost,
		"s3.not-a-region.amazonaws.com":                                    OtherHost,
		"amazonaws.com":                                                    OtherHost,
		"s3.amazonaws.com.evil.example":                                    OtherHost,
		"evil-amazonaws.com":                                               OtherHost,
		"sts.api.aws":                                                      OtherHost,
		"169.254.169.254":                                                  OtherHost,
		"localhost":                                                        OtherHost,
		"minio.internal":                                                   OtherHost,
	} {
		assert.Equal(t, want, Host(host), host)
	}
}

// TestS3Resources: a bucket, an access point's ARN in either form, and an
// alias (which IAM cannot name: the form of its access point's ARN).
func TestS3Resources(t *testing.T) {
	for _, tc := range []struct{ partition, bucket, container, objects string }{
		{"aws", "recordings", "arn:aws:s3:::recordings", "arn:aws:s3:::recordings/"},
		{"aws-cn", "recordings", "arn:aws-cn:s3:::recordings", "arn:aws-cn:s3:::recordings/"},
		{"aws", "arn:aws:s3:eu-west-1:123456789012:accesspoint:rec", "arn:aws:s3:eu-west-1:123456789012:accesspoint/rec",
			"arn:aws:s3:eu-west-1:123456789012:accesspoint/rec/object/"},
		{"aws", "rec-hrzrlukc5m36ft7okagglf3gmwluquse1b-s3alias",
			"arn:aws:s3:<region>:<account>:accesspoint/<name of the access point with alias rec-hrzrlukc5m36ft7okagglf3gmwluquse1b-s3alias>",
			"arn:aws:s3:<region>:<account>:accesspoint/<name of the access point with alias rec-hrzrlukc5m36ft7okagglf3gmwluquse1b-s3alias>/object/"},
	} {
		container, objects := S3Resources(tc.partition, tc.bucket)
		assert.Equal(t, tc.container, container, tc.bucket)
		assert.Equal(t, tc.objects, objects, tc.bucket)
		assert.Equal(t, tc.bucket != "recordings", IsAccessPoint(tc.bucket), tc.bucket)
	}
}

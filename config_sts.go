package recstore

import (
	"fmt"
	"net/url"
	"strings"
)

// Regions launched before 20 March 2019: enabled in every AWS account.
// Every later Region of the aws partition is opt-in: disabled until the
// account enables it, and STS there refuses the keys of an account that
// has not (https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html).
var defaultRegions = map[string]bool{
	"us-east-1": true, "us-east-2": true, "us-west-1": true, "us-west-2": true,
	"ap-south-1": true, "ap-northeast-1": true, "ap-northeast-2": true, "ap-northeast-3": true,
	"ap-southeast-1": true, "ap-southeast-2": true, "ca-central-1": true, "eu-central-1": true,
	"eu-west-1": true, "eu-west-2": true, "eu-west-3": true, "eu-north-1": true, "sa-east-1": true,
}

// isOptInRegion reports whether r is an AWS Region that accounts must
// enable before use.
func isOptInRegion(r string) bool {
	return isRegionCode(r) && partitionOf(r) == "aws" && !defaultRegions[r]
}

// stsSigningRegion is the Region STS requests are signed for: STSRegion if
// set, else the Region of an AWS STS endpoint's host name, else Region.
// AWS refuses a signature scoped to another Region than its endpoint's.
func (c Config) stsSigningRegion() string {
	if c.STSRegion != "" {
		return c.STSRegion
	}
	if r, ok := awsSTSRegion(hostOf(c.STSEndpoint)); ok {
		return r
	}
	return c.Region
}

// stsIsAWS reports whether the base keys are sent to AWS STS, whose rules
// they then follow, rather than to an S3-compatible store's STS.
func (c Config) stsIsAWS() bool {
	return c.STSEndpoint == "" || isAWSHost(hostOf(c.STSEndpoint))
}

// awsSTSRegion returns the Region of an AWS STS host name:
// sts.amazonaws.com (us-east-1), sts[-fips].<region>.amazonaws.com[.cn],
// and interface endpoints such as vpce-1a2b.sts.<region>.vpce.amazonaws.com.
func awsSTSRegion(host string) (string, bool) {
	if !isAWSHost(host) {
		return "", false
	}
	labels := strings.Split(strings.ToLower(host), ".")
	for i, l := range labels[:len(labels)-1] {
		if l != "sts" && l != "sts-fips" {
			continue
		}
		switch next := labels[i+1]; {
		case next == "amazonaws" && i == 0:
			return "us-east-1", true
		case isRegionCode(next):
			return next, true
		}
	}
	return "", false
}

func isAWSHost(host string) bool {
	host = strings.ToLower(host)
	return strings.HasSuffix(host, ".amazonaws.com") || strings.HasSuffix(host, ".amazonaws.com.cn")
}

func hostOf(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// checkSTSEndpoint refuses an AWS host that is not STS: the signature
// would be refused, and no Region can be taken from it.
func checkSTSEndpoint(c Config, allowInsecure bool) string {
	if p := checkEndpoint(c.STSEndpoint, allowInsecure); p != "" {
		return p
	}
	if host := hostOf(c.STSEndpoint); isAWSHost(host) {
		if _, ok := awsSTSRegion(host); !ok {
			return fmt.Sprintf("%s is an AWS host but not an STS endpoint; use https://sts.<region>.amazonaws.com, "+
				"such as https://sts.us-east-1.amazonaws.com, or leave it empty for the STS endpoint of storageProviderRegion", truncate(host))
		}
	}
	return ""
}

// checkSTSRegion refuses a signing Region that AWS STS would refuse.
func checkSTSRegion(c Config) string {
	r := c.STSRegion
	switch {
	case r == "":
		return ""
	case !c.stsIsAWS():
		return checkChars(r, 1, 64, wordChars+"-", "A-Z a-z 0-9 _ -")
	case !isRegionCode(r):
		return fmt.Sprintf("%q is not an AWS Region code, such as us-east-1", truncate(r))
	}
	if host, _ := awsSTSRegion(hostOf(c.STSEndpoint)); host != "" && host != r {
		return fmt.Sprintf("is %s, but storageProviderStsEndpoint is AWS STS in %s, which refuses requests signed "+
			"for another Region; leave storageProviderStsRegion empty", r, host)
	}
	return ""
}

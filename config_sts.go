package recstore

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/auvious/recstore/internal/awsname"
)

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

// s3IsAWS reports whether S3 requests go to AWS, not to an S3-compatible store.
func (c Config) s3IsAWS() bool { return c.Endpoint == "" || isAWSHost(hostOf(c.Endpoint)) }

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
		case awsname.IsRegion(next):
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
func checkSTSEndpoint(c Config) string {
	if p := checkEndpoint(c.STSEndpoint); p != "" {
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
	case !awsname.IsRegion(r):
		return fmt.Sprintf("%q is not an AWS Region code, such as us-east-1", truncate(r))
	}
	if host, _ := awsSTSRegion(hostOf(c.STSEndpoint)); host != "" && host != r {
		return fmt.Sprintf("is %s, but storageProviderStsEndpoint is AWS STS in %s, which refuses requests signed "+
			"for another Region; leave storageProviderStsRegion empty", r, host)
	}
	return ""
}

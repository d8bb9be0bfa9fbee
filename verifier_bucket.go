package recstore

import (
	"context"
)

// checkHeadBucket checks that the bucket exists and is reachable with the
// session, and that its Region is Config.Region (see Store.headBucket).
func (v *verification) checkHeadBucket(ctx context.Context) Check {
	// Ask for the location at the same time: S3-compatible stores send no
	// Region header, and one round trip less is worth a request that AWS
	// makes needless (its answer is then ignored, errors included).
	located := make(chan struct{})
	var location string
	var locErr error
	go func() { defer close(located); location, locErr = v.probes.bucketLocation(ctx) }()
	region, err := v.probes.headBucket(ctx)
	<-located
	if err != nil {
		return fail(err)
	}
	if region == "" {
		if region, err = location, locErr; err != nil {
			return fail(err)
		}
	}
	switch {
	case region == "" && v.cfg.Endpoint != "":
		return pass("bucket reachable; this store reports no Region, so " + v.cfg.Region + " cannot be compared")
	case region == "":
		region = "us-east-1" // AWS's empty location constraint
	case region == "EU":
		region = "eu-west-1" // AWS's legacy name
	}
	if region != v.cfg.Region {
		return fail(v.probes.regionMismatch("s3:HeadBucket", region))
	}
	return pass("bucket reachable in Region " + region)
}

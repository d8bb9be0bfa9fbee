package sandbox

import (
	"github.com/auvious/recstore/internal/sandbox/apfront"
)

// AccessPointFront starts a front that plays points, S3 access points on
// buckets of this MinIO, for the sessions of this STS endpoint. The
// caller closes it.
func (e *Env) AccessPointFront(points ...apfront.AccessPoint) (*apfront.Server, error) {
	return apfront.Start(e.MinIO.URL, e.transport, e.STS.Credentials, points...)
}

package recstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/auvious/recstore/internal/awsname"
)

// baseIdentity is who the base credentials are, as base-identity learned
// from sts:GetCallerIdentity; err when STS would not say.
type baseIdentity struct {
	arn, account string
	err          error
}

// checkBaseIdentity asks STS who the base credentials are, so that the
// report names the exact principal the role's trust policy must list, and
// notices role chaining, which caps the session at one hour. AWS answers
// GetCallerIdentity for any identity; a store's own STS may not, which
// only warns.
func (v *verification) checkBaseIdentity(ctx context.Context) Check {
	caller, account, err := v.probes.callerIdentity(ctx)
	v.base = baseIdentity{arn: caller, account: account, err: err}
	switch {
	case errors.Is(err, ErrInvalidBaseCredentials) || errors.Is(err, ErrClockSkew) || errors.Is(err, ErrRegionMismatch):
		return fail(err) // STS refused the credentials themselves: assume-role will fail alike
	case err != nil:
		return Check{Status: StatusWarn, Err: err,
			Detail: "could not ask STS who the base identity is (sts:GetCallerIdentity); some S3-compatible stores do not serve it",
			Fix:    "nothing, if assume-role passes; otherwise check the base credentials against STS"}
	}
	principal := awsname.TrustPrincipal(caller)
	switch {
	case strings.HasSuffix(caller, ":root"):
		return Check{Status: StatusFail, Err: fmt.Errorf("%w: the base credentials are account %s's root user, and AWS lets "+
			"no root user assume a role", ErrInvalidBaseCredentials, account),
			Fix: "create an IAM user with the spec's base-user policy, or run the recorder with its own role (WithBaseCredentials)"}
	case principal == caller:
		return pass(fmt.Sprintf("base identity %s: the role's trust policy must name it as Principal", caller))
	}
	detail := fmt.Sprintf("base identity %s, a session of role %s: the role's trust policy must name that role as "+
		"Principal; role chaining limits the session to one hour", caller, principal)
	if d := v.cfg.sessionDuration(); d > time.Hour {
		return Check{Status: StatusFail, Detail: detail,
			Err: fmt.Errorf("%w: storageProviderSessionDurationSeconds asks for %d, but role chaining limits the session to one hour",
				ErrDurationExceedsMax, int(d.Seconds())),
			Fix: "set storageProviderSessionDurationSeconds to 3600 or less (or leave it empty: 3600)"}
	}
	return pass(detail)
}

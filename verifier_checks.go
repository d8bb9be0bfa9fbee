package recstore

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/auvious/recstore/internal/diagnose"
)

func pass(detail string) Check { return Check{Status: StatusPass, Detail: detail} }

// fail reports err with its diagnosis.
func fail(err error) Check {
	c := Check{Status: StatusFail, Err: err}
	if _, fix, ok := Diagnose(err); ok {
		c.Fix = fix
	}
	return c
}

// checkConfig validates cfg and opens the Store the other checks share,
// watching the servers' clocks through its transport.
func (v *verification) checkConfig(ctx context.Context) Check {
	if v.configErr != nil {
		return fail(v.configErr)
	}
	if v.optsErr != nil {
		return fail(v.optsErr)
	}
	v.clock = &dateRecorder{}
	store, err := open(v.cfg, v.opts, shared{observe: v.clock.wrap, noBackoff: true})
	if err != nil {
		return fail(err)
	}
	v.store, v.probes = store, probes{store}
	return pass("all settings valid")
}

// checkExternalID warns when no External ID is set, and says so more
// strongly when the role is in another account than the base identity
// (which base-identity learned).
func (v *verification) checkExternalID(context.Context) Check {
	if v.cfg.ExternalID != "" {
		return pass(fmt.Sprintf("External ID %q: the role's trust policy must require it (sts:ExternalId)", v.cfg.ExternalID))
	}
	c := Check{Status: StatusWarn, Fix: "add an sts:ExternalId condition to the role's trust policy and set the same value in storageProviderExternalId"}
	role, _ := arn.Parse(v.cfg.RoleARN) // Validate accepted it
	switch base := v.base; {
	case base.err != nil:
		c.Detail = "no External ID set (recommended; required for cross-account roles); could not tell whether the role is cross-account"
		c.Err = base.err
	case base.account != role.AccountID:
		c.Detail = fmt.Sprintf("cross-account role without an External ID: the base identity is in account %s, the role in %s",
			base.account, role.AccountID)
	default:
		c.Detail = "no External ID set (recommended)"
	}
	return c
}

// checkAssumeRole makes the one STS call and reports the session.
func (v *verification) checkAssumeRole(ctx context.Context) Check {
	role, err := v.probes.assumeRole(ctx)
	if err != nil {
		return fail(err)
	}
	name := role.ARN
	if name == "" {
		name = "a session (this STS reports no assumed-role ARN)"
	}
	return pass(fmt.Sprintf("assumed %s; session ends %s (in %s)",
		name, role.Expires.UTC().Format(time.RFC3339), time.Until(role.Expires).Round(time.Minute)))
}

// Clock skew limits: AWS refuses signatures beyond 5 (S3) or 15 (STS)
// minutes, and presigned URLs are signed with the local clock.
const (
	skewWarn = time.Minute
	skewFail = 5 * time.Minute
)

func (v *verification) checkClock(context.Context) Check {
	skew, ok := v.clock.largest()
	if !ok {
		return Check{Status: StatusSkip, Detail: "not run: no server replied, so there is no clock to compare with"}
	}
	detail := fmt.Sprintf("local clock differs from the servers' Date by %s", skew.Round(time.Second))
	if skew < 0 {
		skew = -skew
	}
	switch {
	case skew > skewFail:
		err := fmt.Errorf("%w: %s; AWS refuses signatures beyond its limit and presigned URLs expire early or late", ErrClockSkew, detail)
		return Check{Status: StatusFail, Detail: detail, Err: err, Fix: diagnose.FixClock}
	case skew > skewWarn:
		return Check{Status: StatusWarn, Detail: detail, Fix: diagnose.FixClock}
	}
	return pass(detail)
}

// dateRecorder notes how far each server's Date header is from the local
// clock, measured at the middle of the round trip.
type dateRecorder struct {
	next http.RoundTripper // set by wrap

	mu      sync.Mutex
	skew    time.Duration // largest in magnitude
	replied bool
}

// wrap makes d watch the replies of next.
func (d *dateRecorder) wrap(next http.RoundTripper) http.RoundTripper {
	d.next = next
	return d
}

func (d *dateRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	sent := time.Now()
	resp, err := d.next.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	if date, perr := http.ParseTime(resp.Header.Get("Date")); perr == nil {
		// Date is truncated to the second: its middle is the best estimate.
		skew := date.Add(time.Second / 2).Sub(sent.Add(time.Since(sent) / 2))
		d.mu.Lock()
		if !d.replied || skew.Abs() > d.skew.Abs() {
			d.skew = skew
		}
		d.replied = true
		d.mu.Unlock()
	}
	return resp, nil
}

// largest returns the largest skew seen, and false if no server replied.
func (d *dateRecorder) largest() (time.Duration, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.skew, d.replied
}

package recstore

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
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
// with an HTTP client that notes the servers' clocks.
func (v *verification) checkConfig(ctx context.Context) Check {
	if err := v.cfg.Validate(v.opts...); err != nil {
		return fail(err)
	}
	o, err := newOptions(v.opts)
	if err != nil {
		return fail(err)
	}
	base := o.httpClient
	if base == nil {
		v.transport = newTransport(o.responseHeaderTimeout)
		base = &http.Client{Transport: v.transport, CheckRedirect: noRedirects}
	}
	v.clock = &dateRecorder{next: base.Transport}
	if v.clock.next == nil {
		v.clock.next = http.DefaultTransport
	}
	v.client = &http.Client{Transport: v.clock, CheckRedirect: base.CheckRedirect, Jar: base.Jar, Timeout: base.Timeout}
	if v.store, err = Open(ctx, v.cfg, append(v.opts, WithHTTPClient(v.client))...); err != nil {
		return fail(err)
	}
	return pass("all settings valid")
}

// checkExternalID warns when no External ID is set, and says so more
// strongly when the role is in another account than the base user.
func (v *verification) checkExternalID(ctx context.Context) Check {
	if v.cfg.ExternalID != "" {
		return pass("External ID set")
	}
	c := Check{Status: StatusWarn, Fix: "add an sts:ExternalId condition to the role's trust policy and set the same value in storageProviderExternalId"}
	roleAccount := strings.Split(v.cfg.RoleARN, ":")[4]
	out, err := v.store.session.sts.client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	switch {
	case err != nil:
		c.Detail = "no External ID set (recommended; required for cross-account roles); could not tell whether the role is cross-account"
		c.Err = classify("sts:GetCallerIdentity", v.store.session.target, err)
	case aws.ToString(out.Account) != roleAccount:
		c.Detail = fmt.Sprintf("cross-account role without an External ID: the base user is in account %s, the role in %s",
			aws.ToString(out.Account), roleAccount)
	default:
		c.Detail = "no External ID set (recommended)"
	}
	return c
}

// checkAssumeRole makes the one STS call and reports the session.
func (v *verification) checkAssumeRole(ctx context.Context) Check {
	if _, err := v.store.session.credentials(ctx); err != nil {
		return fail(err)
	}
	role, _ := v.store.AssumedRole()
	arn := role.ARN
	if arn == "" {
		arn = "a session (this STS reports no assumed-role ARN)"
	}
	return pass(fmt.Sprintf("assumed %s; session ends %s (in %s)",
		arn, role.Expires.UTC().Format(time.RFC3339), time.Until(role.Expires).Round(time.Minute)))
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
		return Check{Status: StatusFail, Detail: detail, Err: err, Fix: fixClock}
	case skew > skewWarn:
		return Check{Status: StatusWarn, Detail: detail, Fix: fixClock}
	}
	return pass(detail)
}

// dateRecorder notes how far each server's Date header is from the local
// clock, measured at the middle of the round trip.
type dateRecorder struct {
	next http.RoundTripper

	mu      sync.Mutex
	skew    time.Duration // largest in magnitude
	replied bool
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

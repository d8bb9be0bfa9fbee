package recstore

import (
	"cmp"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// AssumedRole describes the temporary session of the last successful
// sts:AssumeRole call.
type AssumedRole struct {
	ARN     string    // assumed-role ARN as STS reports it; some S3-compatible stores leave it empty
	Expires time.Time // when STS says the session ends
}

// session holds the assumed role's temporary credentials. It is safe for
// concurrent use: concurrent callers share one STS call, and the credentials
// are renewed before they expire.
type session struct {
	cache            *aws.CredentialsCache
	sts              *recordingSTS
	disableAuthRetry bool
	tel              *telemetry
	target           target // what errors are about

	renewMu sync.Mutex // serialises renewals after S3 rejects a session
}

func newSession(cfg Config, client *sts.Client, o storeOptions, sh shared, tel *telemetry) *session {
	t := target{Bucket: cfg.Bucket, Prefix: cfg.KeyPrefix, Region: cfg.Region, Role: cfg.RoleARN,
		STSRegion: cfg.stsSigningRegion(), STSIsAWS: cfg.stsIsAWS(), S3IsAWS: cfg.s3IsAWS(),
		SSE: string(cfg.ServerSideEncryption), Checksum: string(cfg.Checksum), KMSKeyID: cfg.KMSKeyID}
	rec := &recordingSTS{client: client, tel: tel, target: t, counts: cmp.Or(sh.sts, &stsCounts{})}
	if !sh.noBackoff {
		rec.backoff = &failureBackoff{now: time.Now}
	}
	duration := cfg.sessionDuration()
	sourceIdentity, tags := optional(o.sourceIdentity), o.stsTags()
	assume := stscreds.NewAssumeRoleProvider(rec, cfg.RoleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = cfg.RoleSessionName
		o.Duration = duration // always sent: stscreds would otherwise ask for 15 minutes
		if cfg.ExternalID != "" {
			o.ExternalID = aws.String(cfg.ExternalID)
		}
		o.SourceIdentity, o.Tags = sourceIdentity, tags
	})
	provider := &roleProvider{assume: assume, duration: duration}
	cache := aws.NewCredentialsCache(provider, func(o *aws.CredentialsCacheOptions) {
		o.ExpiryWindow = expiryWindow(duration)
		o.ExpiryWindowJitterFrac = 1.0 / 3
	})
	return &session{cache: cache, sts: rec, disableAuthRetry: cfg.DisableAuthRetry, tel: tel, target: t}
}

// expiryWindow is how long before its end a session of length d is renewed:
// a third of it, at most 15 minutes (5 minutes for 15-minute sessions, 15 for
// an hour or more). With the cache's jitter of a third, the renewal happens
// between two thirds of the window and the whole window before expiry, so a
// part being signed never holds credentials about to expire.
func expiryWindow(d time.Duration) time.Duration {
	return min(d/3, 15*time.Minute)
}

// roleProvider is the assume-role provider, with the window scaled to the
// lifetime STS really granted.
type roleProvider struct {
	assume   *stscreds.AssumeRoleProvider
	duration time.Duration // requested session length
}

func (p *roleProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	return p.assume.Retrieve(ctx)
}

// AdjustExpiresBy implements aws.AdjustExpiresByCredentialsCacheStrategy.
// STS may grant less than was asked (role chaining caps sessions at an hour);
// the window then shrinks in proportion, so a short session is not treated
// as expired the moment it arrives.
func (p *roleProvider) AdjustExpiresBy(c aws.Credentials, by time.Duration) (aws.Credentials, error) {
	if lifetime := time.Until(c.Expires); lifetime > 0 && lifetime < p.duration {
		by = time.Duration(float64(by) * float64(lifetime) / float64(p.duration))
	}
	c.Expires = c.Expires.Add(by)
	return c, nil
}

// recordingSTS calls sts:AssumeRole with the base keys, classifies its
// errors as sts:AssumeRole failures, remembers the last session, and backs
// off after a failure that will not fix itself (nil backoff: never).
type recordingSTS struct {
	client  *sts.Client
	tel     *telemetry
	target  target
	last    atomic.Pointer[AssumedRole]
	backoff *failureBackoff
	counts  *stsCounts
}

// stsCounts counts the sts:AssumeRole calls of one or more Stores.
type stsCounts struct {
	calls, refused atomic.Int64 // sent to STS; answered from the back-off
}

func (r *recordingSTS) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, opts ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	if r.backoff != nil {
		if err := r.backoff.refused(); err != nil {
			r.counts.refused.Add(1)
			r.tel.inst.assumeRoleRefused.Add(ctx, 1, r.tel.base...)
			return nil, err
		}
	}
	r.counts.calls.Add(1)
	ctx, span := r.tel.startAssumeRole(ctx, in)
	start := time.Now()
	out, err := r.client.AssumeRole(ctx, in, opts...)
	err = classify("sts:AssumeRole", r.target, err)
	if r.backoff != nil {
		r.backoff.record(err)
	}
	role := AssumedRole{}
	if err == nil {
		if out.AssumedRoleUser != nil {
			role.ARN = aws.ToString(out.AssumedRoleUser.Arn)
		}
		if out.Credentials != nil {
			role.Expires = aws.ToTime(out.Credentials.Expiration)
		}
		r.last.Store(&role)
	}
	r.tel.endAssumeRole(ctx, span, start, aws.ToString(in.RoleArn), role, err)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// run performs one S3 request about key, fn, and classifies its error.
// When S3 rejects the session's credentials and auth retry is on, run
// assumes the role again and calls fn once more; fn must be safe to call
// twice.
func (s *session) run(ctx context.Context, op, key string, fn func(context.Context) error) error {
	t := s.target.WithKey(key)
	used, err := s.cache.Retrieve(ctx)
	if err != nil {
		return classify(op, t, err)
	}
	err = classify(op, t, fn(ctx))
	if s.disableAuthRetry || !rejectsSession(err) {
		return err
	}
	s.tel.emit(ctx, eventSessionRejected, append(errorAttrs(err), attrRequest.String(op))...)
	if err := s.renewAfterRejection(ctx, used.AccessKeyID); err != nil {
		return classify(op, t, err)
	}
	return classify(op, t, fn(ctx))
}

// rejectsSession reports whether err says S3 refused the session's
// credentials.
func rejectsSession(err error) bool {
	if err == nil {
		return false // before errors.As, whose target would escape: no allocation per request
	}
	var e *Error
	return errors.As(err, &e) && e.Op != "sts:AssumeRole" && e.kind == ErrExpiredToken
}

// renewAfterRejection drops the rejected credentials and fetches new ones,
// unless another caller already replaced them: many requests rejected at
// once cause a single sts:AssumeRole call.
func (s *session) renewAfterRejection(ctx context.Context, rejectedKeyID string) error {
	s.renewMu.Lock()
	defer s.renewMu.Unlock()
	if current, err := s.cache.Retrieve(ctx); err == nil && current.AccessKeyID != rejectedKeyID {
		return nil
	}
	s.cache.Invalidate()
	_, err := s.cache.Retrieve(ctx)
	return err
}

// credentials returns the current temporary credentials, assuming the role
// if needed.
func (s *session) credentials(ctx context.Context) (aws.Credentials, error) {
	creds, err := s.cache.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, classify("sts:AssumeRole", s.target, err)
	}
	return creds, nil
}

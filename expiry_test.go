package recstore_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/faultproxy"
	"github.com/auvious/recstore/internal/sandbox/stsserver"
)

// TestAuthRetry: when S3 rejects the session, as AWS does (ExpiredToken,
// here from the fault proxy) or as MinIO does (InvalidTokenId, for a
// tampered token), the Store assumes the role once more and retries once;
// with DisableAuthRetry it does neither and fails with ErrExpiredToken after
// one STS call and one S3 attempt.
func TestAuthRetry(t *testing.T) {
	e := requireEnv(t)
	for _, tc := range []struct {
		name                   string
		code                   string // how S3 says no
		disable                bool
		wantSessions, wantPuts int
		wantErr                error
	}{
		{"AWS ExpiredToken, retry", "ExpiredToken", false, 2, 2, nil},
		{"AWS ExpiredToken, DisableAuthRetry", "ExpiredToken", true, 1, 1, recstore.ErrExpiredToken},
		{"MinIO InvalidTokenId, retry", "InvalidTokenId", false, 2, 2, nil},
		{"MinIO InvalidTokenId, DisableAuthRetry", "InvalidTokenId", true, 1, 1, recstore.ErrExpiredToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var puts atomic.Int32
			cfg, _ := proxied(t, e, func(r *http.Request) faultproxy.Fault {
				if s3Operation(r) == "PutObject" && puts.Add(1) == 1 && tc.code == "ExpiredToken" {
					return faultproxy.ExpiredToken()
				}
				return faultproxy.Fault{}
			})
			role := newRole(e, "auth-retry-"+strings.NewReplacer(" ", "-", ",", "").Replace(strings.ToLower(tc.name)), nil)
			if tc.code == "InvalidTokenId" {
				e.STS.CorruptNextSessions(role.ARN, 1)
			}
			cfg.RoleARN, cfg.ExternalID, cfg.DisableAuthRetry = role.ARN, role.ExternalID, tc.disable
			_, err := open(t, cfg).Upload(context.Background(), "auth-retry/x", strings.NewReader("x"))
			if tc.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.wantErr)
				var re *recstore.Error
				require.ErrorAs(t, err, &re)
				assert.Equal(t, "s3:PutObject", re.Op)
				assert.Equal(t, tc.code, re.Code)
			}
			assert.Equal(t, tc.wantSessions, len(e.STS.Sessions(role.ARN)), "sts:AssumeRole calls")
			assert.EqualValues(t, tc.wantPuts, puts.Load(), "PutObject attempts")
		})
	}
}

// TestSTSUnreachableDuringRefresh: when the session must be renewed and
// STS cannot be reached, the error names sts:AssumeRole, not the S3 call.
func TestSTSUnreachableDuringRefresh(t *testing.T) {
	e := requireEnv(t)
	role := newRole(e, "refresh-fails", func(r *stsserver.Role) { r.Lifetime = 2 * time.Second })
	var down atomic.Bool
	sts := faultproxy.New(e.STS.URL(), func(*http.Request) faultproxy.Fault {
		if down.Load() {
			return faultproxy.Fault{Kind: faultproxy.ResetRequest}
		}
		return faultproxy.Fault{}
	})
	t.Cleanup(sts.Close)
	cfg := e.Config(role)
	cfg.STSEndpoint = sts.URL()
	s := open(t, cfg)
	_, err := s.Upload(context.Background(), "refresh/first", strings.NewReader("x"))
	require.NoError(t, err)

	down.Store(true)
	time.Sleep(2 * time.Second) // the session ends
	_, err = s.Upload(context.Background(), "refresh/second", strings.NewReader("x"))
	require.ErrorIs(t, err, recstore.ErrNetwork)
	var re *recstore.Error
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "sts:AssumeRole", re.Op, "the error says it was STS")
	assert.Contains(t, re.Fix, "storageProviderStsEndpoint")
}

// TestMultipartSpansExpiries: with 20-second sessions, a 45-second
// multipart upload (a part a second, as a live call produces) spans two
// expiries and succeeds; each session is renewed before the previous one
// ends, and every request is signed with time to spare.
func TestMultipartSpansExpiries(t *testing.T) {
	e := requireEnv(t)
	t.Parallel()
	role := newRole(e, "twenty-seconds", func(r *stsserver.Role) { r.Lifetime = 20 * time.Second })
	minio, err := url.Parse(e.MinIO.URL)
	require.NoError(t, err)
	var signed signingLog
	s := open(t, e.Config(role), recstore.WithPartSize(recstore.MinPartSize), recstore.WithHTTPClient(signed.client(t, minio.Host)))
	const parts = 45
	src := &slowReader{r: strings.NewReader(strings.Repeat("p", parts*recstore.MinPartSize)), every: recstore.MinPartSize, pause: time.Second}
	info, err := s.Upload(context.Background(), "spans-expiries/call.webm", src)
	require.NoError(t, err)
	assert.Equal(t, int64(parts*recstore.MinPartSize), info.Size)

	sessions := e.STS.Sessions(role.ARN)
	require.GreaterOrEqual(t, len(sessions), 3, "45 s of 20 s sessions")
	byKey := map[string]stsserver.Session{}
	for i, sess := range sessions {
		byKey[sess.AccessKeyID] = sess
		if i > 0 {
			assert.True(t, sess.Issued.Before(sessions[i-1].Expires), "session %d renewed at %v, before %v", i, sess.Issued, sessions[i-1].Expires)
		}
	}
	for _, req := range signed.requests() {
		// The window of a 20 s session is 3.3 to 5 s; a part goes out each second.
		assert.Greater(t, byKey[req.accessKeyID].Expires.Sub(req.at), 2*time.Second, "request at %v", req.at)
	}
}

// TestStalledReplyIsRetried: a server that takes a request and does not
// answer is given up on after the response header timeout, and the SDK's
// retry then succeeds.
func TestStalledReplyIsRetried(t *testing.T) {
	e := requireEnv(t)
	var puts atomic.Int32
	cfg, _ := proxied(t, e, func(r *http.Request) faultproxy.Fault {
		if s3Operation(r) == "PutObject" && puts.Add(1) == 1 {
			return faultproxy.Fault{Kind: faultproxy.Stall, Delay: time.Minute}
		}
		return faultproxy.Fault{}
	})
	s := open(t, cfg, recstore.WithResponseHeaderTimeout(500*time.Millisecond))
	start := time.Now()
	_, err := s.Upload(context.Background(), "stalled/x", strings.NewReader("stall"))
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 5*time.Second, "the stall was cut short")
	assert.EqualValues(t, 2, puts.Load(), "one stalled attempt, one retry")
}

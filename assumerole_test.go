package recstore_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
	"github.com/auvious/recstore/internal/sandbox"
	"github.com/auvious/recstore/internal/sandbox/stsserver"
)

// newRole adds a role with the spec's policy, adjusted by edit.
func newRole(e *sandbox.Env, name string, edit func(*stsserver.Role)) stsserver.Role {
	r := e.AddRole(name, sandbox.RolePolicy(e.Bucket))
	if edit != nil {
		edit(&r)
		e.STS.AddRole(r)
	}
	return r
}

func TestAssumeRoleRequest(t *testing.T) {
	e := requireEnv(t)
	for _, tc := range []struct {
		role     string
		duration time.Duration
		want     time.Duration
	}{
		{"default-duration", 0, time.Hour},
		{"explicit-duration", 15 * time.Minute, 15 * time.Minute},
	} {
		t.Run(tc.role, func(t *testing.T) {
			role := newRole(e, tc.role, nil)
			cfg := e.Config(role)
			cfg.SessionDuration = tc.duration
			s := open(t, cfg)
			_, err := s.Stat(context.Background(), "absent")
			require.ErrorIs(t, err, recstore.ErrKeyNotFound)

			sessions := e.STS.Sessions(role.ARN)
			require.Equal(t, 1, len(sessions), "sessions issued")
			assert.Equal(t, tc.want, sessions[0].Requested, "DurationSeconds")
			assert.Equal(t, role.ExternalID, sessions[0].ExternalID)
			assert.Equal(t, cfg.RoleSessionName, sessions[0].SessionName)
			assumed, ok := s.AssumedRole()
			require.True(t, ok)
			assert.Equal(t, "arn:aws:sts::444455556666:assumed-role/"+tc.role+"/"+cfg.RoleSessionName, assumed.ARN)
			assert.WithinDuration(t, time.Now().Add(tc.want), assumed.Expires, 5*time.Second)
		})
	}
}

// TestSTSFailures: each STS refusal surfaces as an sts:AssumeRole *Error of
// its class, whatever S3 call triggered it.
func TestSTSFailures(t *testing.T) {
	e := requireEnv(t)
	role := newRole(e, "strict", nil)
	closed := closedURL(t)
	for _, tc := range []struct {
		name string
		edit func(*recstore.Config)
		want error
		code string
	}{
		{"wrong External ID", func(c *recstore.Config) { c.ExternalID = "not-the-one" }, recstore.ErrAssumeRoleDenied, "AccessDenied"},
		{"no External ID", func(c *recstore.Config) { c.ExternalID = "" }, recstore.ErrAssumeRoleDenied, "AccessDenied"},
		{"untrusted role", func(c *recstore.Config) { c.RoleARN = "arn:aws:iam::444455556666:role/other" }, recstore.ErrAssumeRoleDenied, "AccessDenied"},
		{"wrong secret", func(c *recstore.Config) { c.SecretAccessKey = "wrong" + c.SecretAccessKey }, recstore.ErrInvalidBaseCredentials, "SignatureDoesNotMatch"},
		{"unknown key", func(c *recstore.Config) { c.AccessKeyID = "AKIAUNKNOWNUNKNOWN00" }, recstore.ErrInvalidBaseCredentials, "InvalidClientTokenId"},
		{"duration above the role's maximum", func(c *recstore.Config) { c.SessionDuration = 2 * time.Hour }, recstore.ErrDurationExceedsMax, "ValidationError"},
		{"STS unreachable", func(c *recstore.Config) { c.STSEndpoint = closed }, recstore.ErrNetwork, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := e.Config(role)
			tc.edit(&cfg)
			s := open(t, cfg)
			_, err := s.Upload(context.Background(), "never.webm", strings.NewReader("x"))
			require.ErrorIs(t, err, tc.want)
			var re *recstore.Error
			require.ErrorAs(t, err, &re)
			assert.Equal(t, "sts:AssumeRole", re.Op, "the error names STS, not S3")
			assert.Equal(t, tc.code, re.Code)
			cause, fix, ok := recstore.Diagnose(err)
			assert.True(t, ok)
			assert.NotEmpty(t, cause)
			assert.NotEmpty(t, fix)
		})
	}
}

// closedURL returns the URL of a loopback port nothing listens on.
func closedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return "http://" + l.Addr().String()
}

// signingLog records which access key signed each request to one host.
type signingLog struct {
	mu  sync.Mutex
	log []signedRequest
}

type signedRequest struct {
	at          time.Time
	accessKeyID string
}

func (l *signingLog) client(t *testing.T, host string) *http.Client {
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Host == host {
			_, cred, _ := strings.Cut(r.Header.Get("Authorization"), "Credential=")
			akid, _, _ := strings.Cut(cred, "/")
			l.mu.Lock()
			l.log = append(l.log, signedRequest{time.Now(), akid})
			l.mu.Unlock()
		}
		return transport.RoundTrip(r)
	})}
}

func (l *signingLog) requests() []signedRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]signedRequest(nil), l.log...)
}

// slowReader pauses once every `every` bytes, as a live recording does.
type slowReader struct {
	r     *strings.Reader
	every int
	pause time.Duration
	since int
}

func (s *slowReader) Read(p []byte) (int, error) {
	if s.since >= s.every {
		time.Sleep(s.pause)
		s.since = 0
	}
	n, err := s.r.Read(p[:min(len(p), s.every-s.since)])
	s.since += n
	return n, err
}

// TestAuthRetryConcurrent: 64 requests rejected at once renew the session
// once.
func TestAuthRetryConcurrent(t *testing.T) {
	e := requireEnv(t)
	role := newRole(e, "retry-concurrent", nil)
	e.STS.CorruptNextSessions(role.ARN, 1)
	s := open(t, e.Config(role))
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			_, err := s.Stat(context.Background(), "absent")
			assert.ErrorIs(t, err, recstore.ErrKeyNotFound, "after the retry, S3 answers the real question")
		})
	}
	wg.Wait()
	assert.Equal(t, 2, len(e.STS.Sessions(role.ARN)), "one session, then one renewal for 64 rejected requests")
}

// TestPresignNeverOutlivesSession: a URL cannot outlast the session that
// signed it.
func TestPresignNeverOutlivesSession(t *testing.T) {
	e := requireEnv(t)
	role := newRole(e, "presign-short", func(r *stsserver.Role) { r.Lifetime = 2 * time.Minute })
	s := open(t, e.Config(role))
	_, err := s.Upload(context.Background(), "presign/short", strings.NewReader("x"))
	require.NoError(t, err)
	_, expires, err := s.PresignGet(context.Background(), "presign/short", time.Hour)
	require.NoError(t, err)
	sessions := e.STS.Sessions(role.ARN)
	require.NotEmpty(t, sessions)
	end := sessions[len(sessions)-1].Expires
	assert.False(t, expires.After(end), "URL expires %v after the session ends %v", expires, end)
	assert.True(t, expires.After(time.Now().Add(time.Minute)), "URL expiry %v is the session's, not zero", expires)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

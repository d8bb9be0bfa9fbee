// Package stsserver is an AWS-like STS endpoint on loopback, for the
// sandbox and the tests. It checks what AWS checks and MinIO does not (the
// SigV4 signature of the base user, or of an unexpired session it issued,
// as when the recorder's own role is the base identity; the role's trust
// policy, the External ID, sts:TagSession and sts:SetSourceIdentity;
// MaxSessionDuration and role chaining's one hour), answers with AWS's
// XML, and mints real MinIO credentials, so that S3 stays real. It is
// also the OpenID Connect provider of IRSA's web identity tokens and the
// container credentials endpoint of EKS Pod Identity. Its fault and clock
// hooks let tests provoke AWS's replies.
package stsserver

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// A User is an IAM user (or an account's root user) whose access key may
// call the endpoint.
type User struct {
	ARN             string // arn:aws:iam::<account>:user/<name>, or arn:aws:iam::<account>:root
	AccessKeyID     string
	SecretAccessKey string
	// AssumableRoles are the resources of the sts:AssumeRole Allow in the
	// user's own identity policy: role ARNs, each possibly ending in "*".
	// AWS needs it when the role is in another account; in the user's own
	// account, a trust policy naming the user is enough.
	AssumableRoles []string
	// IdentityActions are further actions that Allow allows on
	// AssumableRoles: sts:TagSession and sts:SetSourceIdentity, which a
	// call with session tags or a source identity needs of the caller's
	// own policy as well as of the trust policy across accounts.
	IdentityActions []string
	// Deny, when set, is the kind of policy with an explicit Deny of
	// sts:AssumeRole for this user, as AWS names it in its reply: "service
	// control policy", "permissions boundary", "identity-based policy".
	Deny string

	// role is set when the caller is a session of this endpoint's: the
	// role ARN that trust policies name for it. ARN is then the session's
	// assumed-role ARN, and a role it assumes is chained.
	role string
}

// principal is the ARN a trust policy names to trust u.
func (u User) principal() string {
	if u.role != "" {
		return u.role
	}
	return u.ARN
}

// A Role is an IAM role that users may assume.
type Role struct {
	ARN                string        // arn:aws:iam::<account>:role/<name>
	TrustedUserARN     string        // the trust policy's only principal: a user's or a role's ARN
	ExternalID         string        // the trust policy's sts:ExternalId condition; empty for none
	MaxSessionDuration time.Duration // zero means 1h, as in IAM
	Policy             string        // the role's S3 permissions, as a MinIO session policy; empty for all
	// TagSession and SetSourceIdentity are whether the trust policy's
	// statement for TrustedUserARN also allows sts:TagSession and
	// sts:SetSourceIdentity, which a call with session tags or a source
	// identity needs.
	TagSession, SetSourceIdentity bool
	// WebIdentitySubject, when set, is the sub that the trust policy's
	// statement for the endpoint's OpenID Connect provider (Issuer) accepts
	// in a web identity token, as IRSA's system:serviceaccount:<ns>:<name>.
	WebIdentitySubject string
	// PodIdentitySubject, when set, is the service account whose pods get
	// this role's sessions from the container credentials endpoint
	// (ContainerCredentialsURL): an EKS Pod Identity association, whose
	// role trusts the service principal pods.eks.amazonaws.com.
	PodIdentitySubject string
	// AssumableRoles are the resources of the sts:AssumeRole Allow in the
	// role's own policy, which a session of it needs to assume a role of
	// another account (as User.AssumableRoles), and IdentityActions the
	// further actions it allows on them (as User.IdentityActions).
	AssumableRoles, IdentityActions []string
	// Lifetime, when set, is the session length reported in Expiration,
	// whatever was asked, to exercise renewal. MinIO's credentials behind
	// the session stay valid for at least 15 minutes.
	Lifetime time.Duration
}

// Minter issues real S3 credentials: MinIO's own AssumeRole, called as its
// root user.
type Minter struct {
	Endpoint, RootUser, RootPassword string
	HTTPClient                       *http.Client // nil: the SDK's default
}

// A Server is a running endpoint. Its methods are safe for concurrent use.
type Server struct {
	srv    *http.Server
	url    string
	region string
	served chan struct{} // closed when Serve has returned
	minter *sts.Client
	oidc   *oidcProvider

	mu       sync.Mutex
	users    map[string]User // by access key ID
	roles    map[string]Role // by ARN
	faults   []Fault
	sessions []Session
	offset   time.Duration  // of this server's clock
	corrupt  map[string]int // by role ARN

	assumeCalls atomic.Int64
}

// New starts an endpoint on a free loopback port that mints credentials
// with m. region is the endpoint's own Region, the only one whose SigV4
// scope it accepts (as AWS's regional STS endpoints do); it also calls
// MinIO's STS with it.
func New(m Minter, region string) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("stsserver: %w", err)
	}
	s := &Server{
		region:  region,
		users:   map[string]User{},
		roles:   map[string]Role{},
		corrupt: map[string]int{},
		minter: sts.New(sts.Options{
			Region:       region,
			BaseEndpoint: aws.String(m.Endpoint),
			Credentials:  credentials.NewStaticCredentialsProvider(m.RootUser, m.RootPassword, ""),
			HTTPClient:   m.HTTPClient,
		}),
	}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serveHTTP), ReadHeaderTimeout: time.Minute}
	s.url, s.served = "http://"+ln.Addr().String(), make(chan struct{})
	if s.oidc, err = newOIDCProvider(s.url + "/oidc"); err != nil {
		ln.Close()
		return nil, err
	}
	go func() {
		defer close(s.served)
		s.srv.Serve(ln)
	}()
	return s, nil
}

// URL is the endpoint's base URL, for Config.STSEndpoint.
func (s *Server) URL() string { return s.url }

// Close stops the endpoint and waits for it to stop serving.
func (s *Server) Close() {
	s.srv.Close()
	<-s.served
}

// AddUser lets u call the endpoint.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.AccessKeyID] = u
}

// AddRole creates or replaces r.
func (s *Server) AddRole(r Role) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.roles[r.ARN] = r
}

// A Session records one successful AssumeRole.
type Session struct {
	RoleARN     string
	Issued      time.Time
	Expires     time.Time     // the Expiration reported to the caller
	Requested   time.Duration // DurationSeconds as sent
	ExternalID  string
	SessionName string
	AssumedARN  string // arn:aws:sts::<account>:assumed-role/<role>/<session>
	Caller      string // the ARN of the caller, an assumed-role ARN when chained
	AccessKeyID string
	// SourceIdentity and Tags are what the caller sent for CloudTrail.
	SourceIdentity string
	Tags           map[string]string
	// Secrets issued, so that tests can check they never leak.
	SecretAccessKey, SessionToken string
}

// String describes the session without its secret and token, so that a
// failing test cannot print them.
func (s Session) String() string {
	return fmt.Sprintf("{role %s, key %s, issued %s, expires %s, requested %s}",
		s.RoleARN, s.AccessKeyID, s.Issued.Format(time.RFC3339Nano), s.Expires.Format(time.RFC3339), s.Requested)
}

// GoString is String, for %#v.
func (s Session) GoString() string { return s.String() }

// Sessions returns the sessions issued for role so far, oldest first.
func (s *Server) Sessions(role string) []Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Session
	for _, sess := range s.sessions {
		if sess.RoleARN == role {
			out = append(out, sess)
		}
	}
	return out
}

// CorruptNextSessions makes the next n sessions of role carry a tampered
// session token, which MinIO rejects (InvalidTokenId) as S3 rejects an
// expired session.
func (s *Server) CorruptNextSessions(role string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.corrupt[role] = n
}

// record stores a session and reports whether its token is to be
// tampered with.
func (s *Server) record(sess Session) (corrupt bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions = append(s.sessions, sess)
	if s.corrupt[sess.RoleARN] > 0 {
		s.corrupt[sess.RoleARN]--
		return true
	}
	return false
}

// SetClockOffset sets this server's clock d ahead of the machine's, as if
// the client's clock were d behind: its Date header and its signature check
// use the shifted clock.
func (s *Server) SetClockOffset(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset = d
}

func (s *Server) now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Add(s.offset).UTC()
}

// AssumeRoleCalls counts the AssumeRole requests received, including
// refused ones.
func (s *Server) AssumeRoleCalls() int64 { return s.assumeCalls.Load() }

// A Fault makes the endpoint answer the next Times requests for Action with
// an AWS error instead of processing them.
type Fault struct {
	Action  string // such as "AssumeRole"
	Times   int
	Status  int
	Code    string
	Message string
}

// Inject queues f.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// takeFault consumes one queued fault for action.
func (s *Server) takeFault(action string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.faults {
		if f := &s.faults[i]; f.Action == action && f.Times > 0 {
			f.Times--
			return *f, true
		}
	}
	return Fault{}, false
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Date", s.now().Format(http.TimeFormat))
	if r.URL.Path == containerPath {
		s.serveContainerCredentials(w, r)
		return
	}
	body, user, apiErr := s.authenticate(r)
	action := body.Get("Action")
	if action == "AssumeRole" {
		s.assumeCalls.Add(1)
	}
	if f, ok := s.takeFault(action); ok {
		writeError(w, &apiError{Status: f.Status, Code: f.Code, Message: f.Message})
		return
	}
	if action == "AssumeRoleWithWebIdentity" { // unsigned: the token is the credential
		s.assumeRoleWithWebIdentity(r.Context(), w, body)
		return
	}
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	switch action {
	case "AssumeRole":
		s.assumeRole(r.Context(), w, user, body)
	case "GetCallerIdentity":
		writeCallerIdentity(w, user)
	default:
		writeError(w, &apiError{Status: 400, Code: "InvalidAction",
			Message: fmt.Sprintf("Could not find operation %s for version 2011-06-15", action)})
	}
}

// accountOf returns the account ID in an IAM ARN.
func accountOf(iamARN string) string {
	a, _ := arn.Parse(iamARN)
	return a.AccountID
}

// Credentials are the keys of the session with access key accessKeyID,
// for a front that checks signatures as S3 would (apfront).
func (s *Server) Credentials(accessKeyID string) (aws.Credentials, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sess := range s.sessions {
		if sess.AccessKeyID == accessKeyID {
			return aws.Credentials{AccessKeyID: sess.AccessKeyID, SecretAccessKey: sess.SecretAccessKey,
				SessionToken: sess.SessionToken}, true
		}
	}
	return aws.Credentials{}, false
}

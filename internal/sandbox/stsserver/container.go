package stsserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The container credentials endpoint plays EKS Pod Identity's agent
// (aws/eks-pod-identity-agent), which serves a pod at
// http://169.254.170.23/v1/credentials: the SDK's default chain calls it
// when AWS_CONTAINER_CREDENTIALS_FULL_URI names it (over http only on
// loopback or the ECS and EKS addresses) and sends the pod's service
// account token, read from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, as the
// Authorization header.
const (
	containerPath = "/v1/credentials"
	// podAudience is the audience of the service account token that EKS
	// projects for Pod Identity.
	podAudience = "pods.eks.amazonaws.com"
)

// ContainerCredentialsURL is the container credentials endpoint's URL, for
// AWS_CONTAINER_CREDENTIALS_FULL_URI.
func (s *Server) ContainerCredentialsURL() string { return s.url + containerPath }

// PodIdentityToken returns a service account token for subject
// (system:serviceaccount:<namespace>:<name>) that expires after ttl, with
// Pod Identity's audience, for AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE.
func (s *Server) PodIdentityToken(subject string, ttl time.Duration) string {
	return s.token(subject, podAudience, ttl)
}

// containerCredentials is the endpoint's JSON reply, in the agent's shape.
type containerCredentials struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string
	Token           string
	AccountID       string `json:"AccountId"`
	Expiration      string
}

// serveContainerCredentials answers as the agent does: it refuses a
// missing token itself, with its own words (testdata/aws-errors/
// container-token-empty.txt), and otherwise relays EKS Auth's answer:
// a session of the role associated with the token's service account.
// EKS Auth's messages for a bad token and a missing association are not
// on record; the agent relays an EKS Auth error as "(Code): message,
// fault: client" with EKS Auth's status.
func (s *Server) serveContainerCredentials(w http.ResponseWriter, r *http.Request) {
	token := r.Header.Get("Authorization")
	if token == "" {
		http.Error(w, "Service account token cannot be empty", http.StatusBadRequest)
		return
	}
	claims, apiErr := s.oidc.verify(token, podAudience, s.now())
	if apiErr != nil {
		relayEKSAuthError(w, http.StatusBadRequest, "InvalidTokenException", apiErr.Message)
		return
	}
	role, ok := s.podIdentityRole(claims.Subject)
	if !ok {
		relayEKSAuthError(w, http.StatusBadRequest, "ResourceNotFoundException", "no Pod Identity association for "+claims.Subject+
			" (stsserver: EKS Auth's message is not on record)")
		return
	}
	result, apiErr := s.mint(r.Context(), role, "eks-recstore-"+requestID()[:8], time.Hour, claims.Subject,
		podSessionTags(claims.Subject))
	if apiErr != nil {
		relayEKSAuthError(w, apiErr.Status, apiErr.Code, apiErr.Message)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(containerCredentials{AccessKeyID: result.AccessKeyID, SecretAccessKey: result.Secret,
		Token: result.Token, AccountID: accountOf(role.ARN), Expiration: result.Expiration.Format(time.RFC3339Nano)})
}

func relayEKSAuthError(w http.ResponseWriter, status int, code, message string) {
	fault := "client"
	if status >= 500 {
		fault = "server"
	}
	http.Error(w, fmt.Sprintf("(%s): %s, fault: %s", code, message, fault), status)
}

// podIdentityRole is the role associated with the service account subject.
func (s *Server) podIdentityRole(subject string) (Role, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.roles {
		if r.PodIdentitySubject != "" && r.PodIdentitySubject == subject {
			return r, true
		}
	}
	return Role{}, false
}

// podSessionTags are some of the session tags EKS Pod Identity puts on a
// session, as the Query API's Tags parameters: the service account's
// namespace and name.
func podSessionTags(subject string) url.Values {
	form := url.Values{}
	parts := strings.Split(subject, ":")
	if len(parts) != 4 {
		return form
	}
	for i, kv := range [][2]string{{"kubernetes-namespace", parts[2]}, {"kubernetes-service-account", parts[3]}} {
		n := strconv.Itoa(i + 1)
		form.Set("Tags.member."+n+".Key", kv[0])
		form.Set("Tags.member."+n+".Value", kv[1])
	}
	return form
}

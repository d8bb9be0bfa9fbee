package stsserver

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// MinIO's shortest session; shorter lifetimes are only reported.
const minMintDuration = 15 * time.Minute

// assumeRole applies IAM's checks in AWS's order, then mints a session.
func (s *Server) assumeRole(ctx context.Context, w http.ResponseWriter, user User, form url.Values) {
	roleARN, sessionName := form.Get("RoleArn"), form.Get("RoleSessionName")
	s.mu.Lock()
	role, exists := s.roles[roleARN]
	s.mu.Unlock()
	if apiErr := authorize(user, role, exists, roleARN, form.Get("ExternalId")); apiErr != nil {
		writeError(w, apiErr)
		return
	}
	if apiErr := authorizeExtras(user, role, form); apiErr != nil {
		writeError(w, apiErr)
		return
	}
	duration, apiErr := requestedDuration(form, role, user.role != "")
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	s.issue(ctx, w, "AssumeRole", role, sessionName, duration, user.ARN, form)
}

// issue mints a session of role for caller and writes the reply to action.
func (s *Server) issue(ctx context.Context, w http.ResponseWriter, action string, role Role, sessionName string,
	duration time.Duration, caller string, form url.Values) {
	result, apiErr := s.mint(ctx, role, sessionName, duration, caller, form)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	writeAssumeRole(w, action, result)
}

// mint has MinIO issue real credentials for a session of role, records
// the session, and returns what the reply reports of it.
func (s *Server) mint(ctx context.Context, role Role, sessionName string, duration time.Duration, caller string,
	form url.Values) (assumeRoleResult, *apiError) {
	roleARN := role.ARN
	minted, err := s.minter.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String(roleARN),
		RoleSessionName: aws.String(sessionName),
		DurationSeconds: aws.Int32(int32(max(duration, minMintDuration) / time.Second)),
		Policy:          optional(role.Policy),
	})
	if err != nil {
		return assumeRoleResult{}, &apiError{Status: 500, Code: "InternalFailure", Message: "minting MinIO credentials: " + err.Error()}
	}
	lifetime := role.Lifetime
	if lifetime == 0 {
		lifetime = duration
	}
	now := s.now()
	result := assumeRoleResult{
		AssumedRoleARN: fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", accountOf(roleARN), path.Base(roleARN), sessionName),
		AssumedRoleID:  "AROATESTSTSROLE:" + sessionName,
		AccessKeyID:    aws.ToString(minted.Credentials.AccessKeyId),
		Secret:         aws.ToString(minted.Credentials.SecretAccessKey),
		Token:          aws.ToString(minted.Credentials.SessionToken),
		Expiration:     now.Add(lifetime).UTC().Truncate(time.Second),
	}
	sess := Session{RoleARN: roleARN, Issued: now, Expires: result.Expiration, Requested: duration,
		AssumedARN: result.AssumedRoleARN, Caller: caller,
		ExternalID: form.Get("ExternalId"), SessionName: sessionName, AccessKeyID: result.AccessKeyID,
		SourceIdentity: form.Get("SourceIdentity"), Tags: sessionTags(form),
		SecretAccessKey: result.Secret, SessionToken: result.Token}
	if s.record(sess) {
		result.Token = "tampered" + result.Token
	}
	return result, nil
}

// authorize applies IAM's decision for sts:AssumeRole: an explicit Deny
// wins; the root user may not assume roles; otherwise the role must exist
// and trust the user, its ExternalId condition (if it has one: AWS ignores
// an External ID the trust policy does not ask for) must match, and across
// accounts the user's own policy must allow the role too.
func authorize(user User, role Role, exists bool, roleARN, externalID string) *apiError {
	denied := fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", user.ARN, roleARN)
	switch {
	case user.Deny != "":
		return &apiError{Status: 403, Code: "AccessDenied", Message: denied + " with an explicit deny in a " + user.Deny}
	case strings.HasSuffix(user.ARN, ":root"):
		return &apiError{Status: 403, Code: "AccessDenied", Message: "Roles may not be assumed by root accounts."}
	case !exists || role.TrustedUserARN != user.principal() || role.ExternalID != "" && role.ExternalID != externalID,
		accountOf(roleARN) != accountOf(user.ARN) && !user.mayAssume(roleARN):
		// AWS gives one answer for all of these, so as not to reveal which.
		return &apiError{Status: 403, Code: "AccessDenied", Message: denied}
	}
	return nil
}

// authorizeExtras applies IAM's decision to what a call adds to
// sts:AssumeRole: session tags need sts:TagSession, a source identity
// sts:SetSourceIdentity, "in addition to the action that matches the API
// operation" (IAM User Guide, id_session-tags.md, "Permissions required to
// add session tags"), so as sts:AssumeRole is decided: by the trust policy
// and, across accounts, the caller's own policy too. AWS's reply does not
// say which policy lacks it (testdata/aws-errors: sts-tag-session-denied.xml,
// sts-set-source-identity-denied.xml). Which AWS checks first when both
// are missing is not on record; tags go first.
func authorizeExtras(user User, role Role, form url.Values) *apiError {
	denied := func(action string) *apiError {
		return &apiError{Status: 403, Code: "AccessDenied", Message: fmt.Sprintf(
			"User: %s is not authorized to perform: %s on resource: %s", user.ARN, action, role.ARN)}
	}
	crossAccount := accountOf(role.ARN) != accountOf(user.ARN)
	switch {
	case form.Get("Tags.member.1.Key") != "" && (!role.TagSession || crossAccount && !user.allows("sts:TagSession")):
		return denied("sts:TagSession")
	case form.Get("SourceIdentity") != "" && (!role.SetSourceIdentity || crossAccount && !user.allows("sts:SetSourceIdentity")):
		return denied("sts:SetSourceIdentity")
	}
	return nil
}

// allows reports whether the user's identity policy allows action, beside
// sts:AssumeRole, on the roles it may assume.
func (u User) allows(action string) bool { return slices.Contains(u.IdentityActions, action) }

// mayAssume reports whether the user's identity policy allows
// sts:AssumeRole on roleARN.
func (u User) mayAssume(roleARN string) bool {
	for _, allowed := range u.AssumableRoles {
		if prefix, wild := strings.CutSuffix(allowed, "*"); allowed == roleARN || wild && strings.HasPrefix(roleARN, prefix) {
			return true
		}
	}
	return false
}

// requestedDuration reads DurationSeconds (default 3600) and checks it
// against STS's range, the one-hour limit of role chaining (a role
// session's call; testdata/aws-errors/sts-role-chaining-limit.xml) and the
// role's MaxSessionDuration.
func requestedDuration(form url.Values, role Role, chained bool) (time.Duration, *apiError) {
	seconds := int64(3600)
	if v := form.Get("DurationSeconds"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return 0, &apiError{Status: 400, Code: "ValidationError", Message: "DurationSeconds must be a number"}
		}
		seconds = n
	}
	if seconds < 900 {
		return 0, &apiError{Status: 400, Code: "ValidationError", Message: fmt.Sprintf(
			"1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: "+
				"Member must have value greater than or equal to 900", seconds)}
	}
	if chained && seconds > 3600 {
		return 0, &apiError{Status: 400, Code: "ValidationError",
			Message: "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."}
	}
	limit := role.MaxSessionDuration
	if limit == 0 {
		limit = time.Hour
	}
	if time.Duration(seconds)*time.Second > limit {
		return 0, &apiError{Status: 400, Code: "ValidationError",
			Message: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."}
	}
	return time.Duration(seconds) * time.Second, nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// sessionTags reads the Tags.member.N.Key and .Value parameters of the
// Query API.
func sessionTags(form url.Values) map[string]string {
	var tags map[string]string
	for n := 1; ; n++ {
		key, ok := form["Tags.member."+strconv.Itoa(n)+".Key"]
		if !ok || len(key) == 0 {
			return tags
		}
		if tags == nil {
			tags = map[string]string{}
		}
		tags[key[0]] = form.Get("Tags.member." + strconv.Itoa(n) + ".Value")
	}
}

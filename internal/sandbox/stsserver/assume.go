package stsserver

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
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
	if !exists || role.TrustedUserARN != user.ARN || role.ExternalID != form.Get("ExternalId") {
		// AWS gives one answer for all three, so as not to reveal which.
		writeError(w, &apiError{Status: 403, Code: "AccessDenied", Message: fmt.Sprintf(
			"User: %s is not authorized to perform: sts:AssumeRole on resource: %s", user.ARN, roleARN)})
		return
	}
	duration, apiErr := requestedDuration(form, role)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	minted, err := s.minter.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String(roleARN),
		RoleSessionName: aws.String(sessionName),
		DurationSeconds: aws.Int32(int32(max(duration, minMintDuration) / time.Second)),
		Policy:          optional(role.Policy),
	})
	if err != nil {
		writeError(w, &apiError{Status: 500, Code: "InternalFailure", Message: "minting MinIO credentials: " + err.Error()})
		return
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
		ExternalID: form.Get("ExternalId"), SessionName: sessionName, AccessKeyID: result.AccessKeyID,
		SecretAccessKey: result.Secret, SessionToken: result.Token}
	if s.record(sess) {
		result.Token = "tampered" + result.Token
	}
	writeAssumeRole(w, result)
}

// requestedDuration reads DurationSeconds (default 3600) and checks it
// against STS's range and the role's MaxSessionDuration.
func requestedDuration(form url.Values, role Role) (time.Duration, *apiError) {
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

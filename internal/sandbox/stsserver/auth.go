package stsserver

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// maxSkew is how far a request's signing time may be from the server's:
// STS's replies show 15 minutes (testdata/aws-errors/sts-signature-expired.xml).
const maxSkew = 15 * time.Minute

// authenticate reads the form body and checks the request's SigV4
// signature, as AWS does, returning the calling user.
func (s *Server) authenticate(r *http.Request) (url.Values, User, *apiError) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, User{}, &apiError{Status: 400, Code: "MalformedInput", Message: err.Error()}
	}
	form, _ := url.ParseQuery(string(raw))
	akid, region, signed, signature, ok := parseAuthorization(r.Header.Get("Authorization"))
	if !ok {
		return form, User{}, &apiError{Status: 403, Code: "MissingAuthenticationToken",
			Message: "Request is missing Authentication Token"}
	}
	if region != s.region {
		// The trailing space is AWS's (testdata/aws-errors/sts-signature-scope-region.xml).
		return form, User{}, &apiError{Status: 403, Code: "SignatureDoesNotMatch",
			Message: "Credential should be scoped to a valid region. "}
	}
	user, known, expired := s.caller(akid, r.Header.Get("X-Amz-Security-Token"), s.now())
	switch {
	case !known:
		return form, User{}, &apiError{Status: 403, Code: "InvalidClientTokenId",
			Message: "The security token included in the request is invalid"}
	case expired: // testdata/aws-errors/sts-expired-token.xml
		return form, User{}, &apiError{Status: 403, Code: "ExpiredToken",
			Message: "The security token included in the request is expired"}
	}
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return form, user, &apiError{Status: 400, Code: "IncompleteSignature", Message: "Date must be in ISO-8601 'basic format'."}
	}
	if apiErr := checkTime(when, s.now()); apiErr != nil {
		return form, user, apiErr
	}
	if want := sign(r, raw, signed, user, region, when); !hmac.Equal([]byte(want), []byte(signature)) {
		return form, user, &apiError{Status: 403, Code: "SignatureDoesNotMatch",
			Message: "The request signature we calculated does not match the signature you provided. " +
				"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}
	}
	return form, user, nil
}

// checkTime refuses a signing time more than maxSkew from now, with STS's
// messages for a clock behind and a clock ahead.
func checkTime(when, now time.Time) *apiError {
	const layout = "20060102T150405Z"
	switch {
	case now.Sub(when) > maxSkew:
		return &apiError{Status: 403, Code: "SignatureDoesNotMatch",
			Message: "Signature expired: " + when.Format(layout) + " is now earlier than " +
				now.Add(-maxSkew).Format(layout) + " (" + now.Format(layout) + " - 15 min.)"}
	case when.Sub(now) > maxSkew:
		return &apiError{Status: 403, Code: "SignatureDoesNotMatch",
			Message: "Signature not yet current: " + when.Format(layout) + " is still later than " +
				now.Add(maxSkew).Format(layout) + " (" + now.Format(layout) + " + 15 min.)"}
	}
	return nil
}

// parseAuthorization splits
// "AWS4-HMAC-SHA256 Credential=AKID/date/region/sts/aws4_request, SignedHeaders=a;b, Signature=hex".
// The Region is the one the client signed for, which the caller checks.
func parseAuthorization(h string) (akid, region string, signed []string, signature string, ok bool) {
	rest, ok := strings.CutPrefix(h, "AWS4-HMAC-SHA256 ")
	if !ok {
		return "", "", nil, "", false
	}
	for _, field := range strings.Split(rest, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(field), "=")
		switch name {
		case "Credential":
			if scope := strings.Split(value, "/"); len(scope) == 5 {
				akid, region = scope[0], scope[2]
			}
		case "SignedHeaders":
			signed = strings.Split(value, ";")
		case "Signature":
			signature = value
		}
	}
	return akid, region, signed, signature, akid != "" && signature != ""
}

// sign recomputes the request's signature with the user's secret, from the
// headers the client signed.
func sign(r *http.Request, body []byte, signed []string, user User, region string, when time.Time) string {
	clone, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	clone.Host = r.Host
	clone.ContentLength = int64(len(body))
	for _, h := range signed {
		if h != "host" && h != "content-length" {
			clone.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: user.AccessKeyID, SecretAccessKey: user.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(r.Context(), creds, clone, hex.EncodeToString(sum[:]), "sts", region, when); err != nil {
		return ""
	}
	_, _, _, signature, _ := parseAuthorization(clone.Header.Get("Authorization"))
	return signature
}

// caller is the user whose access key is akid, or the session of this
// endpoint's with that key and token: a role session calling STS, as a
// recorder running with its own role does. expired is whether that
// session's reported expiry has passed at now.
func (s *Server) caller(akid, token string, now time.Time) (u User, known, expired bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[akid]; ok {
		return u, true, false
	}
	for _, sess := range s.sessions {
		if sess.AccessKeyID == akid && sess.SessionToken == token && token != "" {
			role := s.roles[sess.RoleARN]
			u = User{ARN: sess.AssumedARN, AccessKeyID: akid, SecretAccessKey: sess.SecretAccessKey,
				AssumableRoles: role.AssumableRoles, IdentityActions: role.IdentityActions, role: sess.RoleARN}
			return u, true, !now.Before(sess.Expires)
		}
	}
	return User{}, false, false
}

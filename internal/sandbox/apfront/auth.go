package apfront

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// signatureParams are the query parameters of a presigned URL's signature;
// X-Amz-Expires, which it signs, is the presigned URL's too.
var signatureParams = []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders",
	"X-Amz-Signature", "X-Amz-Security-Token"}

// authenticate checks a request's SigV4 signature, in its Authorization
// header or its query (a presigned URL), as S3 does: a session the test
// STS issued, signed for service s3 in the access point's Region, over
// the host the client sent to. It returns the session's keys, the payload
// hash the client signed, and a problem when the signature does not hold.
func (s *Server) authenticate(r *http.Request, point AccessPoint) (creds aws.Credentials, payloadHash string, presigned bool, problem string) {
	query := r.URL.Query()
	presigned = query.Has("X-Amz-Signature")
	var credential, signedHeaders, signature, date string
	if presigned {
		credential, signedHeaders = query.Get("X-Amz-Credential"), query.Get("X-Amz-SignedHeaders")
		signature, date = query.Get("X-Amz-Signature"), query.Get("X-Amz-Date")
	} else {
		var ok bool
		if credential, signedHeaders, signature, ok = parseAuthorization(r.Header.Get("Authorization")); !ok {
			return creds, "", false, "apfront: no SigV4 Authorization header"
		}
		date, payloadHash = r.Header.Get("X-Amz-Date"), r.Header.Get("X-Amz-Content-Sha256")
	}
	scope := strings.Split(credential, "/")
	if len(scope) != 5 || scope[3] != "s3" || scope[4] != "aws4_request" {
		return creds, "", false, "apfront: credential scope " + credential + " is not for s3"
	}
	if scope[2] != point.Region {
		return creds, "", false, "apfront: signed for Region " + scope[2] + ", but the access point is in " + point.Region
	}
	creds, known := s.keys(scope[0])
	if !known {
		return creds, "", false, "apfront: no session has access key " + scope[0]
	}
	when, err := time.Parse("20060102T150405Z", date)
	if err != nil {
		return creds, "", false, "apfront: signing time " + date + " is not in ISO 8601 basic form"
	}
	clone, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.EscapedPath(), nil)
	if err != nil {
		return creds, "", false, err.Error()
	}
	clone.URL.RawQuery = r.URL.RawQuery
	for _, h := range strings.Split(signedHeaders, ";") {
		switch h {
		case "host":
		case "content-length":
			clone.ContentLength, _ = strconv.ParseInt(r.Header.Get("Content-Length"), 10, 64)
		default:
			clone.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	var expected string
	if presigned {
		q := clone.URL.Query()
		for _, k := range signatureParams {
			q.Del(k)
		}
		clone.URL.RawQuery = q.Encode()
		signed, _, err := s.signer.PresignHTTP(r.Context(), creds, clone, "UNSIGNED-PAYLOAD", "s3", point.Region, when)
		if err != nil {
			return creds, "", true, err.Error()
		}
		u, _ := url.Parse(signed)
		expected = u.Query().Get("X-Amz-Signature")
	} else {
		clone.Header.Del("X-Amz-Security-Token")
		if err := s.signer.SignHTTP(r.Context(), creds, clone, payloadHash, "s3", point.Region, when); err != nil {
			return creds, "", false, err.Error()
		}
		_, _, expected, _ = parseAuthorization(clone.Header.Get("Authorization"))
	}
	if expected != signature {
		return creds, "", presigned, "The request signature we calculated does not match the signature you provided."
	}
	return creds, payloadHash, presigned, ""
}

// parseAuthorization splits
// "AWS4-HMAC-SHA256 Credential=AKID/date/region/s3/aws4_request, SignedHeaders=a;b, Signature=hex".
func parseAuthorization(h string) (credential, signedHeaders, signature string, ok bool) {
	rest, ok := strings.CutPrefix(h, "AWS4-HMAC-SHA256 ")
	if !ok {
		return "", "", "", false
	}
	for _, field := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(field), "=")
		switch k {
		case "Credential":
			credential = v
		case "SignedHeaders":
			signedHeaders = v
		case "Signature":
			signature = v
		}
	}
	return credential, signedHeaders, signature, credential != "" && signature != ""
}

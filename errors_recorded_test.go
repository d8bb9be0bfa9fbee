package recstore_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore"
)

// TestRecordedAWSErrors feeds every recorded AWS error body
// (testdata/aws-errors, see SOURCES.md there) through the real SDK clients
// of a Store and checks the diagnosis.
func TestRecordedAWSErrors(t *testing.T) {
	for _, tc := range []struct {
		file      string
		status    int
		op        string // failing operation
		want      error
		code      string
		causeHint string // a word the cause must contain
		fixHint   string // a config key or action the fix must name
	}{
		{"sts-access-denied.xml", 403, "sts:AssumeRole", recstore.ErrAssumeRoleDenied, "AccessDenied", "trust policy", "storageProviderExternalId"},
		{"sts-invalid-client-token-id.xml", 403, "sts:AssumeRole", recstore.ErrInvalidBaseCredentials, "InvalidClientTokenId", "access key", "storageProviderAccessKeyId"},
		{"sts-signature-does-not-match.xml", 403, "sts:AssumeRole", recstore.ErrInvalidBaseCredentials, "SignatureDoesNotMatch", "secret", "storageProviderSecretAccessKey"},
		{"sts-signature-expired.xml", 403, "sts:AssumeRole", recstore.ErrClockSkew, "SignatureDoesNotMatch", "clock", "NTP"},
		{"sts-duration-exceeds-max.xml", 400, "sts:AssumeRole", recstore.ErrDurationExceedsMax, "ValidationError", "MaxSessionDuration", "storageProviderSessionDurationSeconds"},
		{"sts-role-chaining-limit.xml", 400, "sts:AssumeRole", recstore.ErrDurationExceedsMax, "ValidationError", "role chaining", "storageProviderSessionDurationSeconds"},
		{"sts-expired-token.xml", 403, "sts:AssumeRole", recstore.ErrExpiredToken, "ExpiredToken", "session duration", "storageProviderSessionDurationSeconds"},
		{"s3-access-denied.xml", 403, "s3:PutObject", recstore.ErrS3AccessDenied, "AccessDenied", "s3:PutObject", "allow s3:PutObject on arn:aws:s3:::recordings/*"},
		{"s3-expired-token.xml", 400, "s3:PutObject", recstore.ErrExpiredToken, "ExpiredToken", "expired", "storageProviderDisableAuthRetry"},
		{"s3-invalid-token.xml", 400, "s3:PutObject", recstore.ErrExpiredToken, "InvalidToken", "expired", "storageProviderSessionDurationSeconds"},
		{"s3-no-such-bucket.xml", 404, "s3:PutObject", recstore.ErrBucketNotFound, "NoSuchBucket", "does not exist", "storageProviderBucketName"},
		{"s3-no-such-key.xml", 404, "s3:GetObject", recstore.ErrKeyNotFound, "NoSuchKey", "no object", ""},
		{"s3-permanent-redirect.xml", 301, "s3:PutObject", recstore.ErrRegionMismatch, "PermanentRedirect", "another Region", "storageProviderRegion"},
		{"s3-authorization-header-malformed.xml", 400, "s3:PutObject", recstore.ErrRegionMismatch, "AuthorizationHeaderMalformed", "is in eu-central-1", "set storageProviderRegion to eu-central-1"},
		{"s3-request-time-too-skewed.xml", 403, "s3:PutObject", recstore.ErrClockSkew, "RequestTimeTooSkewed", "clock", "NTP"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", "aws-errors", tc.file))
			require.NoError(t, err)
			requestID := regexp.MustCompile(`<RequestId>([^<]+)</RequestId>`).FindSubmatch(body)
			require.NotNil(t, requestID, "the recording has a request ID")
			srv := recordedAWS(t, strings.HasPrefix(tc.op, "sts:"), tc.status, body, string(requestID[1]))

			s, err := recstore.Open(context.Background(), recstore.Config{
				Bucket: "recordings", Region: "us-east-1", AccessKeyID: "AKIAIOSFODNN7EXAMPLE",
				SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
				RoleARN:         "arn:aws:iam::444455556666:role/recorder", RoleSessionName: "auvious-recorder-test",
				ExternalID: "acme-7f3c", Endpoint: srv.URL, STSEndpoint: srv.URL,
			})
			require.NoError(t, err)
			defer s.Close()
			if tc.op == "s3:GetObject" {
				_, _, err = s.Download(context.Background(), "calls/c-42.webm")
			} else {
				_, err = s.Upload(context.Background(), "calls/c-42.webm", strings.NewReader("x"))
			}

			require.ErrorIs(t, err, tc.want)
			var e *recstore.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.op, e.Op)
			assert.Equal(t, tc.code, e.Code)
			assert.Equal(t, tc.status, e.StatusCode)
			assert.Equal(t, string(requestID[1]), e.RequestID)
			cause, fix, ok := recstore.Diagnose(err)
			require.True(t, ok)
			assert.Contains(t, cause, tc.causeHint)
			assert.Contains(t, fix, tc.fixHint)
			assert.NotContains(t, err.Error()+cause+fix, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
		})
	}
}

// recordedAWS answers like AWS: STS requests with the recording when
// stsFails (else with a session), S3 requests with the recording.
func recordedAWS(t *testing.T, stsFails bool, status int, body []byte, requestID string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		form, _ := io.ReadAll(r.Body)
		isSTS := r.Method == http.MethodPost && strings.Contains(string(form), "Action=AssumeRole")
		switch {
		case isSTS && !stsFails:
			w.Header().Set("Content-Type", "text/xml")
			io.WriteString(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>`+
				`<AssumedRoleUser><AssumedRoleId>AROAEXAMPLE:s</AssumedRoleId><Arn>arn:aws:sts::444455556666:assumed-role/recorder/s</Arn></AssumedRoleUser>`+
				`<Credentials><AccessKeyId>ASIAEXAMPLEEXAMPLE00</AccessKeyId><SecretAccessKey>temporary-secret</SecretAccessKey>`+
				`<SessionToken>temporary-token</SessionToken><Expiration>`+time.Now().Add(time.Hour).UTC().Format(time.RFC3339)+
				`</Expiration></Credentials></AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>`)
		case isSTS:
			w.Header().Set("Content-Type", "text/xml")
			w.Header().Set("X-Amzn-Requestid", requestID) // as STS sends it
			w.WriteHeader(status)
			w.Write(body)
		default:
			w.Header().Set("Content-Type", "application/xml")
			w.Header().Set("X-Amz-Request-Id", requestID)
			if region := regexp.MustCompile(`<Region>([^<]+)</Region>`).FindSubmatch(body); region != nil {
				w.Header().Set("X-Amz-Bucket-Region", string(region[1]))
			}
			w.WriteHeader(status)
			w.Write(body)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

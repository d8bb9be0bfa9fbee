package stsserver_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/auvious/recstore/internal/sandbox/stsserver"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	user = stsserver.User{ARN: "arn:aws:iam::111122223333:user/recorder-base",
		AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	role = stsserver.Role{ARN: "arn:aws:iam::444455556666:role/recorder", TrustedUserARN: user.ARN, ExternalID: "acme-7f3c"}
)

// recorded returns the code and message of a recorded AWS reply.
func recorded(t *testing.T, file string) (code, message string) {
	body, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "aws-errors", file))
	require.NoError(t, err)
	code = string(regexp.MustCompile(`<Code>([^<]+)</Code>`).FindSubmatch(body)[1])
	message = string(regexp.MustCompile(`<Message>([^<]+)</Message>`).FindSubmatch(body)[1])
	return code, message
}

// TestRepliesMatchRecordings: the endpoint refuses what AWS refuses, with
// AWS's recorded code and message.
func TestRepliesMatchRecordings(t *testing.T) {
	for _, tc := range []struct {
		name, file     string
		akid, secret   string
		externalID     string
		duration       int32
		clockOffset    time.Duration
		messagePattern bool // the message has times in it: compare its shape
	}{
		{"untrusted External ID", "sts-access-denied.xml", user.AccessKeyID, user.SecretAccessKey, "wrong", 3600, 0, false},
		{"unknown key", "sts-invalid-client-token-id.xml", "AKIAUNKNOWNUNKNOWN00", user.SecretAccessKey, role.ExternalID, 3600, 0, false},
		{"wrong secret", "sts-signature-does-not-match.xml", user.AccessKeyID, "wrong", role.ExternalID, 3600, 0, false},
		{"above MaxSessionDuration", "sts-duration-exceeds-max.xml", user.AccessKeyID, user.SecretAccessKey, role.ExternalID, 7200, 0, false},
		{"clock 20 minutes behind", "sts-signature-expired.xml", user.AccessKeyID, user.SecretAccessKey, role.ExternalID, 3600, 20 * time.Minute, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := stsserver.New(stsserver.Minter{Endpoint: "http://127.0.0.1:1"}, "us-east-1")
			require.NoError(t, err)
			defer srv.Close()
			srv.AddUser(user)
			srv.AddRole(role)
			srv.SetClockOffset(tc.clockOffset)
			client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()), Retryer: aws.NopRetryer{},
				Credentials: credentials.NewStaticCredentialsProvider(tc.akid, tc.secret, "")})
			_, err = client.AssumeRole(context.Background(), &sts.AssumeRoleInput{
				RoleArn: aws.String(role.ARN), RoleSessionName: aws.String("s"),
				ExternalId: aws.String(tc.externalID), DurationSeconds: aws.Int32(tc.duration)})
			var api smithy.APIError
			require.True(t, errors.As(err, &api), "an AWS error, got %v", err)
			code, message := recorded(t, tc.file)
			assert.Equal(t, code, api.ErrorCode())
			if tc.messagePattern {
				shape := regexp.MustCompile(`\d{8}T\d{6}Z`)
				assert.Equal(t, shape.ReplaceAllString(message, "T"), shape.ReplaceAllString(api.ErrorMessage(), "T"))
			} else {
				assert.Equal(t, message, api.ErrorMessage())
			}
			assert.Equal(t, int64(1), srv.AssumeRoleCalls())
		})
	}
}

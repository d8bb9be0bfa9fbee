package stsserver_test

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
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
		AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		AssumableRoles: []string{"arn:aws:iam::444455556666:role/*"}}
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
	noPolicy, denied, root := user, user, user
	noPolicy.AssumableRoles = []string{"arn:aws:iam::444455556666:role/other"}
	denied.Deny = "service control policy"
	root.ARN = "arn:aws:iam::111122223333:root"
	for _, tc := range []struct {
		name, file     string
		user           stsserver.User
		akid, secret   string // override the user's
		region         string // signed for; empty for us-east-1, the endpoint's
		externalID     string
		duration       int32
		clockOffset    time.Duration
		messagePattern bool // the message has times in it: compare its shape
	}{
		{name: "wrong External ID", file: "sts-access-denied.xml", user: user, externalID: "wrong"},
		{name: "identity policy lacks the role", file: "sts-access-denied.xml", user: noPolicy, externalID: role.ExternalID},
		{name: "explicit deny", file: "sts-explicit-deny-scp.xml", user: denied, externalID: role.ExternalID},
		{name: "root user", file: "sts-root-account.xml", user: root, externalID: role.ExternalID},
		{name: "unknown key", file: "sts-invalid-client-token-id.xml", user: user, akid: "AKIAUNKNOWNUNKNOWN00", externalID: role.ExternalID},
		{name: "wrong secret", file: "sts-signature-does-not-match.xml", user: user, secret: "wrong", externalID: role.ExternalID},
		{name: "signed for another Region", file: "sts-signature-scope-region.xml", user: user, region: "eu-central-1", externalID: role.ExternalID},
		{name: "above MaxSessionDuration", file: "sts-duration-exceeds-max.xml", user: user, externalID: role.ExternalID, duration: 7200},
		{name: "clock 20 minutes behind", file: "sts-signature-expired.xml", user: user, externalID: role.ExternalID,
			clockOffset: 20 * time.Minute, messagePattern: true},
		{name: "clock 20 minutes ahead", file: "sts-signature-not-yet-current.xml", user: user, externalID: role.ExternalID,
			clockOffset: -20 * time.Minute, messagePattern: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, tc.user, role)
			srv.SetClockOffset(tc.clockOffset)
			_, err := assume(srv, cmp.Or(tc.akid, tc.user.AccessKeyID), cmp.Or(tc.secret, tc.user.SecretAccessKey),
				cmp.Or(tc.region, "us-east-1"), tc.externalID, cmp.Or(tc.duration, 3600))
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

// TestExternalIDWithoutCondition: AWS ignores an External ID that the
// trust policy does not ask for; it refuses a missing one that it does.
func TestExternalIDWithoutCondition(t *testing.T) {
	open := role
	open.ExternalID = ""
	srv := newServer(t, user, open)
	_, err := assume(srv, user.AccessKeyID, user.SecretAccessKey, "us-east-1", "unasked-for", 3600)
	var api smithy.APIError
	require.True(t, errors.As(err, &api), "the request reached the minter, got %v", err)
	assert.Equal(t, "InternalFailure", api.ErrorCode(), "authorized, then failed only for want of MinIO")

	srv = newServer(t, user, role)
	_, err = assume(srv, user.AccessKeyID, user.SecretAccessKey, "us-east-1", "", 3600)
	require.True(t, errors.As(err, &api))
	assert.Equal(t, "AccessDenied", api.ErrorCode())
}

// newServer starts an endpoint in us-east-1 with u and r, and no MinIO
// behind it: a request that passes every check fails only when minting.
func newServer(t *testing.T, u stsserver.User, r stsserver.Role) *stsserver.Server {
	t.Helper()
	srv, err := stsserver.New(stsserver.Minter{Endpoint: "http://127.0.0.1:1"}, "us-east-1")
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	srv.AddUser(u)
	srv.AddRole(r)
	return srv
}

// assume calls AssumeRole on role with the given keys, signed for region.
func assume(srv *stsserver.Server, akid, secret, region, externalID string, duration int32) (*sts.AssumeRoleOutput, error) {
	client := sts.New(sts.Options{Region: region, BaseEndpoint: aws.String(srv.URL()), Retryer: aws.NopRetryer{},
		Credentials: credentials.NewStaticCredentialsProvider(akid, secret, "")})
	in := &sts.AssumeRoleInput{RoleArn: aws.String(role.ARN), RoleSessionName: aws.String("s"), DurationSeconds: aws.Int32(duration)}
	if externalID != "" {
		in.ExternalId = aws.String(externalID)
	}
	return client.AssumeRole(context.Background(), in)
}

// TestWebIdentityRepliesMatchRecordings: AssumeRoleWithWebIdentity refuses
// a token of an unknown issuer, an expired one and one of another subject
// with AWS's recorded replies, and a tampered signature with
// InvalidIdentityToken.
func TestWebIdentityRepliesMatchRecordings(t *testing.T) {
	const subject = "system:serviceaccount:recorder:recorder"
	trusting := stsserver.Role{ARN: "arn:aws:iam::111122223333:role/recorder-irsa", WebIdentitySubject: subject}
	srv := newServer(t, user, trusting)
	valid := srv.WebIdentityToken(subject, time.Hour)
	head, _, _ := strings.Cut(valid, ".")
	foreignClaims := base64.RawURLEncoding.EncodeToString([]byte(
		`{"iss":"https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE","sub":"` + subject +
			`","aud":"sts.amazonaws.com","exp":4102444800}`))
	for _, tc := range []struct {
		name, token, file string // file: the recording; "" for an unrecorded message
		code              string
	}{
		{name: "unknown issuer", token: head + "." + foreignClaims + ".c2ln", file: "sts-web-identity-no-provider.xml"},
		{name: "expired", token: srv.WebIdentityToken(subject, -time.Minute), file: "sts-web-identity-expired.xml"},
		{name: "another subject", token: srv.WebIdentityToken("system:serviceaccount:other:other", time.Hour),
			file: "sts-web-identity-denied.xml"},
		{name: "tampered signature", token: valid[:len(valid)-4] + "AAAA", code: "InvalidIdentityToken"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()), Retryer: aws.NopRetryer{}})
			_, err := client.AssumeRoleWithWebIdentity(context.Background(), &sts.AssumeRoleWithWebIdentityInput{
				RoleArn: aws.String(trusting.ARN), RoleSessionName: aws.String("s"), WebIdentityToken: aws.String(tc.token)})
			var api smithy.APIError
			require.True(t, errors.As(err, &api), "an AWS error, got %v", err)
			if tc.file == "" {
				assert.Equal(t, tc.code, api.ErrorCode())
				return
			}
			code, message := recorded(t, tc.file)
			assert.Equal(t, code, api.ErrorCode())
			digits := regexp.MustCompile(`\d{6,}`)
			assert.Equal(t, digits.ReplaceAllString(message, "N"), digits.ReplaceAllString(api.ErrorMessage(), "N"))
		})
	}
}

// TestContainerCredentials: the container credentials endpoint refuses a
// request without a token with the agent's recorded reply, and relays a
// bad token and an unassociated service account as EKS Auth errors.
func TestContainerCredentials(t *testing.T) {
	const subject = "system:serviceaccount:recorder:recorder"
	pod := stsserver.Role{ARN: "arn:aws:iam::111122223333:role/recorder-pod-identity", PodIdentitySubject: subject}
	srv := newServer(t, user, pod)
	empty, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "aws-errors", "container-token-empty.txt"))
	require.NoError(t, err)
	for _, tc := range []struct {
		name, token string
		status      int
		body        string // the whole body, or its start
	}{
		{name: "no token", status: 400, body: string(empty)},
		{name: "another service account", token: srv.PodIdentityToken("system:serviceaccount:other:other", time.Hour),
			status: 400, body: "(ResourceNotFoundException): no Pod Identity association for system:serviceaccount:other:other"},
		{name: "a web identity token", token: srv.WebIdentityToken(subject, time.Hour), status: 400,
			body: "(InvalidTokenException): the web identity token's audience is not pods.eks.amazonaws.com"},
		{name: "expired", token: srv.PodIdentityToken(subject, -time.Minute), status: 400, body: "(InvalidTokenException): Token expired"},
		{name: "associated", token: srv.PodIdentityToken(subject, time.Hour), status: 500,
			body: "(InternalFailure): minting MinIO credentials"}, // authorized; no MinIO behind this server
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, srv.ContainerCredentialsURL(), nil)
			require.NoError(t, err)
			if tc.token != "" {
				req.Header.Set("Authorization", tc.token)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, tc.status, resp.StatusCode)
			assert.True(t, strings.HasPrefix(string(body), tc.body), "body %q, want %q", body, tc.body)
			assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
		})
	}
}

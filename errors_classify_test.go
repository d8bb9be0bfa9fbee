package recstore

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/auvious/recstore/internal/sdkerr"
)

// apiError is the SDK's error for an AWS error reply.
var apiError = sdkerr.Reply

var testTarget = target{Bucket: "recordings", Prefix: "acme/", Region: "eu-west-1",
	Role: "arn:aws:iam::444455556666:role/recorder"}

// TestClassifyWraps: an *Error carries the operation, the key and the
// classifier's diagnosis, keeps the SDK's error in its chain (errors.As
// reaches smithy.APIError) and matches exactly its class's sentinel. The
// classifier's rules are tested in internal/diagnose.
func TestClassifyWraps(t *testing.T) {
	for _, tc := range []struct {
		name    string
		op, key string
		err     error
		want    error
	}{
		{"S3 denied", "s3:PutObject", "k", apiError(403, "AccessDenied", "Access Denied"), ErrS3AccessDenied},
		{"trust or External ID", "sts:AssumeRole", "", apiError(403, "AccessDenied", "User: u is not authorized"), ErrAssumeRoleDenied},
		{"refused", "s3:PutObject", "k", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, ErrNetwork},
		{"rejected", "s3:PutObject", "k", apiError(400, "InvalidArgument", "Invalid metadata"), ErrRejected},
		{"canceled", "s3:PutObject", "k", context.Canceled, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := classify(tc.op, testTarget.WithKey(tc.key), tc.err)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.op, e.Op)
			assert.Equal(t, tc.key, e.Key)
			assert.Equal(t, "recordings", e.Bucket)
			assert.ErrorIs(t, err, tc.err, "the SDK's error stays in the chain")
			for _, class := range errorClasses() {
				assert.Equal(t, class.err == tc.want, errors.Is(err, class.err), "errors.Is(err, %s)", class.name)
			}
			var api smithy.APIError
			if errors.As(tc.err, &api) {
				require.ErrorAs(t, err, &api, "errors.As still reaches smithy.APIError")
				assert.Equal(t, api.ErrorCode(), e.Code)
				assert.Equal(t, sdkerr.RequestID, e.RequestID)
				assert.NotZero(t, e.StatusCode)
			}
			cause, fix, ok := Diagnose(err)
			assert.Equal(t, tc.want != nil, ok)
			assert.Equal(t, e.Cause, cause)
			assert.Equal(t, e.Fix, fix)
		})
	}
}

func TestClassifyKeepsInnerError(t *testing.T) {
	inner := classify("sts:AssumeRole", testTarget, apiError(403, "AccessDenied", ""))
	wrapped := &smithy.OperationError{ServiceID: "S3", OperationName: "PutObject", Err: inner}
	err := classify("s3:PutObject", testTarget.WithKey("k"), wrapped)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "sts:AssumeRole", e.Op, "a failed refresh is reported as the STS failure it is")
	assert.ErrorIs(t, err, ErrAssumeRoleDenied)
}

func TestClassifyCanceled(t *testing.T) {
	err := classify("s3:PutObject", testTarget.WithKey("k"), &smithy.OperationError{Err: context.Canceled})
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, ErrNetwork)
	assert.Nil(t, classify("s3:PutObject", testTarget.WithKey("k"), nil))
}

func TestExpiryWindow(t *testing.T) {
	for _, tc := range []struct{ session, window time.Duration }{
		{15 * time.Minute, 5 * time.Minute},
		{time.Hour, 15 * time.Minute},
		{12 * time.Hour, 15 * time.Minute},
	} {
		assert.Equal(t, tc.window, expiryWindow(tc.session), "session %v", tc.session)
	}
}
